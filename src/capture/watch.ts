/**
 * `ntk watch`: packets from a source (a live interface or a pcap file) to tcpdump-identical lines on stdout,
 * or to a pcap file with -w.
 */
import { openSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { diag, type Io } from '../cli/io.js';
import { PrintContext, type PrintOptions } from '../print/context.js';
import { canPrint, formatPacket } from '../print/dispatch.js';
import { LINKTYPE_NAMES } from '../print/tables.js';
import { compileFilter, FilterSyntaxError, type PacketFilter } from '../print/filter.js';
import { createError } from '../errors.js';
import { errnoOf, errnoWords } from '../net/sockerr.js';
import type { Packet, PacketSink, PacketSource, SourceEnd } from './source.js';
import { PcapFileSource, PcapStreamSource, PcapWriter } from './pcap-file.js';

export interface WatchOptions {
  print: PrintOptions;
  /** -i: the interface to capture on (undefined: the first non-loopback interface that is up, as tcpdump). */
  iface?: string;
  /** -r: read packets from this pcap file instead of capturing. */
  readFile?: string;
  /** -w: write packets to this pcap file instead of printing them ("-" for stdout). */
  writeFile?: string;
  /** -c: stop after this many packets. */
  count?: number;
  /** -s: bytes of each packet to keep (tcpdump's default 262144). */
  snaplen: number;
  /** The filter expression ('' for none): compiled by libpcap when capturing, evaluated by print/filter.ts on files. */
  filter: string;
  /** -D: list the interfaces and exit. */
  listDevices: boolean;
  /** -p was given: cap always captures in promiscuous mode, which ntk says instead of pretending. */
  noPromisc: boolean;
}

/** Output is handed to stdout in pieces of about this size. */
const BATCH = 1 << 18;

/** "EN10MB (Ethernet)" for the stderr banner lines, as tcpdump prints libpcap's names. */
export function linktypeText(linktype: number): string {
  const n = LINKTYPE_NAMES.get(linktype);
  return n === undefined ? String(linktype) : `${n[0]} (${n[1]})`;
}

/** A file error in strerror's words ("No space left on device"), for the ones sockerr does not know. */
function fileErrorWords(err: unknown): string {
  const words = errnoWords(err);
  const m = /^[A-Z]+: (.+?)(, \w+.*)?$/.exec(words);
  return m ? (m[1] as string).charAt(0).toUpperCase() + (m[1] as string).slice(1) : words;
}

/** Runs `ntk watch`; resolves with the exit status. */
export async function runWatch(opts: WatchOptions, io: Io): Promise<number> {
  if (opts.listDevices) {
    const { listDevices } = await import('./live.js');
    const lines = await listDevices();
    io.stdout.write(lines.map((l) => l + '\n').join(''));
    return 0;
  }
  let source: PacketSource;
  let filter: PacketFilter | undefined;
  let closing: (() => string[]) | undefined;
  if (opts.readFile !== undefined) {
    // "-" is standard input, as for tcpdump.
    source = opts.readFile === '-' ? await PcapStreamSource.open(io.stdin, '-') : await PcapFileSource.open(opts.readFile);
    diag(io, `reading from file ${opts.readFile}, link-type ${linktypeText(source.linktype)}, snapshot length ${source.snaplen}`);
    // SLL2 records interface indexes of the capturing host, which ntk names from this host's interfaces.
    if (source.linktype === 276) diag(io, 'Warning: interface names might be incorrect');
    if (opts.filter.trim() !== '') {
      // libpcap compiles filters only for an open interface here, so files get ntk's own evaluator.
      try {
        filter = compileFilter(opts.filter);
      } catch (err) {
        if (!(err instanceof FilterSyntaxError)) throw err;
        source.close();
        throw createError('E_CAPTURE', 'watch', `bad filter "${opts.filter}": ${err.message}`);
      }
    }
  } else {
    const { openLive } = await import('./live.js');
    const live = await openLive({ iface: opts.iface, filter: opts.filter, snaplen: opts.snaplen, signal: io.interrupt });
    source = live;
    closing = () => live.closingCounts();
    if (opts.noPromisc) diag(io, 'ntk: -p has no effect: capture through cap is always promiscuous');
    // tcpdump's opening lines: "listening on" carries the program name only when it is not the second line.
    const quiet = opts.writeFile === undefined && opts.print.verbose === 0;
    if (quiet) diag(io, 'ntk: verbose output suppressed, use -v[v]... for full protocol decode');
    diag(io, `${quiet ? '' : 'ntk: '}listening on ${live.iface}, link-type ${linktypeText(live.linktype)}, snapshot length ${live.snaplen} bytes`);
    for (const note of live.notes) diag(io, `ntk: ${note}`);
  }
  if (opts.writeFile === undefined && !canPrint(source.linktype)) {
    source.close();
    throw createError('E_FORMAT', 'watch', `unsupported data link type ${linktypeText(source.linktype)}`);
  }
  const onAbort = (): void => source.close();
  io.interrupt.addEventListener('abort', onAbort, { once: true });
  try {
    const { end, seen, broken } = await pump(opts, io, source, filter);
    if (closing !== undefined) {
      // tcpdump's closing counts, on stderr after the last line.
      diag(io, `${seen} packet${seen === 1 ? '' : 's'} captured`);
      for (const line of closing()) diag(io, line);
    }
    if (broken) return 0;
    if (end.error !== undefined) throw end.error;
    return 0;
  } finally {
    io.interrupt.removeEventListener('abort', onAbort);
  }
}

/** Moves packets from `source` to stdout (printed) or to the -w file until the source ends or -c is reached. */
async function pump(opts: WatchOptions, io: Io, source: PacketSource, filter: PacketFilter | undefined): Promise<{ end: SourceEnd; seen: number; broken: boolean }> {
  let seen = 0;
  let broken = false;
  const limit = opts.count ?? Infinity;
  let out: Writable;
  let writer: PcapWriter | undefined;
  let ownStream = false;
  if (opts.writeFile !== undefined) {
    if (opts.writeFile === '-') out = io.stdout;
    else {
      let fd: number;
      try {
        fd = openSync(opts.writeFile, 'w');
      } catch (err) {
        source.close();
        throw createError('E_IO', 'watch', `${opts.writeFile}: ${fileErrorWords(err)}`, { cause: err });
      }
      out = createWriteStream('', { fd });
      ownStream = true;
    }
    writer = new PcapWriter(out, source.linktype, source.snaplen);
  } else {
    out = io.stdout;
  }
  let failure: Error | undefined;
  const onError = (err: Error): void => {
    // A closed pipe (`| head`) ends the run quietly, as SIGPIPE ends tcpdump; any other write error is reported.
    broken = true;
    if (ownStream || errnoOf(err) !== 'EPIPE') {
      failure = createError('E_IO', 'watch', `${ownStream ? opts.writeFile : 'standard output'}: ${fileErrorWords(err)}`, { cause: err });
    }
    source.close();
  };
  out.on('error', onError);
  const ctx = new PrintContext(opts.print);
  // Lines are encoded straight into a large buffer, handed to stdout when full: one write per BATCH bytes.
  // Printers produce single-byte characters only (tcpdump escapes everything else), so latin1 is exact.
  let batch = Buffer.allocUnsafe(BATCH);
  let used = 0;
  let scheduled = false;
  const flush = (): boolean => {
    scheduled = false;
    if (broken) return true;
    if (writer !== undefined) return writer.flush();
    if (used === 0) return !out.writableNeedDrain;
    const data = batch.subarray(0, used);
    batch = Buffer.allocUnsafe(BATCH);
    used = 0;
    return out.write(data);
  };
  const append = (text: string): void => {
    if (used + text.length > BATCH) {
      flush();
      if (text.length > BATCH) {
        out.write(text, 'latin1');
        return;
      }
    }
    used += batch.write(text, used, 'latin1');
  };
  const sink: PacketSink = {
    packet(pkt: Packet): void {
      if (seen >= limit) return;
      if (filter !== undefined && !filter(source.linktype, pkt.data, pkt.caplen)) return;
      seen++;
      if (writer !== undefined) writer.write(pkt);
      else {
        append(formatPacket(ctx, source.linktype, pkt));
      }
      if (seen >= limit) source.close();
      else if (!scheduled) {
        // Live packets arrive one by one: hand them to stdout soon, in one write per turn of the event loop.
        scheduled = true;
        setImmediate(flush);
      }
    },
    backlog(): Promise<void> | undefined {
      if (flush() || broken) return undefined;
      return new Promise((resolve) => {
        const done = (): void => {
          out.off('drain', done);
          out.off('close', done);
          resolve();
        };
        out.on('drain', done);
        out.on('close', done);
      });
    },
  };
  const end = await source.run(sink);
  flush();
  // A file stream reports a failed last write only before 'close': wait for it.
  if (ownStream && !out.destroyed) await new Promise<void>((resolve) => out.once('close', resolve).end());
  else if (!broken) await new Promise<void>((resolve) => out.write('', () => resolve()));
  out.off('error', onError);
  if (failure !== undefined) throw failure;
  return { end, seen, broken };
}
