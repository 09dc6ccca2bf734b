/**
 * Helpers shared by the printers (util-print.c, in_cksum.c): printable-character escaping, Internet checksums
 * (RFC 1071) with the pseudo-headers of RFC 793/768 and RFC 8200 section 8.1.
 */
import type { Out } from './context.js';
import type { Reader } from './reader.js';

/** fn_print_char: non-ASCII bytes as "M-" + the low 7 bits, control characters as "^" + (c ^ 0x40). */
export function fnChar(c: number): string {
  let s = '';
  if (c >= 0x80) {
    c &= 0x7f;
    s = 'M-';
  }
  if (c < 0x20 || c === 0x7f) return s + '^' + String.fromCharCode(c ^ 0x40);
  return s + String.fromCharCode(c);
}

/** ND_ASCII_ISPRINT: 0x20..0x7e. */
export function isPrint(c: number): boolean {
  return c >= 0x20 && c < 0x7f;
}

/** Folds a running sum and complements it: 0 means the data (including its checksum field) is correct. */
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}

/** in_cksum_shouldbe: the checksum field value that would have made the packet correct. */
export function cksumShouldBe(field: number, computed: number): number {
  let s = field + computed;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** Checksum over IPv4 pseudo-header + `len` bytes at `off` (RFC 793 section 3.1); 0 when correct. */
export function cksum4(r: Reader, ipOff: number, off: number, len: number, proto: number): number {
  let sum = r.sumWords(ipOff + 12, 8, 0);
  sum += proto + (len & 0xffff) + Math.floor(len / 65536);
  return foldSum(r.sumWords(off, len, sum));
}

/**
 * ip6_finddst: where the final destination address is for the pseudo-header (RFC 8200 section 8.1): the last
 * address of a type 0/2 routing header (counted as tcpdump counts it, one address per 8-octet unit), the first
 * segment of a segment routing header, else the IPv6 destination.
 */
function finalDst(r: Reader, ipOff: number): number {
  let cp = ipOff;
  let advance = 40;
  let nh = r.u8(ipOff + 6);
  let dst = ipOff + 24;
  while (cp < r.caplen) {
    cp += advance;
    switch (nh) {
      case 0:
      case 60:
      case 62:
      case 135:
        advance = (r.u8(cp + 1) + 1) << 3;
        nh = r.u8(cp);
        break;
      case 44:
        advance = 8;
        nh = r.u8(cp);
        break;
      case 43: {
        const len = r.u8(cp + 1);
        const type = r.u8(cp + 2);
        if (type === 0 || type === 2) {
          // tcpdump reads one address per unit of `len` (twice too many); ntk stops at what was captured.
          for (let i = 0; i < len && r.has(cp + 8 + 16 * i, 16); i++) dst = cp + 8 + 16 * i;
        } else if (type === 4) dst = cp + 8;
        return dst;
      }
      default:
        return dst;
    }
  }
  return dst;
}

/** Checksum over the IPv6 pseudo-header + `len` bytes at `off` (RFC 8200 section 8.1); 0 when correct. */
export function cksum6(r: Reader, ipOff: number, off: number, len: number, proto: number): number {
  let sum = r.sumWords(ipOff + 8, 16, 0);
  sum = r.sumWords(finalDst(r, ipOff), 16, sum);
  sum += (len >>> 16) + (len & 0xffff) + proto;
  return foldSum(r.sumWords(off, len, sum));
}

/**
 * "addr.port" of the source (`which` 0) or destination (1) of the IPv4 or IPv6 header at `ipOff`, the address
 * alone when `port` is negative: each half of the "src.sport > dst.dport: " that TCP and UDP print.
 */
export function putEndpoint(out: Out, r: Reader, ipOff: number, v6: boolean, which: 0 | 1, port: number): void {
  if (v6) out.put(r.ipv6(ipOff + 8 + 16 * which));
  else r.putIpv4(out, ipOff + 12 + 4 * which);
  if (port >= 0) {
    out.putByte(0x2e);
    out.num(port);
  }
}
