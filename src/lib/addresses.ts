/**
 * IPv4 and IPv6 addresses as numbers: parsing, formatting (RFC 5952), CIDR blocks and IPv4-mapped IPv6. The one
 * place that does address arithmetic (argument checks, access rules, scan targets, the socket table, filters).
 */
import { isIP } from 'node:net';
import { usageError } from './errors.js';

/** A parsed CIDR block. */
export interface Cidr {
  family: 4 | 6;
  /** The network address as a big integer (host bits cleared). */
  network: bigint;
  prefix: number;
  text: string;
}

/** Parses "ADDR/PREFIX" (or a bare address, as a /32 or /128); throws E_USAGE for a bad address or prefix. */
export function parseCidr(context: string, text: string): Cidr {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(addr);
  if (family !== 4 && family !== 6) throw usageError(context, `invalid address block "${text}"`);
  const bits = family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(bits) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
    throw usageError(context, `invalid prefix length in "${text}" (0-${bits})`);
  }
  const prefix = Number(prefixText);
  return { family, network: addressToBigInt(addr) & prefixMask(family, prefix), prefix, text };
}

/** The netmask of a /`prefix` block of `family` as a big integer (the top `prefix` bits set). */
function prefixMask(family: 4 | 6, prefix: number): bigint {
  const bits = family === 4 ? 32 : 128;
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/** Returns the IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:10.0.0.1` → `10.0.0.1`, RFC 4291 §2.5.5.2), else `addr`. */
export function unmapIpv4(addr: string): string {
  return addr.toLowerCase().startsWith('::ffff:') && isIP(addr.slice(7)) === 4 ? addr.slice(7) : addr;
}

/** Converts an IPv4 or IPv6 literal to a big integer (IPv4-mapped IPv6 stays 128-bit). */
export function addressToBigInt(addr: string): bigint {
  if (isIP(addr) === 4) return addr.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  let text = addr;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const n = addressToBigInt(v4[1]);
    text = text.slice(0, -v4[1].length) + ((n >> 16n) & 0xffffn).toString(16) + ':' + (n & 0xffffn).toString(16);
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** True when `addr` lies in `block`. */
export function cidrContains(block: Cidr, addr: string): boolean {
  // A peer on a dual-stack socket shows as ::ffff:a.b.c.d; an IPv4 block holds it as a.b.c.d.
  // An IPv4 peer lies in an IPv6 block when its mapped form ::ffff:a.b.c.d does.
  const plain = block.family === 4 ? unmapIpv4(addr) : isIP(addr) === 4 ? `::ffff:${addr}` : addr;
  if (isIP(plain) !== block.family) return false;
  return (addressToBigInt(plain) & prefixMask(block.family, block.prefix)) === block.network;
}

/** Formats a big integer as an IPv4 dotted quad or an IPv6 address as formatIpv6 writes it. */
export function bigIntToAddress(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  return formatIpv6(Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn)));
}

/**
 * Formats eight 16-bit words as IPv6 text as inet_ntop does (and tcpdump prints): the longest run of two or more
 * zero words as "::" (the first on a tie, RFC 5952 §4.2), and ::a.b.c.d and ::ffff:a.b.c.d with a dotted quad.
 */
export function formatIpv6(words: readonly number[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) best = -1;
  const w6 = words[6] as number;
  const w7 = words[7] as number;
  const dotted = `${w6 >> 8}.${w6 & 0xff}.${w7 >> 8}.${w7 & 0xff}`;
  if (best === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
    return bestLen === 6 ? `::${dotted}` : `::ffff:${dotted}`;
  }
  const hex = (ws: readonly number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

/** The text of a 4-byte (IPv4) or 16-byte (IPv6, written as formatIpv6 does) address. */
export function addressFromBytes(bytes: ArrayLike<number>): string {
  let n = 0n;
  for (let i = 0; i < bytes.length; i++) n = (n << 8n) | BigInt(bytes[i] as number);
  return bigIntToAddress(n, bytes.length === 4 ? 4 : 6);
}

/** The bytes of an IPv4 (4 bytes) or IPv6 (16 bytes, embedded IPv4 included) literal; undefined for anything else. */
export function addressBytes(text: string): Uint8Array | undefined {
  const family = isIP(text);
  if (family !== 4 && family !== 6) return undefined;
  const size = family === 4 ? 4 : 16;
  let n = addressToBigInt(text);
  const b = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--, n >>= 8n) b[i] = Number(n & 0xffn);
  return b;
}
