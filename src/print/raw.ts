/**
 * Raw IP link types (print-raw.c, print-ip-demux.c ipN_print): LINKTYPE_RAW, LINKTYPE_IPV4 and LINKTYPE_IPV6,
 * where the packet starts with the IP header and its version nibble says which.
 */
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { printIp } from './ip.js';
import { printIp6 } from './ip6.js';

/** Prints one raw-IP packet; the link header is empty, so returns 0. */
export function printRaw(ctx: PrintContext, r: Reader, wireLen: number): number {
  // tcpdump's raw_if_print hands over to ipN_print, whose name is the one a truncation shows.
  ctx.proto = 'ipn';
  if (ctx.opts.linkHeader) ctx.out.put('ip: ');
  if (wireLen < 1) {
    ctx.out.put(`truncated-ip ${wireLen}`);
    return 0;
  }
  const v = r.u8(0) & 0xf0;
  if (v === 0x40) printIp(ctx, r, 0, wireLen);
  else if (v === 0x60) printIp6(ctx, r, 0, wireLen);
  else ctx.out.put(`unknown ip ${v >> 4}`);
  return 0;
}
