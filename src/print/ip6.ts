/**
 * IPv6 (print-ip6.c, RFC 8200) with the extension headers tcpdump walks: hop-by-hop and destination options,
 * routing (types 0/2) and fragment headers; the upper layer goes to the shared IP-protocol switch.
 *
 *   | ver/class/flow(4) | payload len(2) | next(1) | hlim(1) | src(16) | dst(16) | extension headers … |
 */
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { IPPROTOS, tok2str } from './tables.js';
import { demux } from './ip.js';
import { putTrunc } from './trunc.js';

/** The Jumbo Payload state of one packet (RFC 2675). */
interface Jumbo {
  found: boolean;
  payloadLen: number;
}

/**
 * ip6_opt_process: walks the options of a hop-by-hop (`jumbo` set) or destination header, printing them with
 * -v; returns false when an option runs past the header.
 */
function processOpts(ctx: PrintContext, r: Reader, bp: number, len: number, jumbo: Jumbo | undefined): boolean {
  const out = ctx.out;
  const v = ctx.opts.verbose > 0;
  let seenJumbo = false;
  for (let i = 0, optlen = 0; i < len; i += optlen) {
    const type = r.u8(bp + i);
    if (type === 0) optlen = 1;
    else if (i + 1 < len) optlen = r.u8(bp + i + 1) + 2;
    else return false;
    if (i + optlen > len) return false;
    switch (type) {
      case 0:
        if (v) out.put('(pad1)');
        break;
      case 1:
        if (len - i < 2) {
          out.put('(padn: trunc)');
          return false;
        }
        if (v) out.put('(padn)');
        break;
      case 5:
        if (len - i < 4) {
          out.put('(rtalert: trunc)');
          return false;
        }
        if (r.u8(bp + i + 1) !== 2) {
          out.put(`(rtalert: invalid len ${r.u8(bp + i + 1)})`);
          return false;
        }
        if (v)
          out.put(
            `(rtalert: 0x${r
              .be16(bp + i + 2)
              .toString(16)
              .padStart(4, '0')}) `,
          );
        break;
      case 0xc2: {
        if (len - i < 6) {
          out.put('(jumbo: trunc)');
          return false;
        }
        if (r.u8(bp + i + 1) !== 4) {
          out.put(`(jumbo: invalid len ${r.u8(bp + i + 1)})`);
          return false;
        }
        const jl = r.be32(bp + i + 2);
        if (seenJumbo) {
          if (v) out.put(`(jumbo: ${jl} - already seen) `);
        } else {
          seenJumbo = true;
          if (jumbo === undefined) {
            if (v) out.put(`(jumbo: ${jl} - not a hop-by-hop option) `);
          } else if (jumbo.payloadLen !== 0) {
            if (v) out.put(`(jumbo: ${jl} - payload len != 0) `);
          } else if (jl < 65536) {
            if (v) out.put(`(jumbo: ${jl} - < 65536) `);
          } else {
            jumbo.found = true;
            jumbo.payloadLen = jl;
            if (v) out.put(`(jumbo: ${jl}) `);
          }
        }
        break;
      }
      case 0xc9:
        if (len - i < 18) {
          out.put('(homeaddr: trunc)');
          return false;
        }
        if (r.u8(bp + i + 1) < 16) {
          out.put(`(homeaddr: invalid len ${r.u8(bp + i + 1)})`);
          return false;
        }
        if (v) out.put(`(homeaddr: ${r.ipv6(bp + i + 2)})`);
        break;
      default:
        if (len - i < 2) {
          out.put(`(type ${type}: trunc)`);
          return false;
        }
        if (v) out.put(`(opt_type 0x${type.toString(16).padStart(2, '0')}: len=${r.u8(bp + i + 1)})`);
    }
  }
  if (v) out.put(' ');
  return true;
}

/** rt6_print: a routing header; returns its length, or -1 after printing why it cannot go on. */
function printRouting(ctx: PrintContext, r: Reader, cp: number): number {
  ctx.proto = 'rt6';
  const out = ctx.out;
  const len = r.u8(cp + 1);
  const type = r.u8(cp + 2);
  out.put(`RT6 (len=${len}, type=${type}${type === 0 ? ' [Deprecated]' : ''}, segleft=${r.u8(cp + 3)}`);
  if (type === 4) {
    // RFC 8754 segment routing header.
    const last = r.u8(cp + 4);
    out.put(`, last-entry=${last}`);
    const flags = r.u8(cp + 5);
    if (flags || ctx.opts.verbose > 0) out.put(`, flags=0x${flags.toString(16)}`);
    out.put(`, tag=${r.be16(cp + 6).toString(16)}`);
    for (let i = 0; i < last + 1; i++) out.put(`, [${i}]${r.ipv6(cp + 8 + 16 * i)}`);
    out.put(') ');
    return (len + 1) << 3;
  }
  if (type !== 0 && type !== 2) {
    out.put(' (unknown type) (invalid)');
    return -1;
  }
  const rsv = r.be32(cp + 4);
  if (rsv !== 0 || ctx.opts.verbose > 0) out.put(`, rsv=0x${rsv.toString(16)}`);
  if (len % 2 === 1) {
    out.put(` [invalid length ${len}] (invalid)`);
    return -1;
  }
  for (let i = 0; i < len >> 1; i++) out.put(`, [${i}]${r.ipv6(cp + 8 + 16 * i)}`);
  out.put(') ');
  return (len + 1) << 3;
}

/** Prints an IPv6 packet of `length` bytes at `off`. */
export function printIp6(ctx: PrintContext, r: Reader, off: number, length: number): void {
  ctx.proto = 'ip6';
  const out = ctx.out;
  if (!r.has(off, 40)) {
    putTrunc(ctx, 'ip6');
    return;
  }
  if (length < 40) {
    out.put(`truncated-ip6 ${length}`);
    return;
  }
  if (!ctx.opts.linkHeader) out.put('IP6 ');
  const first = r.u8(off);
  if (first >> 4 !== 6) {
    out.put(`version error: ${first >> 4} != 6`);
    return;
  }
  const payloadLen = r.be16(off + 4);
  let len: number;
  if (payloadLen !== 0) {
    len = payloadLen + 40;
    if (length < len) out.put(`truncated-ip6 - ${len - length} bytes missing!`);
  } else {
    len = length;
  }
  let nh = r.u8(off + 6);
  if (ctx.opts.verbose > 0) {
    const flow = r.be32(off);
    out.put('(');
    if (flow & 0x0ff00000) out.put(`class 0x${((flow & 0x0ff00000) >>> 20).toString(16).padStart(2, '0')}, `);
    if (flow & 0x000fffff) out.put(`flowlabel 0x${(flow & 0x000fffff).toString(16).padStart(5, '0')}, `);
    out.put(
      `hlim ${r.u8(off + 7)}, next-header ${tok2str(IPPROTOS, 'unknown', nh)} (${nh}) payload length: ${payloadLen}) `,
    );
  }
  // The datagram's own end, and the end allowed by what encloses it, which a Jumbo Payload may reach.
  const outer = r;
  r = outer.narrow(off + len);
  const jumbo: Jumbo = { found: false, payloadLen };
  let cp = off;
  let advance = 40;
  let total = 0;
  let fragmented = false;
  let foundHbh = false;
  while (cp < r.caplen && advance > 0) {
    if (len < advance) {
      putTrunc(ctx);
      return;
    }
    cp += advance;
    len -= advance;
    total += advance;
    if (cp === off + 40 && nh !== 6 && nh !== 17) {
      out.put(`${r.ipv6(off + 8)} > ${r.ipv6(off + 24)}: `);
    }
    switch (nh) {
      case 0:
      case 60: {
        if (nh === 0) {
          if (foundHbh) {
            out.put('[The Hop-by-Hop Options header was already found] (invalid)');
            return;
          }
          foundHbh = true;
        }
        ctx.proto = nh === 0 ? 'hbhopt' : 'dstopt';
        const hlen = (r.u8(cp + 1) + 1) << 3;
        if (!r.has(cp, hlen)) {
          putTrunc(ctx);
          return;
        }
        out.put(nh === 0 ? 'HBH ' : 'DSTOPT ');
        if (!processOpts(ctx, r, cp + 2, hlen - 2, nh === 0 ? jumbo : undefined)) {
          putTrunc(ctx);
          return;
        }
        if (nh === 0 && jumbo.payloadLen === 0 && !jumbo.found) {
          out.put('[No valid Jumbo Payload Hop-by-Hop option found] (invalid)');
          return;
        }
        advance = hlen;
        nh = r.u8(cp);
        break;
      }
      case 44: {
        ctx.proto = 'frag6';
        const offlg = r.be16(cp + 2);
        const rest = 40 + payloadLen - (cp - off) - 8;
        // tcpdump prints this with %zu: a negative value shows as its 64-bit two's complement.
        const restText = rest >= 0 ? String(rest) : String((1n << 64n) + BigInt(rest));
        if (ctx.opts.verbose > 0)
          out.put(
            `frag (0x${r
              .be32(cp + 4)
              .toString(16)
              .padStart(8, '0')}:${offlg & 0xfff8}|${restText})`,
          );
        else out.put(`frag (${offlg & 0xfff8}|${restText})`);
        if ((offlg & 0xfff8) !== 0) return;
        out.put(' ');
        advance = 8;
        if (r.caplen <= cp + advance) return;
        nh = r.u8(cp);
        fragmented = true;
        break;
      }
      case 43:
        advance = printRouting(ctx, r, cp);
        if (advance < 0) return;
        nh = r.u8(cp);
        break;
      default: {
        if (jumbo.found) {
          len = jumbo.payloadLen + 40;
          if (len < total) {
            putTrunc(ctx);
            return;
          }
          if (length < len) out.put(`truncated-ip6 - ${len - length} bytes missing!`);
          r = outer.narrow(off + len);
          len -= total;
        } else {
          // Without a Jumbo Payload option the payload length rules, even when it is zero.
          len = payloadLen + 40;
          r = outer.narrow(off + len);
          len -= total;
        }
        demux(ctx, r, cp, len, 6, fragmented, nh, off);
        return;
      }
    }
    ctx.proto = 'ip6';
  }
}
