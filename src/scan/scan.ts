/**
 * `ntk scan`: resolve the targets, probe the (host, port) space in lanes (for a large TCP scan: this thread and a
 * worker thread per further core, each claiming blocks of probes as it goes), and print results in space order
 * as they complete: open ports (default), nc's -v lines, or NDJSON, then a summary. The parts: engines and lanes
 * (engine.ts, lanes.ts), result ordering (order.ts), flow control (writer.ts), progress (progress.ts),
 * re-probing and banners (reprobe.ts), wording (output.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, networkInterfaces } from 'node:os';
import { diag, STDOUT_CLOSED, type Io } from '../lib/io.js';
import { UV } from '../lib/errno.js';
import { createError, EXIT_FAILURE, EXIT_OK, isNtkError } from '../lib/errors.js';
import { resolveHost, type Family } from '../lib/resolve.js';
import type { Proto } from '../lib/services.js';
import { defaultTcpEngine, runTcpEngine, type EngineJob, type TcpEngine } from './engine.js';
import { runTcpLanes, scanWorkerScript } from './lanes.js';
import { mergeShards, type MergeOptions } from './merge.js';
import { portResult, summaryLine, type PortResult, type ScanHost, type ScanSummary } from './output.js';
import { ResultOrder } from './order.js';
import { formatPortList } from './ports.js';
import { startProgress } from './progress.js';
import { OpenFollowUp } from './reprobe.js';
import { announce } from '../lib/sockets-tap.js';
import { blockAddresses, formatShard, isLocalAddress, shardSize, type Shard, type TargetSpec } from './targets.js';
import { runUdpEngine } from './udp.js';
import { ResultWriter } from './writer.js';

export { limiter } from './banner.js';

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
/** Each worker thread needs descriptors of its own (event loop, wakeups): below this budget, one thread. */
const WORKER_MIN_BUDGET = 128;
/** Lanes at most: one per core, up to this many. */
const MAX_LANES = 4;

/** Runs `ntk scan`: a scan, or with --merge the joining of shard files; resolves with the exit status. */
export function runScan(opts: ScanOptions | { merge: MergeOptions }, io: Io): Promise<number> {
  return 'merge' in opts ? mergeShards(opts.merge, io) : scan(opts, io);
}

/**
 * Runs the scan; resolves with 0 when at least one port is open, else 1. After Ctrl-C (or SIGTERM) it still
 * writes what it has in order and the summary (marked interrupted), then throws E_INTERRUPTED, as it does at
 * once when stdout is gone.
 * `engine` probes TCP lanes: by default the libuv one when its binding is usable, else the net.Socket one.
 */
export async function scan(opts: ScanOptions, io: Io, engine: TcpEngine = defaultTcpEngine()): Promise<number> {
  const start = performance.now();
  const hosts = await resolveTargets(opts, io);
  announce({ type: 'scan', proto: opts.proto, hosts: hosts.flatMap((h) => (h ? [h.address] : [])), ports: opts.ports });
  const P = opts.ports.length;
  const { shard } = opts;
  const expected = expectedProbes(hosts, P, shard);
  const progress = startProgress(io, opts.verbose, expected);
  const writer = new ResultWriter(io, opts, progress);
  const followUp = new OpenFollowUp(opts, engine);
  const count = shardSize(hosts.length * P, shard); // probes of this shard

  // Probe k of this shard has sequence (k - I) / N; results are released in sequence order.
  const kOf = (seq: number): number => shard.index + seq * shard.count;
  const quiet = !opts.json && !opts.verbose;
  let probes = 0;
  const order = new ResultOrder<PortResult>(
    count,
    (seq) => !hosts[Math.floor(kOf(seq) / P)],
    (seq, status, rttMs, settled) => {
      probes++;
      progress.tick();
      if (settled) return writer.write(settled);
      // The common case of a large scan, a refused port printed nowhere, costs no object.
      if (quiet && status === UV.ECONNREFUSED) return void writer.counts.closed++;
      const k = kOf(seq);
      writer.write(
        portResult(hosts[Math.floor(k / P)] as ScanHost, opts.ports[k % P] as number, opts.proto, status, rttMs),
      );
    },
  );
  const onResult = (k: number, status: number, rttMs: number): void => {
    const seq = (k - shard.index) / shard.count;
    const host = hosts[Math.floor(k / P)] as ScanHost;
    if (!followUp.wants(host, status)) return order.put(seq, status, rttMs);
    order.hold(seq);
    const r = portResult(host, opts.ports[k % P] as number, opts.proto, status, rttMs);
    followUp.follow(r, host, (done) => order.settle(seq, done));
  };

  try {
    if (opts.proto === 'udp') {
      const job = { hosts, ports: opts.ports, first: shard.index, step: shard.count, count };
      const limits = {
        concurrency: concurrencyFor(opts),
        timeoutMs: opts.timeoutMs,
        rate: opts.rate,
        retries: opts.retries,
      };
      await runUdpEngine({ ...job, ...limits }, onResult, io.interrupt);
    } else {
      const jobs = tcpJobs(opts, hosts, count, engine, expected);
      if (io.env.NTK_DEBUG) diag(io, `ntk: scan: ${jobs.length} lane${jobs.length === 1 ? '' : 's'}`);
      const running = runTcpLanes(jobs, engine, io.interrupt, batchReader(onResult), CONTEXT);
      writer.flow = running;
      await running.done;
    }
    if (!io.interrupt.aborted) await followUp.idle();
  } finally {
    progress.clear();
  }
  const interrupted = io.interrupt.aborted;
  // stdout gone or failing: nothing more can be written there.
  if (interrupted && (io.interrupt.reason === STDOUT_CLOSED || isNtkError(io.interrupt.reason))) {
    throw createError('E_INTERRUPTED', CONTEXT, 'interrupted');
  }
  if (!interrupted) {
    order.drain();
    if (!order.done) throw createError('E_INTERNAL', CONTEXT, 'some probes gave no result');
  }
  writer.close();

  const { counts } = writer;
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
    ...(interrupted ? { interrupted: true as const } : {}),
  };
  if (opts.json) io.stdout.write(JSON.stringify(summary) + '\n');
  diag(io, summaryLine(summary));
  if (interrupted) throw createError('E_INTERRUPTED', CONTEXT, 'interrupted');
  return counts.open > 0 ? EXIT_OK : EXIT_FAILURE;
}

/** Reads an engine's result batches, (probe index, status, rtt) triples, into `onResult`. */
function batchReader(onResult: (k: number, status: number, rttMs: number) => void): (b: Float64Array) => void {
  return (b) => {
    for (let i = 0; i + 2 < b.length; i += 3) onResult(b[i] as number, b[i + 1] as number, b[i + 2] as number);
  };
}

/**
 * The TCP lanes' jobs, sharing one claim counter and splitting the descriptor budget and the rate. More than one
 * lane only with the libuv engine, a bundled worker, and descriptors to spare (each worker thread needs some).
 */
function tcpJobs(
  opts: ScanOptions,
  hosts: (ScanHost | null)[],
  count: number,
  engine: TcpEngine,
  expected: number,
): EngineJob[] {
  const budget = concurrencyFor(opts);
  const lanes =
    budget < WORKER_MIN_BUDGET || engine !== runTcpEngine || !scanWorkerScript() ? 1 : laneCount(opts, expected);
  const claim = new BigInt64Array(new SharedArrayBuffer(8));
  return Array.from({ length: lanes }, () => ({
    hosts: hosts.map((h) => (h ? { address: h.address, family: h.family } : null)),
    ports: opts.ports,
    first: opts.shard.index,
    step: opts.shard.count,
    count,
    claim,
    concurrency: Math.max(1, Math.floor(budget / lanes)),
    timeoutMs: opts.timeoutMs,
    rate: opts.rate / lanes,
    fin: opts.fin,
  }));
}

/** Resolves names (a failure is reported in one line and that HOST skipped) and expands blocks, in order. */
async function resolveTargets(opts: ScanOptions, io: Io): Promise<(ScanHost | null)[]> {
  const own = ownAddresses();
  const hosts: (ScanHost | null)[] = [];
  for (const t of opts.targets) {
    if (t.kind === 'address')
      hosts.push({ address: t.address, family: t.family, local: isLocalAddress(t.address, own) });
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
  return expected >= WORKER_THRESHOLD ? Math.max(1, Math.min(availableParallelism(), MAX_LANES)) : 1;
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
