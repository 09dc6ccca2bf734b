/**
 * `ntk watch`: packets from a source (a live interface or a pcap file) to tcpdump-identical lines on stdout,
 * or to a pcap file with -w.
 */
import { createWriteStream, openSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { diag, type Io } from '../lib/io.js';
import { PrintContext, type PrintOptions } from '../print/context.js';
import { canPrint, printPacket } from '../print/dispatch.js';
import { LINKTYPE_NAMES } from '../print/tables.js';
import { bpfProgram, bpfRun } from './bpf.js';
import { createError } from '../lib/errors.js';
import { errnoOf, errnoWords } from '../lib/errno.js';
import type { PacketSink, PacketSource, SourceEnd } from './source.js';
import { LINKTYPE, type Packet } from '../print/packet.js';
import { PcapFileSource, PcapWriter } from './pcap-file.js';
import type { LiveSource } from './live.js';
import { loadCap, type CapStats } from './native.js';
import { dropPrivileges, holdsCapabilities } from './privileges.js';
import { DEFAULT_MAX_BACKLOG } from './defaults.js';

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
  /** -s: bytes of each packet to keep (tcpdump's default: MAX_SNAPLEN). */
  snaplen: number;
  /**
   * The filter expression ('' for none): compiled by libpcap, which runs it in the kernel when capturing; on
   * files ntk runs the compiled program itself (bpf.ts).
   */
  filter: string;
  /** -B: the capture buffer in KiB (tcpdump's unit); undefined: live.ts's default. */
  bufferKiB?: number;
  /** -D: list the interfaces and exit. */
  listDevices: boolean;
  /** -p was given: cap always captures in promiscuous mode, which ntk says instead of pretending. */
  noPromisc: boolean;
  /** -Z: the user a capture started as root continues as once open ("root" keeps root; default: privileges.ts). */
  user?: string;
  /**
   * --max-backlog: live capture cannot pause: past this many bytes of output waiting for stdout (or the -w
   * file), packets are dropped and counted instead of queued (default DEFAULT_MAX_BACKLOG).
   */
  maxBacklog?: number;
}

export { DEFAULT_MAX_BACKLOG };

/** Output is handed to stdout in pieces of about this size. */
const BATCH = 1 << 18;

/** "EN10MB (Ethernet)" for the stderr banner lines, as tcpdump prints libpcap's names. */
export function linktypeText(linktype: number): string {
  const n = LINKTYPE_NAMES.get(linktype);
  return n === undefined ? String(linktype) : `${n[0]} (${n[1]})`;
}

/** A compiled filter: true when the packet matches. */
export type PacketFilter = (pkt: Packet) => boolean;

/** Compiles `expr` for a file's packets through libpcap; throws E_CAPTURE in libpcap's words. */
async function fileFilter(
  expr: string,
  header: { linktype: number; snaplen: number; bigEndian: boolean },
): Promise<PacketFilter> {
  const { compileFilterFor } = await import('./native.js');
  const prog = bpfProgram(compileFilterFor(expr, header));
  return (pkt) => bpfRun(prog, pkt.data, pkt.len, pkt.caplen, pkt.offset) !== 0;
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
  let live: LiveSource | undefined;
  let afterOpen: (() => void) | undefined;
  if (opts.readFile !== undefined) {
    // "-" is standard input, as for tcpdump.
    const file =
      opts.readFile === '-' ? await PcapFileSource.openStream(io.stdin, '-') : await PcapFileSource.open(opts.readFile);
    source = file;
    diag(
      io,
      `reading from file ${opts.readFile}, link-type ${linktypeText(source.linktype)}, snapshot length ${source.snaplen}`,
    );
    // SLL2 records interface indexes of the capturing host, which ntk names from this host's interfaces.
    if (source.linktype === LINKTYPE.LINUX_SLL2) diag(io, 'Warning: interface names might be incorrect');
    if (opts.filter.trim() !== '') {
      try {
        filter = await fileFilter(opts.filter, file);
      } catch (err) {
        source.close();
        throw err;
      }
    }
    // A file is parsed without privileges too: root continues as -Z USER, capabilities go (through the addon).
    afterOpen = (): void => {
      const note = dropPrivileges(holdsCapabilities() ? loadCap().binding : {}, opts.user);
      if (note !== undefined) diag(io, `ntk: ${note}`);
    };
  } else {
    const { openLive } = await import('./live.js');
    const opened = await openLive({
      iface: opts.iface,
      filter: opts.filter,
      snaplen: opts.snaplen,
      bufferSize: opts.bufferKiB === undefined ? undefined : opts.bufferKiB * 1024,
    });
    live = opened;
    source = opened;
    if (opts.noPromisc) diag(io, 'ntk: -p has no effect: capture through cap is always promiscuous');
    // Once the capture (and the -w file) is open, privileges go; then, as tcpdump does, the opening lines.
    afterOpen = (): void => {
      const dropNote = opened.dropPrivileges(opts.user);
      // tcpdump's opening lines: "listening on" carries the program name only when it is not the second line.
      const quiet = opts.writeFile === undefined && opts.print.verbose === 0;
      if (quiet) diag(io, 'ntk: verbose output suppressed, use -v[v]... for full protocol decode');
      diag(
        io,
        `${quiet ? '' : 'ntk: '}listening on ${opened.iface}, link-type ${linktypeText(opened.linktype)}, snapshot length ${opened.snaplen} bytes`,
      );
      for (const note of opened.notes) diag(io, `ntk: ${note}`);
      if (dropNote !== undefined) diag(io, `ntk: ${dropNote}`);
    };
  }
  if (opts.writeFile === undefined && !canPrint(source.linktype)) {
    source.close();
    throw createError('E_FORMAT', 'watch', `unsupported data link type ${linktypeText(source.linktype)}`);
  }
  // The one place Ctrl-C (or SIGTERM) is heard: every source stops delivering, and run() resolves.
  const onAbort = (): void => source.close();
  if (io.interrupt.aborted) source.close();
  io.interrupt.addEventListener('abort', onAbort, { once: true });
  try {
    const { end, seen, dropped, broken } = await pumpPackets(opts, io, source, filter, afterOpen);
    // tcpdump: "We got interrupted, so perhaps we didn't manage to finish a line we were printing".
    if (io.interrupt.aborted && opts.writeFile === undefined && !broken) io.stdout.write('\n');
    if (live !== undefined) for (const line of closingCounts(seen, live.stats(), dropped)) diag(io, line);
    if (broken) return 0;
    if (end.error !== undefined) throw end.error;
    return 0;
  } finally {
    io.interrupt.removeEventListener('abort', onAbort);
  }
}

/**
 * tcpdump's closing counts for a live capture (its info()), on stderr after the last line: packets captured,
 * then pcap_stats's received and dropped by kernel, and dropped by interface when there were any; when
 * pcap_stats fails, its error as tcpdump words it. Packets ntk itself dropped because its output could not keep
 * up follow, when there were any.
 */
export function closingCounts(seen: number, stats: CapStats | Error | undefined, dropped: number): string[] {
  const counted = (n: number, what: string): string => `${n} packet${n === 1 ? '' : 's'} ${what}`;
  const lines: string[] = [];
  if (stats instanceof Error) lines.push(`pcap_stats: ${stats.message}`);
  else {
    lines.push(counted(seen, 'captured'));
    if (stats !== undefined) {
      lines.push(counted(stats.received, 'received by filter'), counted(stats.dropped, 'dropped by kernel'));
      if (stats.ifdropped !== 0) lines.push(counted(stats.ifdropped, 'dropped by interface'));
    }
  }
  if (dropped > 0) lines.push(counted(dropped, 'dropped by ntk (output too slow)'));
  return lines;
}

/**
 * Moves packets from `source` to stdout (printed) or to the -w file until the source ends or -c is reached.
 * Files wait for a full output; live packets that find more than opts.maxBacklog bytes queued are dropped.
 * `afterOpen` runs once the -w file is open, before the first packet (live capture gives up privileges there).
 */
export async function pumpPackets(
  opts: WatchOptions,
  io: Io,
  source: PacketSource,
  filter: PacketFilter | undefined,
  afterOpen?: () => void,
): Promise<{ end: SourceEnd; seen: number; dropped: number; broken: boolean }> {
  let seen = 0;
  let dropped = 0;
  let broken = false;
  const limit = opts.count ?? Infinity;
  const live = opts.readFile === undefined;
  const maxBacklog = opts.maxBacklog ?? DEFAULT_MAX_BACKLOG;
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
        throw createError('E_IO', 'watch', `${opts.writeFile}: ${errnoWords(err)}`, { cause: err });
      }
      out = createWriteStream('', { fd });
      ownStream = true;
    }
    writer = new PcapWriter(out, source.linktype, source.snaplen);
  } else {
    out = io.stdout;
  }
  try {
    afterOpen?.();
  } catch (err) {
    source.close();
    if (ownStream) out.destroy();
    throw err;
  }
  let failure: Error | undefined;
  const onError = (err: Error): void => {
    // A closed pipe (`| head`) ends the run quietly, as SIGPIPE ends tcpdump; any other write error is reported.
    broken = true;
    if (ownStream || errnoOf(err) !== 'EPIPE') {
      failure = createError('E_IO', 'watch', `${ownStream ? opts.writeFile : 'standard output'}: ${errnoWords(err)}`, {
        cause: err,
      });
    }
    source.close();
  };
  out.on('error', onError);
  const ctx = new PrintContext(opts.print);
  if (io.env.NTK_DEBUG)
    ctx.onInternalError = (err) =>
      diag(io, `ntk: watch: printer error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  // Printers write lines straight into one large buffer (ctx.out), handed to stdout when it holds BATCH bytes:
  // one write per BATCH bytes, and no string per packet.
  const lines = ctx.out;
  lines.chars = Buffer.allocUnsafe(2 * BATCH);
  lines.length = 0;
  let scheduled = false;
  /** Bytes accepted but not yet written out: what a slow reader makes grow. */
  const queued = (): number => out.writableLength + lines.length + (writer?.queued ?? 0);
  /** Hands what is batched to the stream; false when the stream wants the caller to wait for 'drain'. */
  const flush = (): boolean => {
    scheduled = false;
    if (broken) return true;
    if (writer !== undefined) return writer.flush();
    if (lines.length === 0) return !out.writableNeedDrain;
    const ok = out.write(lines.chars.subarray(0, lines.length));
    lines.length = 0;
    // A stream that holds nothing after write() returned has passed the bytes on (a file, /dev/null, a pipe
    // with room): the batch's memory is free again. Otherwise the stream still holds it, and the next batch
    // goes to fresh memory.
    if (out.writableLength > 0) lines.chars = Buffer.allocUnsafe(2 * BATCH);
    return ok;
  };
  /** Prints one packet into the batch; false when the stream wants the caller to wait for 'drain'. */
  const print = (pkt: Packet): boolean => {
    printPacket(ctx, source.linktype, pkt);
    return lines.length >= BATCH ? flush() : true;
  };
  const sink: PacketSink = {
    // A packet is printed, or copied into the -w file, before packet() returns.
    transient: true,
    packet(pkt: Packet): boolean {
      if (seen >= limit) return true;
      if (filter !== undefined && !filter(pkt)) return true;
      if (live && queued() > maxBacklog) {
        // A live capture cannot pause the network: past the limit, memory would grow without bound.
        dropped++;
        return true;
      }
      seen++;
      const ok = writer !== undefined ? writer.write(pkt) : print(pkt);
      if (seen >= limit) source.close();
      else if (!scheduled) {
        // Live packets arrive one by one: hand them to stdout soon, in one write per turn of the event loop.
        scheduled = true;
        setImmediate(flush);
      }
      return ok;
    },
    backlog(): Promise<void> | undefined {
      if (flush() || broken || io.interrupt.aborted) return undefined;
      // Also wake on Ctrl-C: a reader that stopped reading (a paused `| less`) never sends 'drain'.
      return new Promise((resolve) => {
        const done = (): void => {
          out.off('drain', done);
          out.off('close', done);
          io.interrupt.removeEventListener('abort', done);
          resolve();
        };
        out.on('drain', done);
        out.on('close', done);
        io.interrupt.addEventListener('abort', done, { once: true });
      });
    },
  };
  const end = await source.run(sink);
  flush();
  if (ownStream && !out.destroyed) {
    // A file stream reports a failed last write only before 'close': wait for it.
    await new Promise<void>((resolve) => out.once('close', resolve).end());
  } else if (!broken && !io.interrupt.aborted) {
    // Interrupted, output that nobody reads (a paused `| less`) must not keep the run from ending: what is
    // queued still goes out if the reader comes back.
    await new Promise<void>((resolve) => out.write('', () => resolve()));
  }
  out.off('error', onError);
  if (failure !== undefined) throw failure;
  return { end, seen, dropped, broken };
}
