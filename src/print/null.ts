/**
 * BSD loopback encapsulations (print-null.c): LINKTYPE_NULL (a 4-byte address family in the capturing host's
 * byte order) and LINKTYPE_LOOP (the same in network byte order).
 */
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { BSD_AF, tok2str } from './tables.js';
import { defaultPrint } from './hex.js';
import { printIp } from './ip.js';
import { printIp6 } from './ip6.js';

const NULL_HDRLEN = 4;

/** Prints one DLT_NULL (`loop` false) or DLT_LOOP (`loop` true) packet; returns the header length. */
export function printNull(ctx: PrintContext, r: Reader, wireLen: number, loop: boolean): number {
  ctx.proto = loop ? 'loop' : 'null';
  // Too short for the family: abandon the packet (tcpdump's longjmp, so -x dumps it all).
  r.check(0, NULL_HDRLEN);
  let family = loop ? r.be32(0) : r.le32(0);
  // The capturing host's byte order is unknown: a family never has bits in the upper half, so swap if it does.
  if (!loop && (family & 0xffff0000) !== 0) family = r.be32(0);
  const header = ctx.opts.quick
    ? `${tok2str(BSD_AF, 'Unknown AF %u', family)}, length ${wireLen}: `
    : `AF ${tok2str(BSD_AF, 'Unknown', family)} (${family}), length ${wireLen}: `;
  if (ctx.opts.linkHeader) ctx.out.put(header);
  const length = wireLen - NULL_HDRLEN;
  switch (family) {
    case 2:
      printIp(ctx, r, NULL_HDRLEN, length);
      break;
    case 24:
    case 28:
    case 30:
      printIp6(ctx, r, NULL_HDRLEN, length);
      break;
    default:
      if (!ctx.opts.linkHeader) ctx.out.put(header);
      defaultPrint(ctx, r, NULL_HDRLEN, r.caplen - NULL_HDRLEN);
  }
  return NULL_HDRLEN;
}
