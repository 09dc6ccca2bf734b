/**
 * Validation of command-line values, done while parsing (nc's strtonum/strtoport): each parser returns a typed
 * value or throws a usage error that names the input.
 */
import { isIP } from 'node:net';
import { usageError } from '../errors.js';
import { servicePort, type Proto } from '../net/services.js';

/** Parses a port number or service name ("80", "http") into 1..65535; throws E_USAGE naming the input. */
export function parsePort(context: string, text: string, proto: Proto = 'tcp', what = 'port'): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= 65535) return n;
    throw usageError(context, `${what} out of range (1-65535): "${text}"`);
  }
  if (/^[A-Za-z][\w.+-]*$/.test(text)) {
    const port = servicePort(text, proto);
    if (port !== undefined) return port;
    throw usageError(context, `unknown ${proto} service "${text}"`);
  }
  throw usageError(context, `invalid ${what} "${text}"`);
}

/** Parses a local port to bind: a number 0..65535 (0: any free port); throws E_USAGE naming the input. */
export function parseLocalPort(context: string, text: string, what = 'port'): number {
  if (!/^\d+$/.test(text)) throw usageError(context, `invalid ${what} "${text}"`);
  const n = Number(text);
  if (n > 65535) throw usageError(context, `${what} out of range (0-65535): "${text}"`);
  return n;
}

/** Parses "LO-HI" (or one port) into an inclusive range; throws E_USAGE for an empty or reversed range. */
export function parsePortRange(context: string, text: string, proto: Proto = 'tcp'): [number, number] {
  const dash = text.indexOf('-');
  if (dash < 0) {
    const p = parsePort(context, text, proto);
    return [p, p];
  }
  const lo = text.slice(0, dash);
  const hi = text.slice(dash + 1);
  if (!lo || !hi) throw usageError(context, `invalid port range "${text}"`);
  const a = parsePort(context, lo, proto);
  const b = parsePort(context, hi, proto);
  if (a > b) throw usageError(context, `invalid port range "${text}"`);
  return [a, b];
}

/** Parses a duration in seconds ("5", "0.5") into milliseconds; throws E_USAGE unless 0 <= s <= 86400*365. */
export function parseSeconds(context: string, text: string, what = 'timeout'): number {
  if (!/^\d+(\.\d+)?$/.test(text)) throw usageError(context, `invalid ${what} "${text}" (seconds expected)`);
  const s = Number(text);
  if (s > 86400 * 365) throw usageError(context, `${what} too large: "${text}"`);
  return Math.round(s * 1000);
}

/** Parses a whole number within [min, max]; throws E_USAGE naming `what` and the input. */
export function parseCount(context: string, text: string, what: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(text)) throw usageError(context, `invalid ${what} "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw usageError(context, `${what} out of range (${min}-${max}): "${text}"`);
  return n;
}

/**
 * Checks a HOST argument: an IPv4/IPv6 literal (brackets allowed around IPv6) or a DNS name. With `numeric`
 * (-n) only literals pass. Returns the host without brackets.
 */
export function parseHost(context: string, text: string, numeric = false): string {
  const host = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIP(host)) return host;
  if (numeric) throw usageError(context, `-n given, but "${text}" is not a numeric address`);
  const label = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/;
  if (host.length > 253 || !host.split('.').every((l, i, all) => label.test(l) || (l === '' && i === all.length - 1 && i > 0))) {
    throw usageError(context, `invalid host "${text}"`);
  }
  return host;
}

/** Parses an address literal for -s (no names); throws E_USAGE. */
export function parseAddress(context: string, text: string, what = 'source address'): string {
  const addr = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (!isIP(addr)) throw usageError(context, `invalid ${what} "${text}" (a numeric IPv4 or IPv6 address)`);
  return addr;
}

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
  const plain = block.family === 4 ? unmapIpv4(addr) : addr;
  if (isIP(plain) !== block.family) return false;
  return (addressToBigInt(plain) & prefixMask(block.family, block.prefix)) === block.network;
}

/** Formats a big integer as an IPv4 dotted quad or a compressed IPv6 address (RFC 5952). */
export function bigIntToAddress(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952 §4.2: compress the longest run (of two or more) of zero groups, the first one on a tie.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
