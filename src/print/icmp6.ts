/**
 * ICMPv6 (print-icmp6.c, RFC 4443) with neighbour discovery (RFC 4861) and MLD (RFC 2710/3810) basics:
 * "ICMP6, echo request, id 1, seq 1, length 64", "ICMP6, neighbor solicitation, who has fe80::1, length 32".
 *
 *   | type | code | cksum(2) | type-specific(4) | body … |
 */
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { ICMP6_TYPES, ICMP6_UNREACH, bittok2str, hex, tok2str } from './tables.js';
import { cksum6, cksumShouldBe } from './util.js';
import { hexDump } from './hex.js';
import { putTrunc } from './trunc.js';

const ND_OPTS: ReadonlyMap<number, string> = new Map([
  [1, 'source link-address'],
  [2, 'destination link-address'],
  [3, 'prefix info'],
  [4, 'redirected header'],
  [5, 'mtu'],
  [7, 'advertisement interval'],
  [8, 'homeagent information'],
  [24, 'route info'],
  [25, 'rdnss'],
  [31, 'dnssl'],
]);
const NA_FLAGS: ReadonlyArray<readonly [number, string]> = [
  [0x80000000, 'router'],
  [0x40000000, 'solicited'],
  [0x20000000, 'override'],
];
const MLDV2_RECORDS: ReadonlyMap<number, string> = new Map([
  [1, 'is_in'],
  [2, 'is_ex'],
  [3, 'to_in'],
  [4, 'to_ex'],
  [5, 'allow'],
  [6, 'block'],
]);
const RA_FLAGS: ReadonlyArray<readonly [number, string]> = [
  [0x80, 'managed'],
  [0x40, 'other stateful'],
  [0x20, 'home agent'],
  [0x04, 'proxy'],
];
const PI_FLAGS: ReadonlyArray<readonly [number, string]> = [
  [0x80, 'onlink'],
  [0x40, 'auto'],
  [0x20, 'router'],
];
const RTPREF = ['medium', 'high', 'rsv', 'low'];

/** print_unknown_data: a hex dump of what is captured of `len` bytes. */
function unknownData(ctx: PrintContext, r: Reader, off: number, ident: string, len: number): void {
  ctx.out.put(hexDump(r, ident, off, len).text);
}

function lifetime(t: number): string {
  return t === 0xffffffff ? 'infinity' : `${t}s`;
}

/** get_upperlayer: the protocol and offset of the transport header quoted in an error, or undefined. */
function upperLayer(r: Reader, ip6: number): [number, number] | undefined {
  if (!r.has(ip6, 40)) return undefined;
  let nh = r.u8(ip6 + 6);
  let hlen = 40;
  let p = ip6;
  for (;;) {
    p += hlen;
    switch (nh) {
      case 6:
      case 17:
        return r.has(p, 4) ? [nh, p] : undefined;
      case 0:
      case 60:
      case 43:
        if (!r.has(p, 2)) return undefined;
        nh = r.u8(p);
        hlen = (r.u8(p + 1) + 1) << 3;
        break;
      case 44:
        if (!r.has(p, 4) || (r.be16(p + 2) & 0xfff8) !== 0) return undefined;
        nh = r.u8(p);
        hlen = 8;
        break;
      case 51:
        if (!r.has(p, 2)) return undefined;
        nh = r.u8(p);
        hlen = (r.u8(p + 1) + 2) << 2;
        break;
      default:
        return undefined;
    }
  }
}

/** icmp6_opt_print: neighbour-discovery options, one per line (with -v). */
function printNdOpts(ctx: PrintContext, r: Reader, cp: number, resid: number): void {
  const out = ctx.out;
  while (cp < r.caplen && resid > 0) {
    const type = r.u8(cp);
    const olen = r.u8(cp + 1);
    if (olen === 0 || cp + (olen << 3) > r.caplen) {
      putTrunc(ctx, 'icmp6');
      return;
    }
    out.put(`\n\t  ${tok2str(ND_OPTS, 'unknown', type)} option (${type}), length ${olen << 3} (${olen}): `);
    switch (type) {
      case 1:
      case 2: {
        out.put(r.hex(cp + 2, (olen << 3) - 2, ':'));
        break;
      }
      case 3:
        out.put(
          `${r.ipv6(cp + 16)}/${r.u8(cp + 2)}${olen !== 4 ? 'badlen' : ''}, Flags [${bittok2str(PI_FLAGS, 'none', r.u8(cp + 3))}], valid time ${lifetime(r.be32(cp + 4))}`,
        );
        out.put(`, pref. time ${lifetime(r.be32(cp + 8))}`);
        break;
      case 5:
        out.put(` ${r.be32(cp + 4)}${olen !== 1 ? 'bad option length' : ''}`);
        break;
      default:
        if (ctx.opts.verbose <= 1) {
          unknownData(ctx, r, cp + 2, '\n\t  ', (olen << 3) - 2);
          return;
        }
    }
    if (ctx.opts.verbose > 1) unknownData(ctx, r, cp + 2, '\n\t    ', (olen << 3) - 2);
    cp += olen << 3;
    resid -= olen << 3;
  }
}

/** Prints an ICMPv6 message of `length` bytes at `off`, inside the IPv6 header at `ipOff`. */
export function printIcmp6(
  ctx: PrintContext,
  r: Reader,
  off: number,
  length: number,
  ipOff: number,
  fragmented: boolean,
): void {
  ctx.proto = 'icmp6';
  const out = ctx.out;
  const v = ctx.opts.verbose;
  if (length === 0) {
    out.put('ICMP6, length 0 (invalid)');
    return;
  }
  if (v > 0 && !fragmented && r.has(off, length)) {
    const field = r.be16(off + 2);
    const sum = cksum6(r, ipOff, off, length, 58);
    out.put(
      sum !== 0
        ? `[bad icmp6 cksum 0x${hex(field, 4)} -> 0x${hex(cksumShouldBe(field, sum), 4)}!] `
        : '[icmp6 sum ok] ',
    );
  }
  const type = r.u8(off);
  out.put(`ICMP6, ${tok2str(ICMP6_TYPES, 'unknown icmp6 type (%u)', type)}`);
  if (
    v > 0 &&
    (type === 133 || type === 134 || type === 135 || type === 136 || type === 137 || type === 145 || type === 147)
  ) {
    out.put(`, length ${length}`);
  }
  const code = r.u8(off + 1);
  const oip = off + 8;
  switch (type) {
    case 1:
      out.put(`, ${tok2str(ICMP6_UNREACH, 'unknown unreach code (%u)', code)}`);
      switch (code) {
        case 0:
        case 1:
        case 3:
          out.put(' ' + r.ipv6(oip + 24));
          break;
        case 2:
          out.put(` ${r.ipv6(oip + 24)}, source address ${r.ipv6(oip + 8)}`);
          break;
        case 4: {
          const ul = upperLayer(r, oip);
          if (ul === undefined) {
            putTrunc(ctx, 'icmp6');
            return;
          }
          const [prot, p] = ul;
          const dport = r.be16(p + 2);
          const dst = r.ipv6(oip + 24);
          if (prot === 6) out.put(`, ${dst} tcp port ${dport}`);
          else if (prot === 17) out.put(`, ${dst} udp port ${dport}`);
          else out.put(`, ${dst} protocol ${prot} port ${dport} unreachable`);
          break;
        }
        default:
          if (v <= 1) {
            unknownData(ctx, r, off, '\n\t', length);
            return;
          }
      }
      break;
    case 2:
      out.put(`, mtu ${r.be32(off + 4)}`);
      break;
    case 3:
      if (code === 0) out.put(` for ${r.ipv6(oip + 24)}`);
      else if (code === 1) out.put(' (reassembly)');
      else out.put(`, unknown code (${code})`);
      break;
    case 4: {
      if (!r.has(oip + 24, 16)) return putTrunc(ctx, 'icmp6');
      const ptr = r.be32(off + 4);
      const what = ['erroneous', 'next header', 'option', 'incomplete header chain'][code];
      out.put(what !== undefined ? `, ${what} - octet ${ptr}` : `, code-#${code}`);
      break;
    }
    case 128:
    case 129:
      out.put(`, id ${r.be16(off + 4)}, seq ${r.be16(off + 6)}`);
      break;
    case 130:
      if (length === 24) {
        if (r.has(off, 24)) out.put(`max resp delay: ${r.be16(off + 4)} addr: ${r.ipv6(off + 8)}`);
      } else if (length >= 28) out.put(` v2 [max resp delay=${r.be16(off + 4)}] [gaddr ${r.ipv6(off + 8)}`);
      else out.put(` unknown-version (len ${length}) `);
      if (length >= 28 && length !== 24) {
        const n = r.be16(off + 26);
        if (n > 0) out.put(` ${n} sources]`);
        else out.put(']');
      }
      break;
    case 131:
    case 132:
      // mld6_print says nothing when the message was not captured whole.
      if (r.has(off, 24)) out.put(`max resp delay: ${r.be16(off + 4)} addr: ${r.ipv6(off + 8)}`);
      break;
    case 143:
      printMldv2Report(ctx, r, off, length);
      break;
    case 133:
      if (v > 0) printNdOpts(ctx, r, off + 8, length - 8);
      break;
    case 134:
      if (v > 0) {
        const flags = r.u8(off + 5);
        out.put(
          `\n\thop limit ${r.u8(off + 4)}, Flags [${bittok2str(RA_FLAGS, 'none', flags)}], pref ${RTPREF[(flags >> 3) & 3]}`,
        );
        out.put(
          `, router lifetime ${r.be16(off + 6)}s, reachable time ${r.be32(off + 8)}ms, retrans timer ${r.be32(off + 12)}ms`,
        );
        printNdOpts(ctx, r, off + 16, length - 16);
      }
      break;
    case 135:
      out.put(`, who has ${r.ipv6(off + 8)}`);
      if (v > 0) printNdOpts(ctx, r, off + 24, length - 24);
      break;
    case 136:
      out.put(`, tgt is ${r.ipv6(off + 8)}`);
      if (v > 0) {
        out.put(`, Flags [${bittok2str(NA_FLAGS, 'none', r.be32(off + 4))}]`);
        printNdOpts(ctx, r, off + 24, length - 24);
      }
      break;
    case 137:
      out.put(`, ${r.ipv6(off + 24)} to ${r.ipv6(off + 8)}`);
      if (v > 0) printNdOpts(ctx, r, off + 40, length - 40);
      break;
    case 144:
    case 145:
    case 146:
    case 147:
      // Mobile IPv6 (RFC 6275) home-agent discovery and prefix messages: their bodies only show with -v.
      break;
    default:
      out.put(`, length ${length}`);
      if (v <= 1) unknownData(ctx, r, off, '\n\t', length);
      return;
  }
  if (v === 0) out.put(`, length ${length}`);
}

/** mldv2_report_print (RFC 3810 section 5.2): the group records, their sources with -vv. */
function printMldv2Report(ctx: PrintContext, r: Reader, bp: number, len: number): void {
  const out = ctx.out;
  const ngroups = r.be16(bp + 6);
  out.put(`, ${ngroups} group record(s)`);
  if (ctx.opts.verbose === 0) return;
  let group = 8;
  for (let i = 0; i < ngroups; i++) {
    if (len < group + 20) {
      out.put(' [invalid number of groups]');
      return;
    }
    out.put(` [gaddr ${r.ipv6(bp + group + 4)}`);
    const type = r.u8(bp + group);
    out.put(` ${MLDV2_RECORDS.get(type) ?? ` [v2-report-#${type}]`}`);
    const nsrcs = r.be16(bp + group + 2);
    if (len < group + 20 + nsrcs * 16) {
      out.put(` [invalid number of sources ${nsrcs}]`);
      return;
    }
    if (ctx.opts.verbose === 1) out.put(`, ${nsrcs} source(s)`);
    else {
      out.put(' {');
      for (let j = 0; j < nsrcs; j++) out.put(` ${r.ipv6(bp + group + 20 + j * 16)}`);
      out.put(' }');
    }
    group += 20 + nsrcs * 16;
    out.put(']');
  }
}
