/**
 * A TCP scan lane: probes its share of the (host, port) space with as many connections in flight as allowed,
 * through a Dialer. Claiming (claim.ts), pacing (pacing.ts) and timeouts (timeouts.ts) are its parts; this file
 * joins them with the window, the retries after local resource errors, and result batching.
 *
 * Results travel as Float64Array batches of (probe index, status, rtt in ms) triples. The status is libuv's:
 * 0 connected, a negative errno (UV.ECONNREFUSED, UV.ETIMEDOUT, …), or SELF_CONNECT.
 */
import { UV } from '../lib/errno.js';
import { Claimer } from './claim.js';
import type { Attempt, DialerFactory } from './dialer.js';
import type { EngineJob, LaneControl } from './engine.js';
import { Pacer } from './pacing.js';
import { InFlight } from './timeouts.js';

/** Out of local resources, not an answer from the target: the probe is tried again later with fewer in flight. */
const RETRY = new Set<number>([UV.EMFILE, UV.ENFILE, UV.EADDRNOTAVAIL, UV.ENOBUFS, UV.EAGAIN]);
/** With nothing of ours in flight, resource errors for this long mean the descriptors are held elsewhere. */
const GIVE_UP_MS = 10_000;
/** Fresh (not stalled) attempts in flight at most: on loopback more only queue work in the kernel (2×512 is slower than 2×64). */
const WINDOW = 64;
/** Results per batch, each a triple of numbers. */
const BATCH = 1024;
/** A batch not full is sent after this long. */
const BATCH_WAIT_MS = 20;
/** Sequence numbers claimed at a time. */
const CLAIM_BLOCK = 32;
/** The timeout check runs this often. */
const TICK_MS = 10;
/** A tick this late means the thread was not running: answers may be waiting unread, so it judges nothing. */
const LATE_TICK_MS = 30;

/** Collects result triples and hands them on in batches. */
class Batcher {
  private batch = new Float64Array(3 * BATCH);
  private fill = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly emit: (batch: Float64Array) => void) {}

  add(k: number, status: number, rtt: number): void {
    const b = this.batch;
    b[this.fill++] = k;
    b[this.fill++] = status;
    b[this.fill++] = rtt;
    if (this.fill === b.length) {
      this.emit(b);
      this.batch = new Float64Array(3 * BATCH);
      this.fill = 0;
    } else this.timer ??= setTimeout(() => this.flush(), BATCH_WAIT_MS);
  }

  flush(): void {
    this.cancel();
    if (this.fill === 0) return;
    const out = this.batch.slice(0, this.fill);
    this.fill = 0;
    this.emit(out);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Probes the lane described by `job` through dialers from `makeDialer`, calling `emit` with result batches and
 * `done` once after the last one; returns the lane's controls.
 */
export function runLane(
  makeDialer: DialerFactory,
  job: EngineJob,
  emit: (batch: Float64Array) => void,
  done: () => void,
): LaneControl {
  const P = job.ports.length;
  const claimer = new Claimer(job, CLAIM_BLOCK);
  const pacer = new Pacer(job.rate);
  const flight = new InFlight();
  const out = new Batcher(emit);
  const retry: number[] = [];
  let cap = Math.max(1, job.concurrency);
  let stopped = false;
  let paused = false;
  let finished = false;
  let lastTick = performance.now();
  let skipped = false; // the last tick judged nothing (at most one in a row does)
  let starvedSince = 0; // when the last run of resource errors with nothing in flight began
  let pumpTimer: ReturnType<typeof setTimeout> | undefined;

  /** A probe to try again later, with no more in flight than now. */
  const again = (k: number): void => {
    retry.push(k);
    cap = Math.max(1, flight.count);
  };

  const dialer = makeDialer(job.fin, (a: Attempt, status: number) => {
    if (stopped) return;
    const rtt = flight.answered(a, performance.now());
    if (RETRY.has(status)) again(a.k);
    else out.add(a.k, status, rtt);
    pump();
  });

  const tick = (): void => {
    const now = performance.now();
    const late = now - lastTick > LATE_TICK_MS && !skipped;
    skipped = late;
    lastTick = now;
    if (late) return;
    flight.sweep(now, job.timeoutMs, (a) => {
      dialer.abandon(a);
      out.add(a.k, UV.ETIMEDOUT, now - a.t);
    });
    pump();
  };

  /** Starts one probe; false when local resources ran out (the probe is queued again). */
  const launch = (k: number): boolean => {
    const host = job.hosts[Math.floor(k / P)];
    if (!host) return true;
    const a = dialer.dial(k, host.address, host.family, job.ports[k % P] as number);
    if (typeof a === 'number') {
      if (!RETRY.has(a)) {
        out.add(k, a, 0);
        return true;
      }
      again(k);
      return false;
    }
    flight.add(a);
    pacer.start();
    return true;
  };

  const later = (ms: number): void => {
    pumpTimer = setTimeout(() => {
      pumpTimer = undefined;
      pump();
    }, ms);
  };

  const pump = (): void => {
    if (stopped || paused || pumpTimer) return;
    while (flight.count < cap && flight.count - flight.stalled < WINDOW && (retry.length > 0 || !claimer.exhausted)) {
      const wait = pacer.wait();
      if (wait > 0) {
        later(wait);
        break;
      }
      const k = retry.length > 0 ? (retry.pop() as number) : claimer.take();
      if (k < 0) break;
      if (launch(k)) {
        starvedSince = 0;
        continue;
      }
      if (flight.count === 0) {
        // Nothing of ours to wait for: the descriptors are held elsewhere. Back off, and give up eventually.
        const now = performance.now();
        if (starvedSince === 0) starvedSince = now;
        if (now - starvedSince > GIVE_UP_MS) {
          for (const r of retry.splice(0)) out.add(r, UV.EMFILE, 0);
          break;
        }
        later(50);
      }
      break;
    }
    if (!finished && flight.count === 0 && retry.length === 0 && claimer.exhausted) {
      finished = true;
      clearInterval(ticker);
      out.flush();
      if (!stopped) done(); // stop() may come from the flushed batch's reader
    }
  };

  const ticker = setInterval(tick, TICK_MS);
  pump();
  return {
    stop: () => {
      stopped = true;
      clearInterval(ticker);
      if (pumpTimer) clearTimeout(pumpTimer);
      out.cancel();
      flight.clear((a) => dialer.abandon(a));
    },
    pause: () => void (paused = true),
    resume: () => {
      paused = false;
      pump();
    },
  };
}
