/**
 * Port lists for `ntk scan`: `21-25`, `22,80,443`, `-` (every port), service names from /etc/services
 * (`ssh,http`), or any mix. Each item goes through parsePort/parsePortRange, so a bad one is named in the error.
 */
import { parsePortRange } from '../lib/args.js';
import { usageError } from '../lib/errors.js';
import { servicePort, type Proto } from '../lib/services.js';

/**
 * Parses a port list into its ports, ascending and without repeats; throws E_USAGE naming the bad item
 * (`invalid port range "25-21"`, `port out of range (1-65535): "0"`, `unknown tcp service "abc"`).
 */
export function parsePortList(context: string, text: string, proto: Proto = 'tcp'): number[] {
  if (text === '-') return range(1, 65535);
  const seen = new Uint8Array(65536);
  for (const item of text.split(',')) {
    if (item === '') throw usageError(context, `invalid port list "${text}" (empty item)`);
    if (item === '-') throw usageError(context, `invalid port list "${text}" ("-", all ports, stands alone)`);
    // A service name may contain a dash (`http-alt`): try the whole item as a name before reading a range.
    const named = /^[A-Za-z][\w.+-]*$/.test(item) ? servicePort(item, proto) : undefined;
    const [lo, hi] = named === undefined ? parsePortRange(context, item, proto) : [named, named];
    seen.fill(1, lo, hi + 1);
  }
  const ports: number[] = [];
  for (let p = 1; p <= 65535; p++) if (seen[p]) ports.push(p);
  return ports;
}

/** Writes ports back as the shortest list of ranges (`1-1024,8080`): the canonical form shards compare. */
export function formatPortList(ports: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < ports.length) {
    const start = ports[i] as number;
    let end = start;
    while (i + 1 < ports.length && ports[i + 1] === end + 1) end = ports[++i] as number;
    parts.push(start === end ? String(start) : `${start}-${end}`);
    i++;
  }
  return parts.join(',');
}

function range(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}
