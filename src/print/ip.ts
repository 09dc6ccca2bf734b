/**
 * IPv4 (print-ip.c, RFC 791) and the one IP-protocol switch (print-ip-demux.c) shared with IPv6.
 *
 *   | ver/ihl | tos | total length | id | flags/offset | ttl | proto | cksum | src(4) | dst(4) | options … |
 */
import { lazyTexts, text, type PrintContext } from './context.js';
import type { Reader } from './reader.js';
import {
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IPIP,
  IPPROTO_IPV6,
  IPPROTO_NONE,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPPROTOS,
  IP_FRAG_FLAGS,
  IP_OPTIONS,
  bittok2str,
  tok2str,
} from './tables.js';
import { cksumShouldBe, foldSum } from './util.js';
import { printTcp } from './tcp.js';
import { printUdp } from './udp.js';
import { printIcmp } from './icmp.js';
import { printIcmp6 } from './icmp6.js';
import { printIp6 } from './ip6.js';
import { putTrunc } from './trunc.js';

const IP_MF = 0x2000;
const IP_OFFMASK = 0x1fff;

/** ip_printroute: the addresses of a record-route or source-route option; false when cut by the capture. */
function printRoute(ctx: PrintContext, r: Reader, cp: number, length: number): boolean {
  const out = ctx.out;
  if (length < 3) {
    out.put(` [bad length ${length}]`);
    return true;
  }
  if ((length + 1) & 3) out.put(` [bad length ${length}]`);
  const ptr = r.u8(cp + 2) - 1;
  if (ptr < 3 || (ptr + 1) & 3 || ptr > length + 1) out.put(` [bad ptr ${r.u8(cp + 2)}]`);
  for (let len = 3; len < length; len += 4) {
    if (!r.has(cp + len, 4)) return false;
    out.put(' ' + r.ipv4(cp + len));
    if (ptr > len) out.put(',');
  }
  return true;
}

/** ip_printts: the RFC 791 timestamp option; false when cut by the capture. */
function printTimestamps(ctx: PrintContext, r: Reader, cp: number, length: number): boolean {
  const out = ctx.out;
  if (length < 4) {
    out.put(`[bad length ${length}]`);
    return true;
  }
  out.put(' TS{');
  const flags = r.u8(cp + 3);
  const hoplen = (flags & 0xf) !== 0 ? 8 : 4;
  if ((length - 4) & (hoplen - 1)) out.put(`[bad length ${length}]`);
  const ptr = r.u8(cp + 2) - 1;
  let len = 0;
  if (ptr < 4 || (ptr - 4) & (hoplen - 1) || ptr > length + 1) out.put(`[bad ptr ${r.u8(cp + 2)}]`);
  const kind = ({ 0: 'TSONLY', 1: 'TS+ADDR', 3: 'PRESPEC' } as Record<number, string>)[flags & 0xf];
  if (kind === undefined) out.put(`[bad ts type ${flags & 0xf}]`);
  else {
    out.put(kind);
    let type = ' ';
    for (len = 4; len < length; len += hoplen) {
      if (ptr === len) type = ' ^ ';
      if (!r.has(cp + len, hoplen)) return false;
      out.put(`${type}${r.be32(cp + len + hoplen - 4)}@${hoplen !== 8 ? '' : r.ipv4(cp + len)}`);
      type = ' ';
    }
  }
  out.put(ptr === len ? ' ^ ' : '');
  out.put(flags >> 4 ? ` [${flags >> 4} hops not recorded]} ` : '}');
  return true;
}

// IP option types, as tcpdump's ip.h names them (RFC 791; RFC 2113 router alert).
const IPOPT_EOL = 0;
const IPOPT_NOP = 1;
const IPOPT_RR = 7;
const IPOPT_TS = 68;
const IPOPT_LSRR = 131;
const IPOPT_SSRR = 137;
const IPOPT_RA = 148;

/** ip_optprint: returns false when an option was cut by the capture. */
function printOptions(ctx: PrintContext, r: Reader, cp: number, length: number): boolean {
  const out = ctx.out;
  let sep = '';
  while (length > 0) {
    out.put(sep);
    sep = ',';
    const code = r.u8(cp);
    out.put(tok2str(IP_OPTIONS, 'unknown %u', code));
    let optLen: number;
    if (code === IPOPT_EOL || code === IPOPT_NOP) optLen = 1;
    else {
      optLen = r.u8(cp + 1);
      if (optLen < 2) {
        out.put(` [bad length ${optLen}]`);
        return true;
      }
    }
    if (optLen > length) {
      out.put(` [bad length ${optLen}]`);
      return true;
    }
    switch (code) {
      case IPOPT_EOL:
        return true;
      case IPOPT_TS:
        if (!printTimestamps(ctx, r, cp, optLen)) return false;
        break;
      case IPOPT_RR:
      case IPOPT_LSRR:
      case IPOPT_SSRR:
        if (!printRoute(ctx, r, cp, optLen)) return false;
        break;
      case IPOPT_RA:
        if (optLen < 4) out.put(` [bad length ${optLen}]`);
        else if (r.be16(cp + 2) !== 0) out.put(` value ${r.be16(cp + 2)}`);
        break;
      default:
        break;
    }
    cp += optLen;
    length -= optLen;
  }
  return true;
}

/** Each byte value in hex without leading zeros. */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16));

/** The flags text of each value of the fragment field's top three bits. */
const FRAG_FLAGS_TEXT: readonly string[] = Array.from({ length: 8 }, (_, i) =>
  bittok2str(IP_FRAG_FLAGS, 'none', i << 13),
);

/** "src > dst: ", the addresses of the IPv4 header at `off`. */
function putAddrs(ctx: PrintContext, r: Reader, off: number): void {
  const out = ctx.out;
  r.putIpv4(out, off + 12);
  out.put(' > ');
  r.putIpv4(out, off + 16);
  out.put(': ');
}

/** "TCP (6)": the name and number of each IP protocol, computed once. */
const PROTO_TEXT: readonly string[] = Array.from(
  { length: 256 },
  (_, p) => `${tok2str(IPPROTOS, 'unknown', p)} (${p})`,
);

/**
 * ", flags [DF], proto TCP (6), length " for each value of the fragment flags (bits 8-10) and protocol (bits 0-7),
 * after ", offset 0" when bit 11 is set (the fragment offset of nearly every packet).
 */
const flagsProtoText = lazyTexts(2 * 8 * 256, (i) => {
  const offsetZero = i >= 8 * 256 ? ', offset 0' : '';
  return `${offsetZero}, flags [${FRAG_FLAGS_TEXT[(i >> 8) & 7]}], proto ${PROTO_TEXT[i & 0xff]}, length `;
});
/** "(tos 0x0, ttl 64, id " for each TTL, the start of the -v line of nearly every packet. */
const tosZeroTtlText = lazyTexts(256, (ttl) => `(tos 0x0${ttl >= 1 ? `, ttl ${ttl}` : ''}, id `);
const T_IP = text('IP ');
const T_TOS = text('(tos 0x');
const T_TTL = text(', ttl ');
const T_ID = text(', id ');
const T_OFFSET = text(', offset ');
const T_END_V = text(')\n    ');

/** Prints an IPv4 packet of `length` bytes (from the link layer) at `off`. */
export function printIp(ctx: PrintContext, r: Reader, off: number, length: number): void {
  ctx.proto = 'ip';
  const out = ctx.out;
  const vhl = r.u8(off);
  const ver = vhl >> 4;
  if (ver !== 4) {
    out.put(ver === 6 ? 'IP6, wrong link-layer encapsulation' : `IP${ver}`);
    out.put(' (invalid)');
    return;
  }
  if (!ctx.opts.linkHeader) out.putText(T_IP);
  if (!r.has(off, 20)) {
    putTrunc(ctx, 'ip');
    return;
  }
  if (length < 20) {
    out.put(`truncated-ip ${length}`);
    return;
  }
  const hlen = (vhl & 0x0f) * 4;
  if (hlen < 20) {
    out.put(`bad-hlen ${hlen}`);
    return;
  }
  let len = r.be16(off + 2);
  if (length < len) out.put(`truncated-ip - ${len - length} bytes missing! `);
  if (len < hlen) {
    out.put(`bad-len ${len}`);
    return;
  }
  r = r.narrow(off + len);
  len -= hlen;
  const ipOff = r.be16(off + 6);
  const proto = r.u8(off + 9);
  if (ctx.opts.verbose > 0) {
    const tos = r.u8(off + 1);
    const ttl = r.u8(off + 8);
    const id = r.be16(off + 4);
    if (tos === 0) out.putText(tosZeroTtlText(ttl));
    else {
      out.putText(T_TOS);
      out.put(HEX[tos] as string);
      const ecn = tos & 3;
      if (ecn === 1) out.put(',ECT(1)');
      else if (ecn === 2) out.put(',ECT(0)');
      else if (ecn === 3) out.put(',CE');
      if (ttl >= 1) {
        out.putText(T_TTL);
        out.num(ttl);
      }
      out.putText(T_ID);
    }
    out.num(id);
    const fragOff = (ipOff & IP_OFFMASK) * 8;
    if (fragOff !== 0) {
      out.putText(T_OFFSET);
      out.num(fragOff);
    }
    out.putText(flagsProtoText((fragOff === 0 ? 8 * 256 : 0) | ((ipOff >>> 13) << 8) | proto));
    out.num(len + hlen);
    let truncated = false;
    if (hlen > 20) {
      out.put(', options (');
      if (!printOptions(ctx, r, off + 20, hlen - 20)) {
        out.put(' [truncated-option]');
        truncated = true;
      }
      out.put(')');
    }
    if (r.has(off, hlen)) {
      const sum = foldSum(r.sumWords(off, hlen, 0));
      if (sum !== 0) {
        const field = r.be16(off + 10);
        out.put(`, bad cksum ${field.toString(16)} (->${cksumShouldBe(field, sum).toString(16)})!`);
      }
    }
    out.putText(T_END_V);
    if (truncated) {
      putAddrs(ctx, r, off);
      putTrunc(ctx, 'ip');
      return;
    }
  }
  if ((ipOff & IP_OFFMASK) === 0) {
    // TCP and UDP print the addresses with their ports; every other protocol gets them here.
    if (proto !== 6 && proto !== 17) putAddrs(ctx, r, off);
    if (!r.has(off, hlen)) {
      out.put(` [remaining caplen(${Math.max(0, r.caplen - off)}) < header length(${hlen})]`);
      r.check(off, hlen);
    }
    demux(ctx, r, off + hlen, len, 4, (ipOff & IP_MF) !== 0, proto, off);
  } else {
    putAddrs(ctx, r, off);
    out.put('ip-proto-');
    out.num(proto);
  }
}

/** ip_demux_print: hands the payload to the printer of protocol `nh`. */
export function demux(
  ctx: PrintContext,
  r: Reader,
  off: number,
  length: number,
  ver: 4 | 6,
  fragmented: boolean,
  nh: number,
  ipOff: number,
): void {
  const out = ctx.out;
  switch (nh) {
    case IPPROTO_TCP:
      printTcp(ctx, r, off, length, ipOff, ver, fragmented);
      return;
    case IPPROTO_UDP:
      printUdp(ctx, r, off, length, ipOff, ver, fragmented);
      return;
    case IPPROTO_ICMP:
      if (ver === 4) printIcmp(ctx, r, off, length, fragmented);
      else out.put(`[${tok2str(IPPROTOS, 'unknown', nh)} requires IPv4] (invalid)`);
      return;
    case IPPROTO_ICMPV6:
      if (ver === 6) printIcmp6(ctx, r, off, length, ipOff, fragmented);
      else out.put(`[${tok2str(IPPROTOS, 'unknown', nh)} requires IPv6] (invalid)`);
      return;
    case IPPROTO_IPIP:
      printIp(ctx, r, off, length);
      return;
    case IPPROTO_IPV6:
      printIp6(ctx, r, off, length);
      return;
    case IPPROTO_NONE:
      out.put('no next header');
      return;
    default:
      out.put(` ip-proto-${nh} ${length}`);
  }
}
