/**
 * Ethernet II and IEEE 802.3 frames (print-ether.c), and the one ethertype switch every link printer uses.
 *
 *   0        6        12     14
 *   | dst(6) | src(6) | type | payload …        (type ≤ 1500: an 802.3 length; 0x8100 & co: a VLAN tag first)
 */
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { ETHERTYPES, hex, tok2str } from './tables.js';
import { defaultPrint } from './hex.js';
import { printIp } from './ip.js';
import { printIp6 } from './ip6.js';
import { printArp } from './arp.js';
import { putTrunc } from './trunc.js';

const ETHER_HDRLEN = 14;
const MAX_ETHERNET_LENGTH_VAL = 1500;
/** An IEEE 802.2 LLC header: DSAP, SSAP and at least one control byte. */
const LLC_MIN_LEN = 3;

/** ether_type_print: "ethertype IPv4 (0x0800)", or with -q just "IPv4". */
function etherTypeText(ctx: PrintContext, type: number): string {
  if (!ctx.opts.quick) return `ethertype ${tok2str(ETHERTYPES, 'Unknown', type)} (0x${hex(type, 4)})`;
  return tok2str(ETHERTYPES, 'Unknown Ethertype (0x%04x)', type);
}

/** ieee8021q_tci_string: "vlan 10, p 0" (", DEI" when the drop-eligible bit is set). */
export function tciText(tag: number): string {
  return `vlan ${tag & 0xfff}, p ${tag >> 13}${tag & 0x1000 ? ', DEI' : ''}`;
}

/** ethertype_print: prints the payload of `type`; false when ntk has no printer for it. */
export function printEthertype(
  ctx: PrintContext,
  type: number,
  r: Reader,
  off: number,
  length: number,
  caplen: number,
): boolean {
  switch (type) {
    case 0x0800:
      printIp(ctx, r, off, length);
      return true;
    case 0x86dd:
      printIp6(ctx, r, off, length);
      return true;
    case 0x0806:
    case 0x8035:
      printArp(ctx, r, off, length, caplen);
      return true;
    default:
      return false;
  }
}

/** "src > dst, ": the frame's MAC addresses. */
function addrs(r: Reader): string {
  return `${r.mac(6)} > ${r.mac(0)}, `;
}

/** True for the ethertypes of an IEEE 802.1Q/802.1ad VLAN tag (and the older 0x9100/0x9200 QinQ). */
function isVlan(t: number): boolean {
  return t === 0x8100 || t === 0x9100 || t === 0x9200 || t === 0x88a8;
}

/** DLT_EN10MB: prints one Ethernet frame; returns the link-header length (for -x/-X without the link header). */
export function printEther(ctx: PrintContext, r: Reader, wireLen: number): number {
  ctx.proto = 'ether';
  const out = ctx.out;
  let caplen = r.caplen;
  let length = wireLen;
  if (length < caplen) {
    out.put(`[length ${length} < caplen ${caplen}] (invalid)`);
    return length;
  }
  if (caplen < ETHER_HDRLEN) {
    putTrunc(ctx, 'ether');
    return caplen;
  }
  const origLength = length;
  length -= ETHER_HDRLEN;
  caplen -= ETHER_HDRLEN;
  let type = r.be16(12);
  if (ctx.opts.linkHeader) {
    out.put(addrs(r));
    if (!isVlan(type))
      out.put(
        type <= MAX_ETHERNET_LENGTH_VAL
          ? `802.3, length ${type}: `
          : `${etherTypeText(ctx, type)}, length ${origLength}: `,
      );
  }
  let tags = 0;
  let p = ETHER_HDRLEN;
  let hdrlen = ETHER_HDRLEN;
  while (isVlan(type)) {
    if (caplen < 4 || length < 4) {
      ctx.proto = 'vlan';
      putTrunc(ctx, 'vlan');
      return hdrlen + Math.min(caplen, length);
    }
    const tag = r.be16(p);
    if (ctx.opts.linkHeader) {
      out.put(tags === 0 ? `${etherTypeText(ctx, type)}, length ${origLength}: ` : `${etherTypeText(ctx, type)}, `);
      out.put(`${tciText(tag)}, `);
    }
    tags++;
    type = r.be16(p + 2);
    p += 4;
    length -= 4;
    caplen -= 4;
    hdrlen += 4;
  }
  if (tags > 0 && ctx.opts.linkHeader) out.put(`${etherTypeText(ctx, type)}, `);
  if (type <= MAX_ETHERNET_LENGTH_VAL) {
    // An IEEE 802.3 length: the payload is LLC, which ntk does not decode; show it raw.
    length = type;
    if (caplen > length) caplen = length;
    if (caplen < LLC_MIN_LEN) {
      // Too short for an LLC header (llc_print): only the mark, after the link header when -e printed it.
      ctx.proto = 'llc';
      putTrunc(ctx);
      defaultPrint(ctx, r, p, caplen);
      return hdrlen;
    }
    if (!ctx.opts.linkHeader) out.put(`${addrs(r)}802.3, length ${length}: `);
    defaultPrint(ctx, r, p, caplen);
    return hdrlen;
  }
  if (!printEthertype(ctx, type, r, p, length, caplen)) {
    if (!ctx.opts.linkHeader) out.put(`${addrs(r)}${etherTypeText(ctx, type)}, length ${origLength}: `);
    defaultPrint(ctx, r, p, caplen);
  }
  return hdrlen;
}
