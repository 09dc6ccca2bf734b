/**
 * The UDP scan engine. A UDP port answers a probe with a datagram (open), with an ICMP port unreachable
 * (closed: the kernel reports it on the connected socket as ECONNREFUSED, RFC 1122 §4.1.3.3), or not at all
 * (open|filtered). Hosts rate-limit ICMP errors (Linux: net.ipv4.icmp_ratelimit, one per second per peer after a
 * burst, and icmp_msgs_per_sec), so silence may only mean the answer was suppressed: like nmap, unanswered
 * probes are sent again in later rounds, paced to the answer rate the earlier round saw.
 */
import { createSocket, type Socket } from 'node:dgram';
import { statusOf, UV } from '../lib/errno.js';
import { SELF_CONNECT } from './dialer.js';
import type { EngineJob } from './engine.js';

/** A UDP lane: as a TCP one, plus how many rounds in a row may go unanswered before silence is final. */
export interface UdpJob extends Omit<EngineJob, 'fin' | 'claim'> {
  retries: number;
}

/** A bound on rounds however slowly a host keeps answering. */
const MAX_ROUNDS = 100;

/** Payloads that make well-known services answer (an empty datagram for the rest, as nmap sends). */
const PAYLOADS: Record<number, Buffer> = {
  // DNS: a standard query for the root's NS records (RFC 1035 §4.1).
  53: Buffer.from('123401000001000000000000' + '00' + '0002' + '0001', 'hex'),
  // NTP: a version 4 client request (RFC 5905 §7.3): LI 3, VN 4, mode 3, the rest zero.
  123: Buffer.concat([Buffer.from([0xe3]), Buffer.alloc(47)]),
};

/** The datagram sent to `port`. */
export function udpPayload(port: number): Buffer {
  return PAYLOADS[port] ?? Buffer.alloc(0);
}

/**
 * Probes the lane; `emit(k, status, rtt)` is called once per probe (0 for a reply, a negative errno for an ICMP
 * error, UV.ETIMEDOUT for silence after the last round). Resolves when done or when `signal` aborts.
 */
export async function runUdpEngine(
  job: UdpJob,
  emit: (k: number, status: number, rttMs: number) => void,
  signal: AbortSignal,
): Promise<void> {
  let todo: number[] = [];
  const P = job.ports.length;
  for (let s = 0; s < job.count; s++) {
    const k = job.first + job.step * s;
    if (job.hosts[Math.floor(k / P)]) todo.push(k);
  }
  let rate = job.rate;
  let limited = false;
  // Keep asking while answers keep coming (a rate-limited host answers a few per round); stop after `retries`
  // sends again in a row that nothing answered.
  let quiet = 0;
  for (let round = 0; round < MAX_ROUNDS && todo.length > 0 && !signal.aborted; round++) {
    if (round > 0 && quiet >= job.retries) break;
    // Let the target's ICMP token bucket refill (Linux: one per icmp_ratelimit ms) before asking again.
    if (limited) await pause(Math.min(1000, job.timeoutMs), signal);
    const started = performance.now();
    let answers = 0;
    const silent: number[] = [];
    await runRound(job, todo, rate, signal, (k, status, rtt) => {
      if (status === UV.ETIMEDOUT) silent.push(k);
      else {
        answers++;
        emit(k, status, rtt);
      }
    });
    if (round > 0) quiet = answers === 0 ? quiet + 1 : 0;
    // Some answered and some did not: suspect ICMP rate limiting and send the rest no faster than answers came.
    const seconds = (performance.now() - started) / 1000;
    limited = answers > 0 && silent.length > 0;
    if (limited) {
      const observed = Math.max(1, answers / Math.max(seconds, 0.001));
      rate = job.rate > 0 ? Math.min(job.rate, observed) : observed;
    }
    todo = silent.sort((a, b) => a - b);
  }
  for (const k of todo) emit(k, UV.ETIMEDOUT, job.timeoutMs);
}

/** Sends one probe to each of `ks` with at most job.concurrency waiting and `rate` per second (0: no limit). */
function runRound(
  job: UdpJob,
  ks: number[],
  rate: number,
  signal: AbortSignal,
  emit: (k: number, status: number, rttMs: number) => void,
): Promise<void> {
  const P = job.ports.length;
  return new Promise((resolve) => {
    let next = 0;
    let inflight = 0;
    let cap = Math.max(1, job.concurrency);
    let timer: ReturnType<typeof setTimeout> | undefined;
    /** Probes waiting for an answer, each with the function that drops it (timer cleared, socket closed). */
    const open = new Map<Socket, () => void>();
    const t0 = performance.now();
    const finish = (): void => {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', stop);
      resolve();
    };
    const stop = (): void => {
      for (const drop of [...open.values()]) drop();
      finish();
    };
    signal.addEventListener('abort', stop, { once: true });

    const probe = (k: number): void => {
      const host = job.hosts[Math.floor(k / P)] as { address: string; family: 4 | 6 };
      const port = job.ports[k % P] as number;
      const socket = createSocket(host.family === 6 ? 'udp6' : 'udp4');
      inflight++;
      const start = performance.now();
      let settled = false;
      let deadline: ReturnType<typeof setTimeout> | undefined;
      // Closes the probe once: by its answer, its deadline, or a stop (whichever comes first; the others do nothing).
      const drop = (): boolean => {
        if (settled) return false;
        settled = true;
        if (deadline) clearTimeout(deadline);
        open.delete(socket);
        socket.close();
        inflight--;
        return true;
      };
      open.set(socket, drop);
      const settle = (status: number): void => {
        if (!drop()) return;
        if (status === UV.EMFILE || status === UV.ENFILE) {
          // Out of descriptors: try this one again later, with fewer in flight.
          ks.push(k);
          cap = Math.max(1, inflight);
        } else {
          emit(k, status, performance.now() - start);
        }
        if (!signal.aborted) pump();
      };
      socket.on('message', (_msg, from) => {
        // Probing port P from ephemeral port P on our own address sends the probe to itself: no service there.
        const local = socket.address();
        settle(from.port === local.port && from.address === local.address ? SELF_CONNECT : 0);
      });
      socket.on('error', (err) => settle(statusOf(err)));
      socket.connect(port, host.address, () => {
        if (settled) return; // stopped while connecting
        deadline = setTimeout(() => settle(UV.ETIMEDOUT), job.timeoutMs);
        socket.send(udpPayload(port));
      });
    };

    const pump = (): void => {
      if (timer) return;
      while (inflight < cap && next < ks.length) {
        if (rate > 0) {
          const due = t0 + (next * 1000) / rate;
          const now = performance.now();
          if (due > now) {
            timer = setTimeout(() => {
              timer = undefined;
              pump();
            }, due - now);
            return;
          }
        }
        probe(ks[next++] as number);
      }
      if (inflight === 0 && next >= ks.length) finish();
    };
    pump();
  });
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
