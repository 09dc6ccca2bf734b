/**
 * Linux cooked captures (print-sll.c): LINKTYPE_LINUX_SLL (v1, 16 bytes) and LINKTYPE_LINUX_SLL2 (v2, 20 bytes),
 * what `tcpdump -i any` records. https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html
 *
 *   v1: | pkttype(2) | hatype(2) | halen(2) | addr(8) | protocol(2) |
 *   v2: | protocol(2) | reserved(2) | ifindex(4) | hatype(2) | pkttype(1) | halen(1) | addr(8) |
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { ETHERTYPES, SLL_PKTTYPES, hex, tok2str } from './tables.js';
import { defaultPrint } from './hex.js';
import { printEthertype, tciText } from './ether.js';
import { putTrunc } from './trunc.js';

const SLL_HDR_LEN = 16;
const SLL2_HDR_LEN = 20;

/** sll_print / sll2_print: "Out 00:11:22:33:44:55 ethertype IPv4 (0x0800), length 74: ". */
function headerText(
  ctx: PrintContext,
  pkttype: number,
  halen: number,
  r: Reader,
  addrOff: number,
  protocol: number,
  length: number,
): string {
  let s = tok2str(SLL_PKTTYPES, '?', pkttype).padStart(3, ' ') + ' ';
  if (halen === 6) s += r.mac(addrOff) + ' ';
  if (!ctx.opts.quick) {
    if (protocol <= 1500) {
      s += protocol === 1 ? '802.3' : protocol === 4 ? '802.2' : `ethertype Unknown (0x${hex(protocol, 4)})`;
    } else {
      s += `ethertype ${tok2str(ETHERTYPES, 'Unknown', protocol)} (0x${hex(protocol, 4)})`;
    }
    s += `, length ${length}: `;
  }
  return s;
}

/** Prints the payload after a cooked header (the part both versions share); returns the header length. */
function printPayload(
  ctx: PrintContext,
  r: Reader,
  p: number,
  length: number,
  caplen: number,
  protocol: number,
  hdrlen: number,
  header: () => string,
): number {
  let type = protocol;
  for (;;) {
    if (type <= 1500) {
      defaultPrint(ctx, r, p, caplen);
      return hdrlen;
    }
    if (type === 0x8100) {
      if (caplen < 4 || length < 4) {
        ctx.proto = 'vlan';
        putTrunc(ctx, 'vlan');
        return hdrlen + Math.min(caplen, length);
      }
      const tag = r.be16(p);
      if (ctx.opts.linkHeader) ctx.out.put(`${tciText(tag)}, `);
      type = r.be16(p + 2);
      if (type <= 1500) type = 4;
      if (!ctx.opts.quick) ctx.out.put(`ethertype ${tok2str(ETHERTYPES, 'Unknown', type)}, `);
      p += 4;
      length -= 4;
      caplen -= 4;
      hdrlen += 4;
      continue;
    }
    if (!printEthertype(ctx, type, r, p, length, caplen)) {
      if (!ctx.opts.linkHeader) ctx.out.put(header());
      defaultPrint(ctx, r, p, caplen);
    }
    return hdrlen;
  }
}

/** LINKTYPE_LINUX_SLL: prints one packet; returns the link-header length. */
export function printSll(ctx: PrintContext, r: Reader, wireLen: number): number {
  ctx.proto = 'sll';
  if (r.caplen < SLL_HDR_LEN) {
    putTrunc(ctx, 'sll');
    return r.caplen;
  }
  const pkttype = r.be16(0);
  const hatype = r.be16(2);
  const halen = r.be16(4);
  const protocol = r.be16(14);
  const header = (): string => headerText(ctx, pkttype, halen, r, 6, protocol, wireLen);
  if (ctx.opts.linkHeader) ctx.out.put(header());
  if (hatype === 803) {
    // An 802.11 radiotap header follows, which ntk does not decode.
    defaultPrint(ctx, r, SLL_HDR_LEN, r.caplen - SLL_HDR_LEN);
    return SLL_HDR_LEN;
  }
  return printPayload(
    ctx,
    r,
    SLL_HDR_LEN,
    wireLen - SLL_HDR_LEN,
    r.caplen - SLL_HDR_LEN,
    protocol,
    SLL_HDR_LEN,
    header,
  );
}

/** if_indextoname on this host, as tcpdump prints SLL2's interface ("?" when unknown). */
function ifName(ctx: PrintContext, index: number): string {
  const names = ctx.stateOf('sll2.ifnames', () => {
    const m = new Map<number, string>();
    try {
      for (const name of readdirSync('/sys/class/net')) {
        const idx = Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
        if (Number.isInteger(idx)) m.set(idx, name);
      }
    } catch {
      // No sysfs: every index prints as "?".
    }
    return m;
  });
  return names.get(index) ?? '?';
}

/** LINKTYPE_LINUX_SLL2: prints one packet; returns the link-header length. */
export function printSll2(ctx: PrintContext, r: Reader, wireLen: number): number {
  ctx.proto = 'sll2';
  if (r.caplen < SLL2_HDR_LEN) {
    putTrunc(ctx, 'sll2');
    return r.caplen;
  }
  const protocol = r.be16(0);
  const ifindex = r.be32(4);
  const hatype = r.be16(8);
  const pkttype = r.u8(10);
  const halen = r.u8(11);
  ctx.out.put(`${ifName(ctx, ifindex).padEnd(5, ' ')} ${tok2str(SLL_PKTTYPES, '?', pkttype).padEnd(3, ' ')} `);
  const header = (): string =>
    `ifindex ${ifindex} ` + headerText(ctx, pkttype, halen, r, 12, protocol, wireLen).replace(/^.{3} /, '');
  if (ctx.opts.linkHeader) ctx.out.put(header());
  if (hatype === 803) {
    defaultPrint(ctx, r, SLL2_HDR_LEN, r.caplen - SLL2_HDR_LEN);
    return SLL2_HDR_LEN;
  }
  return printPayload(
    ctx,
    r,
    SLL2_HDR_LEN,
    wireLen - SLL2_HDR_LEN,
    r.caplen - SLL2_HDR_LEN,
    protocol,
    SLL2_HDR_LEN,
    header,
  );
}
