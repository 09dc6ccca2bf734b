/**
 * `ntk scan --merge FILE...`: joins the --json outputs of the shards of one scan. The summary objects say which
 * scan and which slice each file holds; the merge refuses files from different scans, a slice given twice, a
 * missing slice, or a file cut short, so the result is the full scan exactly once.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { diag, type Io } from '../lib/io.js';
import { addressToBigInt } from '../lib/addresses.js';
import { createError, EXIT_FAILURE, EXIT_OK, usageError } from '../lib/errors.js';
import { errnoWords } from '../lib/errno.js';
import { openLine, summaryLine, type OpenPort, type ScanSummary } from './output.js';

const CONTEXT = 'scan';

export interface MergeOptions {
  files: string[];
  json: boolean;
}

/** A port object of --json output (the fields the merge reads; the rest are passed through). */
type PortObject = OpenPort;

interface ShardFile {
  file: string;
  ports: PortObject[];
  summary: ScanSummary;
  index: number;
  count: number;
}

/** Merges shard files and prints the whole scan; resolves 0 when a port is open, else 1; throws E_FORMAT/E_IO. */
export async function mergeShards(opts: MergeOptions, io: Io): Promise<number> {
  if (opts.files.length === 0)
    throw usageError(CONTEXT, '--merge needs the files of the shards (ntk scan --merge FILE...)');
  const shards = opts.files.map(readShard);
  const merged = checkCoverage(shards);
  const ports = shards.flatMap((s) => s.ports).sort(byAddressThenPort);
  const lines: string[] = [];
  for (const p of ports) {
    if (opts.json) lines.push(JSON.stringify(p));
    else if (p.state === 'open') lines.push(openLine(p));
  }
  if (opts.json) lines.push(JSON.stringify(merged));
  if (lines.length > 0) io.stdout.write(lines.join('\n') + '\n');
  diag(io, summaryLine(merged));
  return merged.open > 0 ? EXIT_OK : EXIT_FAILURE;
}

/** Reads one NDJSON file: its port objects and its summary (which must come last). */
export function readShard(file: string): ShardFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw createError('E_IO', CONTEXT, `cannot read ${file}: ${errnoWords(err)}`, { cause: err });
  }
  const ports: PortObject[] = [];
  let summary: ScanSummary | undefined;
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw createError('E_FORMAT', CONTEXT, `${file} line ${i + 1}: not JSON (is it ntk scan --json output?)`);
    }
    if (summary) throw createError('E_FORMAT', CONTEXT, `${file} line ${i + 1}: data after the summary object`);
    if (isSummary(obj)) summary = obj;
    else if (isPortObject(obj)) ports.push(obj);
    else throw createError('E_FORMAT', CONTEXT, `${file} line ${i + 1}: not a port or summary object`);
  }
  if (!summary) throw createError('E_FORMAT', CONTEXT, `${file}: no summary object (did that scan finish?)`);
  if (summary.interrupted)
    throw createError('E_FORMAT', CONTEXT, `${file}: that scan was interrupted (run the shard again)`);
  if (summary.probes !== ports.length) {
    throw createError(
      'E_FORMAT',
      CONTEXT,
      `${file}: ${ports.length} port results, but its summary says ${summary.probes}`,
    );
  }
  const m = /^(\d+)\/(\d+)$/.exec(summary.shard);
  if (!m) throw createError('E_FORMAT', CONTEXT, `${file}: invalid shard "${summary.shard}" in the summary`);
  return { file, ports, summary, index: Number(m[1]), count: Number(m[2]) };
}

/** Checks the shards are all of one scan and cover it exactly once; returns the summary of the whole. */
export function checkCoverage(shards: ShardFile[]): ScanSummary {
  const first = shards[0];
  if (!first) throw createError('E_FORMAT', CONTEXT, 'nothing to merge');
  const key = (s: ShardFile): string => JSON.stringify([s.summary.proto, s.summary.targets, s.summary.ports, s.count]);
  const seen = new Map<number, string>();
  for (const s of shards) {
    if (key(s) !== key(first)) {
      const why = `${describe(s)} vs ${describe(first)}`;
      throw createError('E_FORMAT', CONTEXT, `${s.file} is from another scan than ${first.file} (${why})`);
    }
    const other = seen.get(s.index);
    if (other !== undefined) {
      throw createError('E_FORMAT', CONTEXT, `shard ${s.summary.shard} given twice: ${other} and ${s.file}`);
    }
    seen.set(s.index, s.file);
  }
  const missing: string[] = [];
  for (let i = 0; i < first.count; i++) if (!seen.has(i)) missing.push(`${i}/${first.count}`);
  if (missing.length > 0) {
    const shown = missing.slice(0, 8).join(', ') + (missing.length > 8 ? `, … (${missing.length} in all)` : '');
    throw createError('E_FORMAT', CONTEXT, `shards missing: ${shown}`);
  }
  const sum = (f: (s: ScanSummary) => number | undefined): number =>
    shards.reduce((n, s) => n + (f(s.summary) ?? 0), 0);
  const merged: ScanSummary = {
    ...first.summary,
    shard: '0/1',
    probes: sum((s) => s.probes),
    open: sum((s) => s.open),
    closed: sum((s) => s.closed),
    filtered: sum((s) => s.filtered),
    unreachable: sum((s) => s.unreachable),
    // The shards ran side by side: the whole took as long as the slowest.
    seconds: Math.max(...shards.map((s) => s.summary.seconds)),
  };
  if (first.summary.proto === 'udp') merged['open|filtered'] = sum((s) => s['open|filtered']);
  return merged;
}

function describe(s: ShardFile): string {
  return `${s.summary.proto} ${s.summary.targets.join(' ')} ${s.summary.ports}, ${s.count} shards`;
}

function isSummary(o: unknown): o is ScanSummary {
  if (typeof o !== 'object' || o === null) return false;
  const s = o as Record<string, unknown>;
  return (
    s.type === 'summary' &&
    (s.proto === 'tcp' || s.proto === 'udp') &&
    Array.isArray(s.targets) &&
    typeof s.ports === 'string' &&
    typeof s.shard === 'string' &&
    typeof s.probes === 'number'
  );
}

function isPortObject(o: unknown): o is PortObject {
  if (typeof o !== 'object' || o === null) return false;
  const p = o as Record<string, unknown>;
  return typeof p.host === 'string' && typeof p.port === 'number' && typeof p.state === 'string';
}

function byAddressThenPort(a: PortObject, b: PortObject): number {
  const fa = isIP(a.host);
  const fb = isIP(b.host);
  if (fa !== fb) return fa - fb;
  if (a.host !== b.host) {
    const x = addressToBigInt(a.host);
    const y = addressToBigInt(b.host);
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.port - b.port;
}
