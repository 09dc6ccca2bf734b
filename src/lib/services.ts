/**
 * Service names for ports, from /etc/services (as nc's `getservbyport` and `strtoport` use them), with a small
 * built-in table for machines that lack the file.
 */
import { readFileSync } from 'node:fs';

export type Proto = 'tcp' | 'udp';

interface ServiceTable {
  byPort: Map<string, string>; // "80/tcp" -> "http"
  byName: Map<string, number>; // "http/tcp" -> 80 (aliases too)
}

const FALLBACK = `ftp-data 20/tcp\nftp 21/tcp\nssh 22/tcp\ntelnet 23/tcp\nsmtp 25/tcp\ndomain 53/tcp\ndomain 53/udp
bootps 67/udp\nbootpc 68/udp\ntftp 69/udp\nhttp 80/tcp www\npop3 110/tcp\nsunrpc 111/tcp\nsunrpc 111/udp
ntp 123/udp\nimap2 143/tcp imap\nsnmp 161/udp\nhttps 443/tcp\nhttps 443/udp\nsubmission 587/tcp\nimaps 993/tcp
pop3s 995/tcp\nmysql 3306/tcp\npostgresql 5432/tcp\nhttp-alt 8080/tcp webcache\n`;

let table: ServiceTable | undefined;

/** Parses the text of an /etc/services file. */
export function parseServices(text: string): ServiceTable {
  const byPort = new Map<string, string>();
  const byName = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const hash = raw.indexOf('#');
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (!line) continue;
    const [name, portProto, ...aliases] = line.split(/\s+/);
    const m = /^(\d+)\/(\w+)$/.exec(portProto ?? '');
    if (!name || !m) continue;
    const port = Number(m[1]);
    const proto = m[2];
    if (!byPort.has(`${port}/${proto}`)) byPort.set(`${port}/${proto}`, name);
    for (const n of [name, ...aliases]) if (!byName.has(`${n}/${proto}`)) byName.set(`${n}/${proto}`, port);
  }
  return { byPort, byName };
}

function services(): ServiceTable {
  if (!table) {
    let text = FALLBACK;
    try {
      text = readFileSync('/etc/services', 'utf8');
    } catch {
      // No /etc/services (minimal images): the built-in table covers the well-known ports.
    }
    table = parseServices(text);
  }
  return table;
}

/** Returns the service name of `port`/`proto`, or undefined when it has none. */
export function serviceName(port: number, proto: Proto): string | undefined {
  return services().byPort.get(`${port}/${proto}`);
}

/** Returns the port of service `name`/`proto`, or undefined when the name is unknown. */
export function servicePort(name: string, proto: Proto): number | undefined {
  return services().byName.get(`${name}/${proto}`);
}

/** nc's -v line: `Connection to HOST PORT port [tcp/SERVICE] succeeded!` (`*` with -n or for unnamed ports). */
export function succeeded(
  opts: { host: string; port: number; proto: Proto; numeric: boolean },
  address: string,
): string {
  const svc = (opts.numeric ? undefined : serviceName(opts.port, opts.proto)) ?? '*';
  const who = address === opts.host ? opts.host : `${opts.host} (${address})`;
  return `Connection to ${who} ${opts.port} port [${opts.proto}/${svc}] succeeded!`;
}
