/**
 * `ntk scan`: resolve the targets, probe the (host, port) space in lanes (for a large TCP scan: this thread and a
 * worker thread per further core, each claiming blocks of probes as it goes), and print results in space order
 * as they complete: open ports (default), nc's -v lines, or NDJSON, then a summary. Open ports on this machine's own addresses are probed once more, alone, because two
 * probes on loopback can connect to each other (TCP simultaneous open, RFC 9293 §3.5) without any listener.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { availableParallelism, networkInterfaces } from 'node:os';
import { Worker } from 'node:worker_threads';
import { diag, type Io } from '../lib/io.js';
import { createError, EXIT_FAILURE, EXIT_OK, isNtkError } from '../lib/errors.js';
import { resolveHost, type Family } from '../lib/resolve.js';
import {
  defaultTcpEngine,
  engineWorkerSource,
  runTcpEngine,
  type EngineJob,
  type LaneControl,
  type TcpEngine,
} from './engine.js';
import { mergeShards, type MergeOptions } from './merge.js';
import {
  classify,
  emptyCounts,
  portJson,
  portLine,
  summaryLine,
  verboseLine,
  type PortResult,
  type ScanSummary,
} from './output.js';
import { ResultOrder } from './order.js';
import { runUdpEngine } from './udp.js';
import { formatPortList } from './ports.js';
import type { Proto } from '../lib/services.js';
import { announce } from '../lib/sockets-tap.js';
import { blockAddresses, formatShard, isLocalAddress, shardSize, type Shard, type TargetSpec } from './targets.js';

const CONTEXT = 'scan';

export interface ScanOptions {
  targets: TargetSpec[];
  ports: number[];
  proto: Proto;
  family: Family;
  /** -n: no DNS; the service shows as `*` in -v lines, as nc prints it. */
  numeric: boolean;
  verbose: boolean;
  json: boolean;
  /** -w: how long a probe waits for an answer, in ms. */
  timeoutMs: number;
  /** Probes in flight at most (capped by the file-descriptor limit); undefined: the default. */
  concurrency?: number;
  /** Probes started per second at most; 0: no limit. */
  rate: number;
  shard: Shard;
  /** --fin: close connected probes politely (FIN, as nc -z) instead of with a RST. */
  fin: boolean;
  /** --banner: read what open ports say first. */
  banner: boolean;
  /** UDP: how many times an unanswered probe is sent again. */
  retries: number;
  /** Lanes (threads) for TCP; undefined: one per core for large scans. */
  lanes?: number;
}

/** Default probes in flight: enough to wait out a thousand dropped ports at once. */
export const DEFAULT_CONCURRENCY = { tcp: 1024, udp: 256 } as const;
/** Descriptors kept free for everything else (stdio, worker threads' event loops, banner connections). */
const FD_RESERVE = 48;
/** Below this many probes one thread is quicker than starting workers. */
const WORKER_THRESHOLD = 4096;
const BANNER_BYTES = 512;
const BANNER_WAIT_MS = 2000;
/** Banner connections open at once, at most (each holds a descriptor while the scan goes on). */
const BANNER_CONCURRENCY = 32;
const ECONNREFUSED = -111;
const ETIMEDOUT = -110;

interface Host {
  address: string;
  family: 4 | 6;
  name?: string;
  local: boolean;
}

/** Runs `ntk scan`: a scan, or with --merge the joining of shard files; resolves with the exit status. */
export function runScan(opts: ScanOptions | { merge: MergeOptions }, io: Io): Promise<number> {
  return 'merge' in opts ? mergeShards(opts.merge, io) : scan(opts, io);
}

/**
 * Runs the scan; resolves with 0 when at least one port is open, else 1; throws NtkError (E_INTERRUPTED…).
 * `engine` probes TCP lanes: by default the libuv one when its binding is usable, else the net.Socket one.
 */
export async function scan(opts: ScanOptions, io: Io, engine: TcpEngine = defaultTcpEngine()): Promise<number> {
  const start = performance.now();
  const hosts = await resolveTargets(opts, io);
  announce({ type: 'scan', proto: opts.proto, hosts: hosts.flatMap((h) => (h ? [h.address] : [])), ports: opts.ports });
  const P = opts.ports.length;
  const total = hosts.length * P;
  const { shard } = opts;

  const counts = emptyCounts();
  let probes = 0;
  const progress = startProgress(io, opts, expectedProbes(hosts, P, shard));
  const out: string[] = [];
  const err: string[] = [];
  let flushing = false;
  // Backpressure: while stdout (or stderr, for -v) has more queued than it wants, the lanes start no probes.
  let flow: Pick<Lanes, 'pause' | 'resume'> | undefined;
  let waiting = 0;
  const send = (stream: NodeJS.WritableStream, text: string): void => {
    if (stream.write(text) || !flow) return;
    if (waiting++ === 0) flow.pause();
    stream.once('drain', () => {
      if (--waiting === 0) flow?.resume();
    });
  };
  const flush = (): void => {
    if (out.length === 0 && err.length === 0) return;
    progress.hide(); // a terminal shows stdout and stderr on one screen: no line after a half progress line
    if (out.length > 0) send(io.stdout, out.splice(0).join('\n') + '\n');
    if (err.length > 0) send(io.stderr, err.splice(0).join('\n') + '\n');
  };
  const write = (r: PortResult): void => {
    counts[r.state]++;
    if (opts.json) out.push(portJson(r));
    if (opts.verbose) err.push(verboseLine(r, opts.numeric));
    else if (!opts.json && r.state === 'open') out.push(portLine(r));
    if (!flushing) {
      flushing = true;
      setImmediate(() => {
        flushing = false;
        flush();
      });
    }
  };

  // Probe k of this shard has sequence (k - I) / N; results are released in sequence order.
  const kOf = (seq: number): number => shard.index + seq * shard.count;
  const quiet = !opts.json && !opts.verbose;
  const count = shardSize(total, shard); // probes of this shard
  const order = new ResultOrder<PortResult>(
    count,
    (seq) => !hosts[Math.floor(kOf(seq) / P)],
    (seq, status, rttMs, settled) => {
      probes++;
      progress.tick();
      if (settled) return write(settled);
      // The common case of a large scan, a refused port printed nowhere, costs no object.
      if (quiet && status === ECONNREFUSED) return void counts.closed++;
      const k = kOf(seq);
      write(result(hosts[Math.floor(k / P)] as Host, opts.ports[k % P] as number, opts.proto, status, rttMs));
    },
  );

  let confirmChain: Promise<unknown> = Promise.resolve();
  const held: Promise<unknown>[] = [];
  const bannerSlot = limiter(BANNER_CONCURRENCY);
  const onResult = (k: number, status: number, rttMs: number): void => {
    const seq = (k - shard.index) / shard.count;
    const host = hosts[Math.floor(k / P)] as Host;
    const banner = opts.banner && opts.proto === 'tcp';
    if (status !== 0 || !(host.local || banner)) return order.put(seq, status, rttMs);
    // An open port on one of our own addresses is probed again alone; with --banner, a TCP one is read.
    order.hold(seq);
    const port = opts.ports[k % P] as number;
    const r = result(host, port, opts.proto, status, rttMs);
    const confirmNow = (): Promise<{ status: number; rttMs: number }> => {
      const turn = confirmChain.then(() => confirm(host, port, opts, engine));
      confirmChain = turn.catch(() => undefined);
      return turn;
    };
    held.push(finishOpen(r, host, opts, confirmNow, bannerSlot).then((done) => order.settle(seq, done)));
  };

  const budget = concurrencyFor(opts);
  // Each worker thread needs descriptors of its own (event loop, wakeups): with few to spare, use one thread.
  // Worker threads run the libuv engine only (the fallback is one lane in this thread).
  const lanes = budget < 128 || engine !== runTcpEngine ? 1 : laneCount(opts, expectedProbes(hosts, P, shard));
  try {
    if (opts.proto === 'udp') {
      await runUdpEngine(
        {
          hosts,
          ports: opts.ports,
          first: shard.index,
          step: shard.count,
          count,
          concurrency: budget,
          timeoutMs: opts.timeoutMs,
          rate: opts.rate,
          retries: opts.retries,
        },
        onResult,
        io.interrupt,
      );
    } else {
      const running = runTcpLanes(opts, hosts, count, lanes, budget, io.interrupt, onResult, engine);
      flow = running;
      await running.done;
    }
    await confirmChain;
    await Promise.all(held);
  } finally {
    progress.clear();
  }
  if (io.interrupt.aborted) throw createError('E_INTERRUPTED', CONTEXT, 'interrupted');
  order.drain();
  if (!order.done) throw createError('E_INTERNAL', CONTEXT, 'some probes gave no result');
  flush();

  const summary: ScanSummary = {
    type: 'summary',
    proto: opts.proto,
    targets: opts.targets.map((t) => t.text),
    ports: formatPortList(opts.ports),
    hosts: hosts.length,
    port_count: P,
    shard: formatShard(shard),
    probes,
    open: counts.open,
    closed: counts.closed,
    filtered: counts.filtered,
    unreachable: counts.unreachable,
    ...(opts.proto === 'udp' ? { 'open|filtered': counts['open|filtered'] } : {}),
    seconds: Math.round(performance.now() - start) / 1000,
  };
  if (opts.json) io.stdout.write(JSON.stringify(summary) + '\n');
  diag(io, summaryLine(summary));
  return counts.open > 0 ? EXIT_OK : EXIT_FAILURE;
}

/** Builds a PortResult from an engine triple. */
function result(host: Host, port: number, proto: Proto, status: number, rttMs: number): PortResult {
  const { state, reason } = classify(proto, status);
  const r: PortResult = { host: host.address, port, proto, state, reason, status, rttMs };
  if (host.name !== undefined) r.name = host.name;
  return r;
}

/** Resolves names (a failure is reported in one line and that HOST skipped) and expands blocks, in order. */
async function resolveTargets(opts: ScanOptions, io: Io): Promise<(Host | null)[]> {
  const own = ownAddresses();
  const hosts: (Host | null)[] = [];
  for (const t of opts.targets) {
    if (t.kind === 'address') hosts.push({ address: t.address, family: t.family, local: isLocalAddress(t.address, own) });
    else if (t.kind === 'block') {
      for (const address of blockAddresses(t)) {
        hosts.push({ address, family: t.family, local: isLocalAddress(address, own) });
      }
    } else {
      try {
        const [first] = await resolveHost(CONTEXT, t.name, opts.family);
        const a = first as { address: string; family: 4 | 6 };
        hosts.push({ address: a.address, family: a.family, name: t.name, local: isLocalAddress(a.address, own) });
      } catch (err) {
        if (!isNtkError(err)) throw err;
        diag(io, `ntk: ${CONTEXT}: ${err.message}`);
        hosts.push(null);
      }
    }
  }
  return hosts;
}

function ownAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}

/** How many probes this shard makes: the slice of the space that belongs to resolved hosts. */
export function expectedProbes(hosts: readonly (unknown | null)[], ports: number, shard: Shard): number {
  let n = 0;
  hosts.forEach((h, i) => {
    if (h) n += shardSize((i + 1) * ports, shard) - shardSize(i * ports, shard);
  });
  return n;
}

function laneCount(opts: ScanOptions, expected: number): number {
  if (opts.proto === 'udp') return 1;
  if (opts.lanes !== undefined) return opts.lanes;
  return expected >= WORKER_THRESHOLD ? Math.max(1, Math.min(availableParallelism(), 4)) : 1;
}

/**
 * Probes in flight for the whole scan: the asked (or default) number, kept below the soft RLIMIT_NOFILE minus
 * the descriptors already open and a reserve, so a low `ulimit -n` slows the scan instead of failing it.
 */
export function concurrencyFor(opts: Pick<ScanOptions, 'concurrency' | 'proto'>, limits = fdLimits()): number {
  const wanted = opts.concurrency ?? DEFAULT_CONCURRENCY[opts.proto];
  if (!limits) return wanted;
  return Math.max(1, Math.min(wanted, limits.soft - limits.open - FD_RESERVE));
}

/** The soft open-files limit (from /proc/self/limits) and the descriptors open now; undefined off Linux. */
export function fdLimits(): { soft: number; open: number } | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!m?.[1]) return undefined;
    const soft = m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
    return { soft, open: readdirSync('/proc/self/fd').length };
  } catch {
    return undefined;
  }
}

/** Running TCP lanes: resolves `done` when all are finished (or stopped by `interrupt`). */
interface Lanes {
  done: Promise<void>;
  pause(): void;
  resume(): void;
}

/**
 * Runs `engine` in `lanes` lanes: lane 0 in this thread, the others in worker threads (libuv engine only), which
 * are started once lane 0 has delivered its first results, so a scan whose engine fails costs no threads.
 */
function runTcpLanes(
  opts: ScanOptions,
  hosts: (Host | null)[],
  count: number,
  lanes: number,
  concurrency: number,
  interrupt: AbortSignal,
  onResult: (k: number, status: number, rttMs: number) => void,
  engine: TcpEngine,
): Lanes {
  const onBatch = (b: Float64Array): void => {
    for (let i = 0; i + 2 < b.length; i += 3) onResult(b[i] as number, b[i + 1] as number, b[i + 2] as number);
  };
  const per = Math.max(1, Math.floor(concurrency / lanes));
  const claim = new BigInt64Array(new SharedArrayBuffer(8));
  const jobs: EngineJob[] = Array.from({ length: lanes }, () => ({
    hosts: hosts.map((h) => (h ? { address: h.address, family: h.family } : null)),
    ports: opts.ports,
    first: opts.shard.index,
    step: opts.shard.count,
    count,
    claim,
    concurrency: per,
    timeoutMs: opts.timeoutMs,
    rate: opts.rate / lanes,
    fin: opts.fin,
  }));
  const controls: LaneControl[] = [];
  let paused = false;
  const done = new Promise<void>((resolve, reject) => {
    let left = lanes;
    let workersStarted = false;
    const laneDone = (): void => {
      if (--left === 0) {
        interrupt.removeEventListener('abort', onAbort);
        resolve();
      }
    };
    const onAbort = (): void => {
      workersStarted = true; // none after a stop
      for (const c of controls) c.stop();
      resolve();
    };
    interrupt.addEventListener('abort', onAbort, { once: true });
    const startWorkers = (): void => {
      if (workersStarted) return;
      workersStarted = true;
      const source = lanes > 1 ? engineWorkerSource() : '';
      for (const job of jobs.slice(1)) {
        const worker = new Worker(source, { eval: true, workerData: job });
        controls.push({
          stop: () => void worker.terminate(),
          pause: () => worker.postMessage('pause'),
          resume: () => worker.postMessage('resume'),
        });
        if (paused) worker.postMessage('pause');
        worker.on('message', (m: Float64Array | string) => {
          if (typeof m === 'string') {
            void worker.terminate();
            laneDone();
          } else onBatch(m);
        });
        worker.on('error', (err) => {
          for (const c of controls) c.stop();
          reject(createError('E_INTERNAL', CONTEXT, `scan thread failed: ${err.message}`, { cause: err }));
        });
      }
    };
    const lane0 = engine(
      jobs[0] as EngineJob,
      (b) => {
        startWorkers();
        onBatch(b);
      },
      () => {
        // Lane 0 finished before it had any result: the whole space was claimed, no worker is needed.
        if (!workersStarted) {
          workersStarted = true;
          left = 1;
        }
        laneDone();
      },
    );
    controls.unshift(lane0);
  });
  return {
    done,
    pause: () => {
      paused = true;
      controls.forEach((c) => c.pause());
    },
    resume: () => {
      paused = false;
      controls.forEach((c) => c.resume());
    },
  };
}

/**
 * One quiet probe of an open port: the answer when no other probe of ours is in flight to cross it (TCP
 * simultaneous open, or a UDP probe that receives another probe's datagram).
 */
async function confirm(
  host: Host,
  port: number,
  opts: ScanOptions,
  engine: TcpEngine,
): Promise<{ status: number; rttMs: number }> {
  if (opts.proto === 'udp') {
    let answer = { status: -110, rttMs: opts.timeoutMs };
    const job = { hosts: [host], ports: [port], first: 0, step: 1, count: 1, concurrency: 1, rate: 0, retries: 1 };
    const emit = (_k: number, status: number, rttMs: number): void => void (answer = { status, rttMs });
    await runUdpEngine({ ...job, timeoutMs: opts.timeoutMs }, emit, new AbortController().signal);
    return answer;
  }
  return new Promise((resolve) => {
    const job: EngineJob = {
      hosts: [{ address: host.address, family: host.family }],
      ports: [port],
      first: 0,
      step: 1,
      count: 1,
      claim: new BigInt64Array(1),
      concurrency: 1,
      timeoutMs: opts.timeoutMs,
      rate: 0,
      fin: opts.fin,
    };
    let status = -110;
    let rttMs = opts.timeoutMs;
    engine(
      job,
      (b) => {
        status = b[1] as number;
        rttMs = b[2] as number;
      },
      () => resolve({ status, rttMs }),
    );
  });
}

/** Confirms an open port on a local address with a quiet probe of its own, and reads its banner (--banner). */
async function finishOpen(
  r: PortResult,
  host: Host,
  opts: ScanOptions,
  confirmNow: () => Promise<{ status: number; rttMs: number }>,
  slot: Limiter,
): Promise<PortResult> {
  let done = r;
  if (host.local) {
    const again = await confirmNow();
    // The first answer stands when the quiet probe heard nothing (a UDP service may answer only sometimes).
    if (again.status !== 0 && again.status !== ETIMEDOUT) done = result(host, r.port, r.proto, again.status, again.rttMs);
  }
  if (opts.banner && done.state === 'open') {
    const banner = await slot(() => readBanner(host, r.port, Math.min(opts.timeoutMs, BANNER_WAIT_MS)));
    if (banner.length > 0) done = { ...done, banner };
  }
  return done;
}

/** Runs a task when one of its slots is free. */
type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** Returns a Limiter with `slots` slots: at most that many tasks run at once, the others wait in order. */
export function limiter(slots: number): Limiter {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    // A finished task hands its slot straight to the next waiting one, so no newcomer can slip in between.
    if (running < slots) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/** Reads what a service says first: up to BANNER_BYTES, for at most `waitMs`; never throws. */
function readBanner(host: Host, port: number, waitMs: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const socket = tcpConnect({ host: host.address, port, family: host.family });
    const end = (): void => {
      clearTimeout(timer);
      socket.resetAndDestroy();
      resolve(Buffer.concat(chunks).subarray(0, BANNER_BYTES));
    };
    const timer = setTimeout(end, waitMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (size >= BANNER_BYTES || c.includes(10)) end();
    });
    socket.on('end', end);
    socket.on('error', end);
  });
}

interface Progress {
  tick(): void;
  /** Erases the progress line until the next update. */
  hide(): void;
  /** Erases it and stops updating. */
  clear(): void;
}

/** Progress on stderr (done/total, rate, ETA) for large scans when stderr is a terminal; silent otherwise. */
function startProgress(io: Io, opts: ScanOptions, expected: number): Progress {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  if (!tty || expected < 5000 || opts.verbose) return { tick: () => {}, hide: () => {}, clear: () => {} };
  const t0 = performance.now();
  let done = 0;
  let shown = false;
  const timer = setInterval(() => {
    const s = (performance.now() - t0) / 1000;
    const rate = done / Math.max(s, 0.001);
    const eta = rate > 0 ? Math.ceil((expected - done) / rate) : 0;
    io.stderr.write(`\rntk: scan: ${done}/${expected} probes, ${Math.round(rate)}/s, ETA ${eta} s\x1b[K`);
    shown = true;
  }, 250);
  const hide = (): void => {
    if (shown) io.stderr.write('\r\x1b[K');
    shown = false;
  };
  return {
    tick: () => void done++,
    hide,
    clear: () => {
      clearInterval(timer);
      hide();
    },
  };
}
