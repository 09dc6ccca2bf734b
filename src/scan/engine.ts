/**
 * The TCP connect-scan engine: a lane that probes its share of the (host, port) space (claimed in blocks from a
 * counter all lanes share) with as many connections in flight as allowed, straight on libuv's TCP handles
 * (`process.binding('tcp_wrap')`, the layer under net.Socket), so a probe costs one handle and one request object
 * instead of a stream with its buffers and events. Runs in a worker
 * thread (one per core) or in the main thread; it is built as one self-contained function because a worker
 * receives it as source text (a single executable has no separate worker file to load).
 *
 * When that binding is not there or not as expected (a future Node, --experimental-permission), runSocketEngine
 * does the same job with public net.Socket calls: slower, one thread, same results.
 *
 * Results travel as Float64Array batches of (probe index, status, rtt in ms) triples. The status is libuv's:
 * 0 connected, a negative errno (-111 refused, -110 timed out, -113 no route…), or SELF_CONNECT.
 */

import { connect as netConnect, type Socket } from 'node:net';

/** What a lane probes and how. Probe k is host floor(k / ports.length), port ports[k % ports.length]. */
export interface EngineJob {
  /** Resolved hosts in space order; null for a HOST that did not resolve (its probes are skipped). */
  hosts: ({ address: string; family: 4 | 6 } | null)[];
  ports: number[];
  /** The probes: k = first + step·s for s in 0 … count-1 (a shard I/N has first I and step N). */
  first: number;
  step: number;
  count: number;
  /**
   * The next unclaimed s, shared by all lanes of a scan (a SharedArrayBuffer): each lane claims blocks of s as it
   * goes, so a lane that gets less CPU simply probes less, and the lanes finish together.
   */
  claim: BigInt64Array;
  /** Connections in flight at most (the file-descriptor budget of this lane). */
  concurrency: number;
  /** A probe with no answer after this long is filtered. */
  timeoutMs: number;
  /** Probes started per second at most; 0: no limit. */
  rate: number;
  /** Close a connected probe with FIN (nc -z) instead of RST (nmap -sT). */
  fin: boolean;
}

/** Status of a probe that connected to itself: TCP simultaneous open of port P from ephemeral port P. */
export const SELF_CONNECT = 1;

/** Runs one lane of a TCP scan: `emit` gets result batches, `done` is called once after the last one. */
export type TcpEngine = (job: EngineJob, emit: (batch: Float64Array) => void, done: () => void) => LaneControl;

/** Controls a running lane. */
export interface LaneControl {
  /** Stops at once: in-flight probes are dropped, no more results. */
  stop(): void;
  /** Starts no new probe until resume() (the reader of the results is behind: backpressure). */
  pause(): void;
  resume(): void;
}

/**
 * Probes the lane described by `job`, calling `emit` with result batches and `done` once after the last one;
 * returns the lane's controls.
 */
export function runTcpEngine(job: EngineJob, emit: (batch: Float64Array) => void, done: () => void): LaneControl {
  // Everything used below is defined inside this function or is a global: it is also shipped as source text.
  interface Handle {
    connect(req: Req, address: string, port: number): number;
    connect6(req: Req, address: string, port: number): number;
    getsockname(out: { address?: string; port?: number }): number;
    getpeername(out: { address?: string; port?: number }): number;
    reset(): number;
    close(): void;
  }
  interface Req {
    oncomplete: (status: number, handle: Handle, req: Req) => void;
    k: number;
    t: number;
    handle: Handle;
    settled: boolean;
    stalled: boolean;
  }
  const binding = (process as unknown as { binding(name: string): unknown }).binding('tcp_wrap') as {
    TCP: new (type: number) => Handle;
    TCPConnectWrap: new () => Req;
    constants: { SOCKET: number };
  };
  const { TCP, TCPConnectWrap, constants } = binding;
  const ETIMEDOUT = -110;
  // Out of local resources, not an answer from the target: retry the probe later with fewer in flight.
  const RETRY = new Set([-24 /* EMFILE */, -23 /* ENFILE */, -99 /* EADDRNOTAVAIL */, -105 /* ENOBUFS */, -11 /* EAGAIN */]);
  const GIVE_UP_MS = 10_000;
  const WINDOW = 64;
  const BATCH = 1024; // results per batch, each a triple of numbers
  const CHUNK = 32; // s claimed at a time

  const P = job.ports.length;
  let next = 0; // the block of s this lane has claimed: next … end-1
  let end = 0;
  let exhausted = false;
  const retry: number[] = [];
  let cap = Math.max(1, job.concurrency);
  let inflight = 0;
  let stalled = 0;
  let srtt = 0; // smoothed round-trip time of answered probes (RFC 6298 §2, gain 1/8)
  let lastTick = performance.now();
  let skipped = false; // the last tick judged nothing (at most one in a row does)
  let stallAt = 0; // queue entries before this one have been checked for stalling
  let started = 0;
  let stopped = false;
  let paused = false;
  let finished = false;
  const t0 = performance.now();
  let starvedSince = 0; // when the last run of resource errors with nothing in flight began
  const queue: Req[] = []; // in start order, so deadlines are in order too
  let head = 0;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let pumpTimer: ReturnType<typeof setTimeout> | undefined;
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let batch = new Float64Array(3 * BATCH);
  let fill = 0;

  const flush = (): void => {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = undefined;
    if (fill === 0) return;
    const out = batch.slice(0, fill);
    fill = 0;
    emit(out);
  };
  const record = (k: number, status: number, rtt: number): void => {
    batch[fill++] = k;
    batch[fill++] = status;
    batch[fill++] = rtt;
    if (fill === batch.length) {
      emit(batch);
      batch = new Float64Array(3 * BATCH);
      fill = 0;
    } else if (!flushTimer) {
      flushTimer = setTimeout(flush, 20);
    }
  };

  const onComplete = (status: number, handle: Handle, req: Req): void => {
    if (req.settled || stopped) return; // timed out (the close cancels it) or stopped
    req.settled = true;
    inflight--;
    if (req.stalled) stalled--;
    const rtt = performance.now() - req.t;
    srtt = srtt === 0 ? rtt : srtt + (rtt - srtt) / 8;
    if (status === 0) {
      const local: { address?: string; port?: number } = {};
      const peer: { address?: string; port?: number } = {};
      handle.getsockname(local);
      handle.getpeername(peer);
      if (local.port === peer.port && local.address === peer.address) status = 1; // SELF_CONNECT
      // reset() closes with a RST (SO_LINGER 0) and returns non-zero when it could not: then close anyway.
      if (job.fin || handle.reset() !== 0) handle.close();
    } else {
      handle.close();
    }
    if (RETRY.has(status)) {
      retry.push(req.k);
      cap = Math.max(1, inflight);
    } else {
      record(req.k, status, rtt);
    }
    pump();
  };

  // A probe several round trips old was probably dropped: it keeps its descriptor until the timeout but leaves
  // the window of fresh probes, so filtered ports do not slow the rest. The window itself stays small: on
  // loopback more in flight only queues work in the kernel (measured: 2×512 in flight is slower than 2×64).
  // A late tick means this thread was not running: answers may be waiting unread (timers run before I/O in
  // libuv's loop), so that tick judges nothing, neither timeouts nor stalls; the next one does.
  const tick = (): void => {
    const now = performance.now();
    const late = now - lastTick > 30 && !skipped;
    skipped = late;
    lastTick = now;
    if (late) return;
    const stale = Math.max(10, 4 * srtt);
    while (head < queue.length) {
      const req = queue[head] as Req;
      if (!req.settled) {
        if (req.t + job.timeoutMs > now) break;
        req.settled = true;
        inflight--;
        if (req.stalled) stalled--;
        req.handle.close();
        record(req.k, ETIMEDOUT, now - req.t);
      }
      head++;
    }
    if (stallAt < head) stallAt = head;
    while (stallAt < queue.length) {
      const req = queue[stallAt] as Req;
      if (!req.settled && now - req.t < stale) break;
      if (!req.settled) {
        req.stalled = true;
        stalled++;
      }
      stallAt++;
    }
    if (head > 4096 && head * 2 > queue.length) {
      queue.splice(0, head);
      stallAt -= head;
      head = 0;
    }
    pump();
  };

  /** Starts one probe; false when local resources ran out (the probe is queued again). */
  const launch = (k: number): boolean => {
    const host = job.hosts[Math.floor(k / P)];
    if (!host) return true;
    const port = job.ports[k % P] as number;
    const handle = new TCP(constants.SOCKET);
    const req = new TCPConnectWrap();
    req.oncomplete = onComplete;
    req.k = k;
    req.settled = false;
    req.stalled = false;
    req.handle = handle;
    req.t = performance.now();
    const err = host.family === 6 ? handle.connect6(req, host.address, port) : handle.connect(req, host.address, port);
    if (err !== 0) {
      req.settled = true;
      handle.close();
      if (RETRY.has(err)) {
        retry.push(k);
        cap = Math.max(1, inflight);
        return false;
      }
      record(k, err, 0);
      return true;
    }
    inflight++;
    started++;
    queue.push(req);
    return true;
  };

  const pump = (): void => {
    if (stopped || paused || pumpTimer) return;
    while (inflight < cap && inflight - stalled < WINDOW && (retry.length > 0 || !exhausted)) {
      if (job.rate > 0) {
        const due = t0 + (started * 1000) / job.rate;
        const now = performance.now();
        if (due > now) {
          pumpTimer = setTimeout(() => {
            pumpTimer = undefined;
            pump();
          }, due - now);
          break;
        }
      }
      let k: number;
      if (retry.length > 0) k = retry.pop() as number;
      else {
        if (next >= end) {
          const start = Number(Atomics.add(job.claim, 0, BigInt(CHUNK)));
          if (start >= job.count) {
            exhausted = true;
            break;
          }
          next = start;
          end = Math.min(start + CHUNK, job.count);
        }
        k = job.first + job.step * next++;
      }
      if (!launch(k)) {
        if (inflight === 0) {
          // Nothing of ours to wait for: the descriptors are held elsewhere. Back off, and give up eventually.
          const now = performance.now();
          if (starvedSince === 0) starvedSince = now;
          if (now - starvedSince > GIVE_UP_MS) {
            for (const r of retry.splice(0)) record(r, -24, 0);
            break;
          }
          pumpTimer = setTimeout(() => {
            pumpTimer = undefined;
            pump();
          }, 50);
        }
        break;
      }
      starvedSince = 0;
    }
    if (!finished && inflight === 0 && retry.length === 0 && exhausted) {
      finished = true;
      if (ticker) clearInterval(ticker);
      flush();
      done();
    }
  };

  ticker = setInterval(tick, 10);
  pump();
  const stop = (): void => {
    stopped = true;
    if (ticker) clearInterval(ticker);
    for (const t of [pumpTimer, flushTimer]) if (t) clearTimeout(t);
    for (let i = head; i < queue.length; i++) {
      const req = queue[i] as Req;
      if (!req.settled) {
        req.settled = true;
        req.handle.close();
      }
    }
  };
  return {
    stop,
    pause: () => void (paused = true),
    resume: () => {
      paused = false;
      pump();
    },
  };
}

/**
 * True when `process.binding('tcp_wrap')` is there and has every constructor and method runTcpEngine calls;
 * false when it is missing, throws (as under --experimental-permission), or has another shape.
 */
export function tcpBindingUsable(): boolean {
  try {
    const b = (process as unknown as { binding(name: string): unknown }).binding('tcp_wrap') as {
      TCP?: { prototype?: Record<string, unknown> };
      TCPConnectWrap?: unknown;
      constants?: { SOCKET?: unknown };
    };
    const proto = b.TCP?.prototype;
    return (
      typeof b.TCP === 'function' &&
      typeof b.TCPConnectWrap === 'function' &&
      typeof b.constants?.SOCKET === 'number' &&
      proto !== undefined &&
      ['connect', 'connect6', 'getsockname', 'getpeername', 'reset', 'close'].every((m) => typeof proto[m] === 'function')
    );
  } catch {
    return false;
  }
}

/** The engine to use here: runTcpEngine when its binding is usable, else runSocketEngine. */
export function defaultTcpEngine(): TcpEngine {
  return tcpBindingUsable() ? runTcpEngine : runSocketEngine;
}

/**
 * The same lane as runTcpEngine on public API (net.connect, resetAndDestroy), with `job.concurrency` probes in
 * flight: for when the libuv binding cannot be used. Each result is emitted as a batch of one.
 */
export const runSocketEngine: TcpEngine = (job, emit, done) => {
  const P = job.ports.length;
  const open = new Map<Socket, () => void>();
  const t0 = performance.now();
  let inflight = 0;
  let started = 0;
  let exhausted = false;
  let stopped = false;
  let paused = false;
  let finished = false;
  let rateTimer: ReturnType<typeof setTimeout> | undefined;

  const probe = (k: number): void => {
    const host = job.hosts[Math.floor(k / P)];
    if (!host) return;
    const port = job.ports[k % P] as number;
    const t = performance.now();
    const socket = netConnect({ host: host.address, port, family: host.family });
    inflight++;
    started++;
    let settled = false;
    const settle = (status: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      open.delete(socket);
      inflight--;
      // An open probe is closed with a RST (nmap -sT) unless --fin asks for nc's FIN.
      if (status === 0 && !job.fin) socket.resetAndDestroy();
      else socket.destroy();
      if (stopped) return;
      emit(Float64Array.of(k, status, performance.now() - t));
      pump();
    };
    const deadline = setTimeout(() => settle(-110 /* ETIMEDOUT */), job.timeoutMs);
    open.set(socket, () => {
      settled = true;
      clearTimeout(deadline);
      socket.destroy();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => settle(typeof err.errno === 'number' ? err.errno : -5));
    socket.once('connect', () => {
      const self = socket.localPort === socket.remotePort && socket.localAddress === socket.remoteAddress;
      settle(self ? SELF_CONNECT : 0);
    });
  };

  const pump = (): void => {
    if (stopped || paused || rateTimer) return;
    while (!exhausted && inflight < Math.max(1, job.concurrency)) {
      if (job.rate > 0) {
        const wait = t0 + (started * 1000) / job.rate - performance.now();
        if (wait > 0) {
          rateTimer = setTimeout(() => {
            rateTimer = undefined;
            pump();
          }, wait);
          return;
        }
      }
      const s = Number(Atomics.add(job.claim, 0, 1n));
      if (s >= job.count) exhausted = true;
      else probe(job.first + job.step * s);
    }
    if (exhausted && inflight === 0 && !finished) {
      finished = true;
      done();
    }
  };

  // Started on the next turn, as runTcpEngine's first results are: the caller has its controls by then.
  setImmediate(pump);
  return {
    stop: () => {
      stopped = true;
      if (rateTimer) clearTimeout(rateTimer);
      for (const drop of [...open.values()]) drop();
      open.clear();
    },
    pause: () => void (paused = true),
    resume: () => {
      paused = false;
      pump();
    },
  };
};

/** Source text that runs runTcpEngine in a worker thread on `workerData` (an EngineJob). */
export function engineWorkerSource(): string {
  return [
    // Bundlers may wrap functions with a name-keeping helper; the worker has none of its own.
    'var __name = (f) => f;',
    "const { parentPort, workerData } = require('node:worker_threads');",
    `const run = ${runTcpEngine.toString()};`,
    // The parent terminates the worker after "done", or to stop it early.
    'const lane = run(workerData, (b) => parentPort.postMessage(b, [b.buffer]), () => parentPort.postMessage("done"));',
    "parentPort.on('message', (m) => (m === 'pause' ? lane.pause() : lane.resume()));",
  ].join('\n');
}
