/**
 * BSD loopback encapsulations (print-null.c): LINKTYPE_NULL (a 4-byte address family in the capturing host's
 * byte order) and LINKTYPE_LOOP (the same in network byte order).
 */
import { endianness } from 'node:os';
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { BSD_AF, tok2str } from './tables.js';
import { defaultPrint } from './hex.js';
import { printIp } from './ip.js';
import { printIp6 } from './ip6.js';

const NULL_HDRLEN = 4;
/** BSD address families of IPv6 (NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30); IPv4 is 2 everywhere. */
const AF_INET = 2;
const AF_INET6 = [24, 28, 30];

/**
 * The address family of a NULL or LOOP packet: LOOP's is big-endian; NULL's is in the capturing host's byte
 * order, read as this host's (libpcap hands it over unswapped) and swapped when that puts bits in the upper half,
 * which no family has (print-null.c does the same). Reads 4 bytes: throws Truncated when they were not captured.
 */
export function nullFamily(r: Reader, loop: boolean): number {
  if (loop) return r.be32(0);
  const family = HOST_LE ? r.le32(0) : r.be32(0);
  return (family & 0xffff0000) === 0 ? family : HOST_LE ? r.be32(0) : r.le32(0);
}

/** The ethertype of a BSD address family's payload: IPv4, IPv6, or 0 for another one. */
export function familyEthertype(family: number): number {
  return family === AF_INET ? 0x0800 : AF_INET6.includes(family) ? 0x86dd : 0;
}

const HOST_LE = endianness() === 'LE';

/** Prints one DLT_NULL (`loop` false) or DLT_LOOP (`loop` true) packet; returns the header length. */
export function printNull(ctx: PrintContext, r: Reader, wireLen: number, loop: boolean): number {
  ctx.proto = loop ? 'loop' : 'null';
  // Too short for the family: abandon the packet (tcpdump's longjmp, so -x dumps it all).
  r.check(0, NULL_HDRLEN);
  const family = nullFamily(r, loop);
  const header = ctx.opts.quick
    ? `${tok2str(BSD_AF, 'Unknown AF %u', family)}, length ${wireLen}: `
    : `AF ${tok2str(BSD_AF, 'Unknown', family)} (${family}), length ${wireLen}: `;
  if (ctx.opts.linkHeader) ctx.out.put(header);
  const length = wireLen - NULL_HDRLEN;
  switch (familyEthertype(family)) {
    case 0x0800:
      printIp(ctx, r, NULL_HDRLEN, length);
      break;
    case 0x86dd:
      printIp6(ctx, r, NULL_HDRLEN, length);
      break;
    default:
      if (!ctx.opts.linkHeader) ctx.out.put(header);
      defaultPrint(ctx, r, NULL_HDRLEN, r.caplen - NULL_HDRLEN);
  }
  return NULL_HDRLEN;
}
