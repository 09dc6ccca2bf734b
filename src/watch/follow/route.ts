/**
 * The interface packets to an address leave by, as `ip route get` would say, from the kernel's tables: this
 * host's own addresses and loopback go through `lo`; others take the longest matching prefix of
 * /proc/net/route (IPv4) or /proc/net/ipv6_route (IPv6), lowest metric first. When nothing can be read, `any`.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { addressToBigInt, unmapIpv4 } from '../../lib/addresses.js';

/** Returns the name of the interface the route to `address` uses ('lo' for this host's own addresses). */
export function routeInterface(address: string, tables: { route?: string; route6?: string } = {}): string {
  const a = unmapIpv4(address);
  const family = isIP(a);
  if (family === 0) return 'any';
  if (a.startsWith('127.') || a === '::1' || isOwnAddress(a)) return 'lo';
  try {
    return family === 4
      ? (route4(a, tables.route ?? readFileSync('/proc/net/route', 'latin1')) ?? 'any')
      : (route6(a, tables.route6 ?? readFileSync('/proc/net/ipv6_route', 'latin1')) ?? 'any');
  } catch {
    return 'any';
  }
}

function isOwnAddress(a: string): boolean {
  return Object.values(networkInterfaces()).some((list) => (list ?? []).some((i) => unmapIpv4(i.address) === a));
}

/** /proc/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask … (addresses in host byte order). */
export function route4(address: string, table: string): string | undefined {
  const target = Number(addressToBigInt(address));
  let best: { iface: string; bits: number; metric: number } | undefined;
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const flags = parseInt(f[3] as string, 16);
    if (!(flags & 1)) continue; // RTF_UP
    const dest = swap(parseInt(f[1] as string, 16));
    const mask = swap(parseInt(f[7] as string, 16));
    if ((target & mask) >>> 0 !== (dest & mask) >>> 0) continue;
    const bits = popcount(mask);
    const metric = Number(f[6]);
    if (!best || bits > best.bits || (bits === best.bits && metric < best.metric))
      best = { iface: f[0] as string, bits, metric };
  }
  return best?.iface;
}

/** /proc/net/ipv6_route: dest plen src splen nexthop metric refcnt use flags iface. */
export function route6(address: string, table: string): string | undefined {
  const target = addressToBigInt(address);
  let best: { iface: string; bits: number; metric: number } | undefined;
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const bits = parseInt(f[1] as string, 16);
    const dest = BigInt('0x' + f[0]);
    const mask = bits === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - bits)) - 1n);
    if ((target & mask) !== (dest & mask)) continue;
    const metric = parseInt(f[5] as string, 16);
    const iface = f[9] as string;
    if (iface === 'lo' && bits < 128) continue; // unreachable/blackhole defaults live on lo
    if (!best || bits > best.bits || (bits === best.bits && metric < best.metric)) best = { iface, bits, metric };
  }
  return best?.iface;
}

/** /proc/net/route prints addresses as little-endian words on x86 and arm64: back to network order. */
function swap(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

function popcount(v: number): number {
  let n = 0;
  for (let x = v >>> 0; x; x >>>= 1) n += x & 1;
  return n;
}
