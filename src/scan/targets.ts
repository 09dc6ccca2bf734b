/**
 * Scan targets: HOST arguments (names, IPv4/IPv6 literals, CIDR blocks) and the `--shard I/N` slicing of the
 * (host, port) space. The space is ordered host-major (every port of the first host, then the next host), and
 * probe k belongs to shard k mod N, as zmap's `--shard` and a Kubernetes Indexed Job's completion index split
 * work: disjoint, deterministic, no seed to keep in sync.
 */
import { isIP } from 'node:net';
import { parseCount, parseHost } from '../lib/args.js';
import { addressToBigInt, bigIntToAddress, parseCidr, unmapIpv4 } from '../lib/addresses.js';
import { usageError } from '../lib/errors.js';
import type { Family } from '../lib/resolve.js';

/** The most hosts one scan may expand to (an IPv4 /12): beyond that, split the scan into several runs. */
export const MAX_HOSTS = 1 << 20;

/** One HOST argument, validated. */
export type TargetSpec =
  | { kind: 'name'; text: string; name: string }
  | { kind: 'address'; text: string; address: string; family: 4 | 6 }
  | { kind: 'block'; text: string; family: 4 | 6; network: bigint; size: number };

/**
 * Validates HOST arguments: a CIDR block (`10.250.0.0/28`), an address, or (unless -n) a name; throws E_USAGE
 * naming the bad one, or when the blocks together exceed MAX_HOSTS addresses.
 */
export function parseTargets(
  context: string,
  texts: readonly string[],
  numeric: boolean,
  family: Family,
): TargetSpec[] {
  let hosts = 0;
  const specs = texts.map((text): TargetSpec => {
    if (text.includes('/')) {
      const cidr = parseCidr(context, text);
      if (family !== 0 && cidr.family !== family) {
        throw usageError(context, `-${family} given, but "${text}" is IPv${cidr.family}`);
      }
      const hostBits = (cidr.family === 4 ? 32 : 128) - cidr.prefix;
      if (hostBits > 20) {
        throw usageError(context, `address block "${text}" too large (at most ${MAX_HOSTS} addresses: split it)`);
      }
      hosts += 2 ** hostBits;
      return { kind: 'block', text, family: cidr.family, network: cidr.network, size: 2 ** hostBits };
    }
    const host = parseHost(context, text, numeric);
    const literal = isIP(host);
    hosts += 1;
    if (literal === 4 || literal === 6) {
      if (family !== 0 && literal !== family)
        throw usageError(context, `-${family} given, but "${text}" is IPv${literal}`);
      return { kind: 'address', text, address: host, family: literal };
    }
    return { kind: 'name', text, name: host };
  });
  if (hosts > MAX_HOSTS) {
    throw usageError(context, `too many hosts (${hosts}; at most ${MAX_HOSTS}): split the scan into several runs`);
  }
  return specs;
}

/** Returns the addresses of a block in ascending order (network and broadcast included, as nmap scans them). */
export function blockAddresses(spec: Extract<TargetSpec, { kind: 'block' }>): string[] {
  const out: string[] = [];
  for (let i = 0; i < spec.size; i++) out.push(bigIntToAddress(spec.network + BigInt(i), spec.family));
  return out;
}

/** A shard: slice `index` (0-based) of `count` slices of the (host, port) space. */
export interface Shard {
  index: number;
  count: number;
}

/** The whole space as one shard. */
export const WHOLE: Shard = { index: 0, count: 1 };

/** Parses `I/N` with 0 <= I < N; throws E_USAGE naming the input. */
export function parseShard(context: string, text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m?.[1] || !m[2]) throw usageError(context, `invalid shard "${text}" (I/N expected, 0 <= I < N)`);
  const count = parseCount(context, m[2], 'shard count', 1, 1_000_000);
  const index = Number(m[1]);
  if (index >= count) throw usageError(context, `invalid shard "${text}" (I/N expected, 0 <= I < N)`);
  return { index, count };
}

/** The number of probes shard `shard` holds in a space of `total` probes. */
export function shardSize(total: number, shard: Shard): number {
  return total > shard.index ? Math.floor((total - 1 - shard.index) / shard.count) + 1 : 0;
}

/** Formats a shard as `I/N`, the form --shard takes and the summary object records. */
export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/** True when `address` is one of this machine's own: loopback (127.0.0.0/8, ::1) or an interface address. */
export function isLocalAddress(address: string, own: readonly string[]): boolean {
  const plain = unmapIpv4(address);
  if (isIP(plain) === 4 && plain.startsWith('127.')) return true;
  if (isIP(plain) === 6 && addressToBigInt(plain) === 1n) return true;
  return own.includes(address);
}
