/**
 * One packet to its full text, as tcpdump 4.99's pretty_print_packet prints it: packet number (-#), timestamp,
 * the link-layer printer chosen by link type, then the -x/-X/-A dumps. A read past the captured bytes anywhere
 * below ends the line with ` [|proto]` (tcpdump's nd_trunc_longjmp); nothing here ever throws.
 */
import type { Packet } from './packet.js';
import { LINKTYPE, MAX_SNAPLEN } from './packet.js';
import type { PrintContext } from './context.js';
import { Reader } from './reader.js';
import { Truncated, putTrunc } from './trunc.js';
import { putTimestamp } from './ts.js';
import { asciiDump, hexAsciiDump, hexDump } from './hex.js';
import { printEther } from './ether.js';
import { printSll, printSll2 } from './sll.js';
import { printNull } from './null.js';
import { printRaw } from './raw.js';

/** A link-layer printer: prints the packet and returns the length of its link-layer header. */
type LinkPrinter = (ctx: PrintContext, r: Reader, wireLen: number) => number;

const LINK_PRINTERS: ReadonlyMap<number, LinkPrinter> = new Map<number, LinkPrinter>([
  [LINKTYPE.ETHERNET, printEther],
  [LINKTYPE.LINUX_SLL, printSll],
  [LINKTYPE.LINUX_SLL2, printSll2],
  [LINKTYPE.NULL, (ctx, r, len) => printNull(ctx, r, len, false)],
  [LINKTYPE.LOOP, (ctx, r, len) => printNull(ctx, r, len, true)],
  [LINKTYPE.RAW, printRaw],
  [LINKTYPE.IPV4, printRaw],
  [LINKTYPE.IPV6, printRaw],
]);

/** True when ntk has a printer for pcap link type `linktype`. */
export function canPrint(linktype: number): boolean {
  return LINK_PRINTERS.has(linktype);
}

const PAD5 = ['', '    ', '   ', '  ', ' ', ''];

/** The sanity checks tcpdump makes on a record header before printing it: "" when it is fine. */
function invalidHeader(caplen: number, len: number): string {
  // The usual record, found without building anything.
  if (caplen !== 0 && len >= caplen && len <= MAX_SNAPLEN) return '';
  const why: string[] = [];
  if (caplen === 0) why.push('caplen==0');
  if (len === 0) why.push('len==0');
  else if (len < caplen) why.push(`len(${len}) < caplen(${caplen})`);
  if (caplen > MAX_SNAPLEN) why.push(`caplen(${caplen}) > ${MAX_SNAPLEN}`);
  if (len > MAX_SNAPLEN) why.push(`len(${len}) > ${MAX_SNAPLEN}`);
  return why.length === 0 ? '' : `[Invalid header: ${why.join(', ')}]`;
}

/** Counts a printer's failure other than a truncated packet, and reports it when asked to (NTK_DEBUG). */
function internalError(ctx: PrintContext, err: unknown): void {
  ctx.internalErrors++;
  ctx.onInternalError?.(err);
}

/** Returns the text tcpdump prints for `pkt` (every line ending in "\n"); updates ctx's per-run state. */
export function formatPacket(ctx: PrintContext, linktype: number, pkt: Packet): string {
  ctx.out.length = 0;
  printPacket(ctx, linktype, pkt);
  return ctx.out.take(0);
}

/** Appends the text tcpdump prints for `pkt` (every line ending in "\n") to ctx.out; updates ctx's per-run state. */
export function printPacket(ctx: PrintContext, linktype: number, pkt: Packet): void {
  const o = ctx.opts;
  const out = ctx.out;
  ctx.count++;
  ctx.proto = '';
  if (o.packetNumbers) {
    const n = String(ctx.count);
    out.put((n.length < 5 ? PAD5[n.length] : '') + n + '  ');
  }
  const bad = invalidHeader(pkt.caplen, pkt.len);
  if (bad !== '') {
    out.put(bad + '\n');
    return;
  }
  putTimestamp(ctx, out, pkt.tsSec, pkt.tsNsec);
  const r = new Reader(pkt.data, pkt.caplen, pkt.offset);
  const printer = LINK_PRINTERS.get(linktype);
  let hdrlen = 0;
  try {
    if (printer === undefined) {
      // tcpdump's unknown link type: the mark alone, with no space before it.
      ctx.proto = `linktype ${linktype}`;
      out.put(`[|${ctx.proto}]`);
    } else {
      hdrlen = printer(ctx, r, pkt.len);
    }
  } catch (err) {
    // Truncated: tcpdump's " [|proto]"; the link printer never returned its header length, so -x/-X/-A dump
    // the whole packet, as tcpdump's do after its longjmp. Anything else is a bug in a printer: the line is
    // still printed, but the error is counted rather than passed off as a short packet.
    if (!(err instanceof Truncated)) internalError(ctx, err);
    putTrunc(ctx);
    hdrlen = 0;
  }
  const caplen = r.caplen;
  try {
    if (o.hexAscii > 0) {
      if (o.hexAscii > 1) out.put(hexAsciiDump(r, '\n\t', 0, caplen).text);
      else if (caplen > hdrlen) out.put(hexAsciiDump(r, '\n\t', hdrlen, caplen - hdrlen).text);
    } else if (o.hex > 0) {
      if (o.hex > 1) out.put(hexDump(r, '\n\t', 0, caplen).text);
      else if (caplen > hdrlen) out.put(hexDump(r, '\n\t', hdrlen, caplen - hdrlen).text);
    } else if (o.ascii > 0) {
      if (o.ascii > 1) out.put(asciiDump(r, 0, caplen).text);
      else if (caplen > hdrlen) out.put(asciiDump(r, hdrlen, caplen - hdrlen).text);
    }
  } catch (err) {
    // The dumps stay within the captured bytes: a failure here is a bug.
    internalError(ctx, err);
  }
  out.putByte(0x0a);
}
