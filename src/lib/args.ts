/**
 * Validation of command-line values, done while parsing (nc's strtonum/strtoport): each parser returns a typed
 * value or throws a usage error that names the input. Commands call them, and so do the capabilities that parse
 * lists of values themselves (scan targets and port lists).
 */
import { isIP } from 'node:net';
import { usageError } from './errors.js';
import { servicePort, type Proto } from './services.js';

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
export function parseCount(
  context: string,
  text: string,
  what: string,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
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
  if (
    host.length > 253 ||
    !host.split('.').every((l, i, all) => label.test(l) || (l === '' && i === all.length - 1 && i > 0))
  ) {
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
