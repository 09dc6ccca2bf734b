/**
 * ICMP (print-icmp.c, RFC 792): echo, unreachable, redirect, time exceeded and the other types in one phrase,
 * "ICMP echo request, id 1, seq 1, length 64"; with -v the checksum and the quoted IP header of errors.
 *
 *   | type | code | cksum(2) | id/seq or unused(4) | quoted IP header + 8 bytes, or data |
 */
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { ICMP_TYPES, ICMP_UNREACH, tok2str } from './tables.js';
import { cksumShouldBe, foldSum } from './util.js';
import { putTrunc } from './trunc.js';
import { printIp } from './ip.js';
import { hexDump } from './hex.js';

/** Types whose payload is the offending datagram (ICMP_ERRTYPE). */
function isErrType(t: number): boolean {
  return t === 3 || t === 4 || t === 5 || t === 11 || t === 12;
}

function msText(t: number): string {
  const msec = t % 1000;
  let sec = Math.floor(t / 1000);
  let min = Math.floor(sec / 60);
  sec -= min * 60;
  const hrs = Math.floor(min / 60);
  min -= hrs * 60;
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${p2(hrs)}:${p2(min)}:${p2(sec)}.${String(msec).padStart(3, '0')}`;
}

/**
 * Prints an ICMP message of `plen` bytes at `off`. Where tcpdump checks a length first (ND_TCHECK), a short
 * message ends with the mark and returns; any other short read ends the packet.
 */
export function printIcmp(ctx: PrintContext, r: Reader, off: number, plen: number, fragmented: boolean): void {
  ctx.proto = 'icmp';
  const out = ctx.out;
  const type = r.u8(off);
  const code = r.u8(off + 1);
  const ipDst = (): string => r.ipv4(off + 8 + 16);
  let str: string;
  switch (type) {
    case 0:
    case 8:
      str = `echo ${type === 8 ? 'request' : 'reply'}, id ${r.be16(off + 4)}, seq ${r.be16(off + 6)}`;
      break;
    case 3:
      if (code === 2) str = `${ipDst()} protocol ${r.u8(off + 8 + 9)} unreachable`;
      else if (code === 3) {
        if (!r.has(off + 8 + 9, 1)) return putTrunc(ctx);
        const hlen = (r.u8(off + 8) & 0x0f) * 4;
        const dport = r.be16(off + 8 + hlen + 2);
        const proto = r.u8(off + 8 + 9);
        const dst = ipDst();
        if (proto === 6) str = `${dst} tcp port ${dport} unreachable`;
        else if (proto === 17) str = `${dst} udp port ${dport} unreachable`;
        else str = `${dst} protocol ${proto} port ${dport} unreachable`;
      } else if (code === 4) {
        const mtu = r.be16(off + 6);
        str = mtu ? `${ipDst()} unreachable - need to frag (mtu ${mtu})` : `${ipDst()} unreachable - need to frag`;
      } else {
        const f = ICMP_UNREACH.get(code);
        str = f !== undefined ? f.replace('%s', ipDst()) : `${ipDst()} unreachable - #${code}`;
      }
      break;
    case 5: {
      const dst = ipDst();
      const gw = r.ipv4(off + 4);
      str =
        code === 0
          ? `redirect ${dst} to net ${gw}`
          : code === 1
            ? `redirect ${dst} to host ${gw}`
            : code === 2
              ? `redirect-tos ${dst} to net ${gw}`
              : code === 3
                ? `redirect-tos ${dst} to host ${gw}`
                : `redirect-#${code} ${dst} to ${gw}`;
      break;
    }
    case 9: {
      if (!r.has(off + 4, 4)) return putTrunc(ctx);
      const lifetime = r.be16(off + 6);
      str = 'router advertisement lifetime ';
      if (lifetime < 60) str += String(lifetime);
      else if (lifetime < 3600) str += `${Math.floor(lifetime / 60)}:${String(lifetime % 60).padStart(2, '0')}`;
      else
        str += `${Math.floor(lifetime / 3600)}:${String(Math.floor((lifetime % 3600) / 60)).padStart(2, '0')}:${String(lifetime % 60).padStart(2, '0')}`;
      let num = r.u8(off + 4);
      str += ` ${num}:`;
      const size = r.u8(off + 5);
      if (size !== 2) {
        str += ` [size ${size}]`;
        break;
      }
      let p = off + 8;
      while (num-- > 0) {
        if (!r.has(p, 8)) return putTrunc(ctx);
        str += ` {${r.ipv4(p)} ${r.be32(p + 4)}}`;
        p += 8;
      }
      break;
    }
    case 11:
      if (!r.has(off + 8 + 16, 4)) return putTrunc(ctx);
      str =
        code === 0 ? 'time exceeded in-transit' : code === 1 ? 'ip reassembly time exceeded' : `time exceeded-#${code}`;
      break;
    case 12:
      str = code ? `parameter problem - code ${code}` : `parameter problem - octet ${r.u8(off + 4)}`;
      break;
    case 18:
      str = `address mask is 0x${r
        .be32(off + 8)
        .toString(16)
        .padStart(8, '0')}`;
      break;
    case 13:
      str = `time stamp query id ${r.be16(off + 4)} seq ${r.be16(off + 6)}`;
      break;
    case 14:
      if (!r.has(off + 16, 4)) return putTrunc(ctx);
      str = `time stamp reply id ${r.be16(off + 4)} seq ${r.be16(off + 6)}: org ${msText(r.be32(off + 8))}`;
      str += `, recv ${msText(r.be32(off + 12))}, xmit ${msText(r.be32(off + 16))}`;
      break;
    default:
      str = tok2str(ICMP_TYPES, 'type-#%u', type);
  }
  out.put(`ICMP ${str}, length ${plen}`);
  if (ctx.opts.verbose > 0 && !fragmented && r.has(off, plen)) {
    const sum = foldSum(r.sumWords(off, plen, 0));
    if (sum !== 0) {
      const field = r.be16(off + 2);
      out.put(` (wrong icmp cksum ${field.toString(16)} (->${cksumShouldBe(field, sum).toString(16)})!)`);
    }
  }
  if (ctx.opts.verbose > 0 && isErrType(type)) {
    const bp = off + 8;
    out.put('\n\t');
    const ipLen = r.be16(bp + 2);
    printIp(ctx, r.narrow(bp + ipLen), bp, ipLen);
  }
  ctx.proto = 'icmp';
  if (ctx.opts.verbose > 0 && plen > ICMP_EXTD_MINLEN && (type === 3 || type === 11 || type === 12)) {
    printExtensions(ctx, r, off, plen);
  }
}

/** Where RFC 4884 extensions start: after 128 bytes of the original datagram and the 8-byte ICMP header. */
const ICMP_EXTD_MINLEN = 136;
const EXT_OBJECTS: ReadonlyMap<number, string> = new Map([
  [1, 'MPLS Stack Entry'],
  [2, 'Interface Identification'],
]);

/** RFC 4884 multi-part extensions (RFC 4950 MPLS label stacks decoded, other objects dumped). */
function printExtensions(ctx: PrintContext, r: Reader, off: number, plen: number): void {
  const out = ctx.out;
  if (!r.has(off, 141)) return putTrunc(ctx);
  const ext = off + ICMP_EXTD_MINLEN;
  if (r.u8(off + 5) === 0 && r.has(ext, plen - ICMP_EXTD_MINLEN)) {
    // No length set: an extension is there only if its checksum says so.
    if (foldSum(r.sumWords(ext, plen - ICMP_EXTD_MINLEN, 0)) !== 0) return;
  }
  const version = r.u8(ext) >> 4;
  out.put(`\n\tICMP Multi-Part extension v${version}`);
  if (version !== 2) {
    out.put(' packet not supported');
    return;
  }
  let hlen = plen - ICMP_EXTD_MINLEN;
  if (r.has(ext, hlen)) {
    const bad = foldSum(r.sumWords(ext, hlen, 0)) !== 0;
    out.put(
      `, checksum 0x${r
        .be16(ext + 2)
        .toString(16)
        .padStart(4, '0')} (${bad ? 'in' : ''}correct), length ${hlen}`,
    );
  }
  hlen -= 4;
  let p = ext + 4;
  while (hlen > 4) {
    if (!r.has(p, 4)) return putTrunc(ctx);
    let tlen = r.be16(p);
    const cls = r.u8(p + 2);
    const ctype = r.u8(p + 3);
    p += 4;
    out.put(`\n\t  ${tok2str(EXT_OBJECTS, 'unknown', cls)} Object (${cls}), Class-Type: ${ctype}, length ${tlen}`);
    hlen -= 4;
    if (cls === 0 || tlen < 4) return;
    tlen -= 4;
    if (cls === 1 && ctype === 1) {
      const label = r.be32(p);
      out.put(
        `\n\t    label ${label >>> 12}, tc ${(label >>> 9) & 7}${(label >>> 8) & 1 ? ', [S]' : ''}, ttl ${label & 0xff}`,
      );
    } else {
      out.put(hexDump(r, '\n\t    ', p, tlen).text);
    }
    if (hlen < tlen) break;
    hlen -= tlen;
    p += tlen;
  }
}
