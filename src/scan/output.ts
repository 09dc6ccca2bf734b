/**
 * What a probe result means and how it is written: states and reasons (nmap's words), nc's `-v` lines, the
 * default open-port lines, NDJSON objects and the summary. Pure functions: tests feed them results.
 */
import { succeeded } from '../lib/services.js';
import { serviceName, type Proto } from '../lib/services.js';
import { errName, strerror, UV } from '../lib/errno.js';
import { SELF_CONNECT } from './dialer.js';

export type PortState = 'open' | 'closed' | 'filtered' | 'unreachable' | 'open|filtered';

/** The states a summary counts, in the order it lists them. */
export const TCP_STATES: readonly PortState[] = ['open', 'closed', 'filtered', 'unreachable'];
export const UDP_STATES: readonly PortState[] = ['open', 'open|filtered', 'closed', 'unreachable'];

/** One probed port, as printed. */
export interface PortResult {
  /** The address probed. */
  host: string;
  /** The HOST argument when it was a name. */
  name?: string;
  port: number;
  proto: Proto;
  state: PortState;
  reason: string;
  /** libuv status: 0, SELF_CONNECT or a negative errno. */
  status: number;
  /** Time to the answer; absent when there was none. */
  rttMs?: number;
  banner?: Buffer;
}

/** A probed address, resolved from a HOST argument. */
export interface ScanHost {
  address: string;
  family: 4 | 6;
  /** The HOST argument when it was a name. */
  name?: string;
  /** One of this machine's own addresses (open ports there are probed again: see reprobe.ts). */
  local: boolean;
}

/** Builds a PortResult from an engine's answer. */
export function portResult(host: ScanHost, port: number, proto: Proto, status: number, rttMs: number): PortResult {
  const { state, reason } = classify(proto, status);
  const r: PortResult = { host: host.address, port, proto, state, reason, status, rttMs };
  if (host.name !== undefined) r.name = host.name;
  return r;
}

/** Maps a probe's status to its state and reason: RST is closed, silence filtered, ICMP unreachable unreachable. */
export function classify(proto: Proto, status: number): { state: PortState; reason: string } {
  if (status === 0) return { state: 'open', reason: proto === 'tcp' ? 'syn-ack' : 'udp-response' };
  if (status === SELF_CONNECT) return { state: 'closed', reason: 'self-connect' };
  const name = errName(status);
  switch (name) {
    case 'ECONNREFUSED':
      return { state: 'closed', reason: proto === 'tcp' ? 'conn-refused' : 'port-unreach' };
    case 'ETIMEDOUT':
      return { state: proto === 'tcp' ? 'filtered' : 'open|filtered', reason: 'no-response' };
    case 'EHOSTUNREACH':
      return { state: 'unreachable', reason: 'host-unreach' };
    case 'ENETUNREACH':
      return { state: 'unreachable', reason: 'net-unreach' };
    case 'EHOSTDOWN':
      return { state: 'unreachable', reason: 'host-down' };
    case 'ECONNRESET':
      return { state: 'closed', reason: 'reset' };
    case 'EPERM':
    case 'EACCES':
      // A local firewall rule refused to send the probe (nft/iptables reject in OUTPUT).
      return { state: 'filtered', reason: 'admin-prohibited' };
    default:
      return { state: 'filtered', reason: name.toLowerCase() };
  }
}

/** True when `rtt` is worth reporting: the target answered. */
function answered(r: PortResult): boolean {
  return r.rttMs !== undefined && r.status !== UV.ETIMEDOUT;
}

/** The fields of an open-port line, as the NDJSON object of the port has them (what --merge reads back). */
export interface OpenPort {
  host: string;
  port: number;
  proto: string;
  state: PortState;
  service?: string;
  banner?: string;
}

/** The default stdout line for an open port: `127.0.0.1 22/tcp open ssh`, and its banner JSON-quoted. */
export function openLine(p: OpenPort): string {
  let line = `${p.host} ${p.port}/${p.proto} ${p.state}`;
  if (p.service) line += ` ${p.service}`;
  if (p.banner !== undefined) line += ` ${JSON.stringify(p.banner)}`;
  return line;
}

/** openLine for a probe result: the service named from /etc/services, the banner as text. */
export function portLine(r: PortResult): string {
  const banner = r.banner ? bannerText(r.banner) : undefined;
  return openLine({
    host: r.host,
    port: r.port,
    proto: r.proto,
    state: r.state,
    service: serviceName(r.port, r.proto),
    banner,
  });
}

/**
 * nc's -v line: `Connection to H P port [tcp/ssh] succeeded!` for an open port (`*` with -n), else
 * `ntk: connect to H port P (tcp) failed: Connection refused`.
 */
export function verboseLine(r: PortResult, numeric: boolean): string {
  if (r.state === 'open') {
    const line = succeeded({ host: r.name ?? r.host, port: r.port, proto: r.proto, numeric }, r.host);
    return r.banner ? `${line} ${JSON.stringify(bannerText(r.banner))}` : line;
  }
  // nc names the HOST as given (a name stays a name) in its failure lines.
  const what = `ntk: connect to ${r.name ?? r.host} port ${r.port} (${r.proto})`;
  if (r.state === 'open|filtered') return `${what}: no answer (open|filtered)`;
  if (r.status === SELF_CONNECT) return `${what} failed: Connection refused (the probe connected to itself)`;
  const name = errName(r.status);
  return `${what} failed: ${strerror(name) ?? name}`;
}

/** The NDJSON object of one probed port. */
export function portJson(r: PortResult): string {
  const o: Record<string, unknown> = { host: r.host, port: r.port, proto: r.proto, state: r.state, reason: r.reason };
  if (r.name !== undefined) o.name = r.name;
  const svc = serviceName(r.port, r.proto);
  if (svc) o.service = svc;
  if (answered(r) && r.rttMs !== undefined) o.rtt_ms = Math.round(r.rttMs * 1000) / 1000;
  if (r.banner) o.banner = bannerText(r.banner);
  return JSON.stringify(o);
}

/** A banner as text: Latin-1 so every byte survives, trailing line ends dropped. */
export function bannerText(b: Buffer): string {
  return b.toString('latin1').replace(/[\r\n]+$/, '');
}

/** The summary object, last line of --json output and what --merge checks shards with. */
export interface ScanSummary {
  type: 'summary';
  proto: Proto;
  /** The HOST arguments, as given. */
  targets: string[];
  /** The port list in canonical form (formatPortList). */
  ports: string;
  /** Hosts and ports in the whole space (all shards). */
  hosts: number;
  port_count: number;
  shard: string;
  /** Probes this shard made. */
  probes: number;
  open: number;
  closed: number;
  filtered: number;
  unreachable: number;
  'open|filtered'?: number;
  seconds: number;
  /** Ctrl-C ended the scan: the counts cover the probes reported so far. */
  interrupted?: true;
}

/** Counts per state, for the summary. */
export type StateCounts = Record<PortState, number>;

/** A zeroed count table. */
export function emptyCounts(): StateCounts {
  return { open: 0, closed: 0, filtered: 0, unreachable: 0, 'open|filtered': 0 };
}

/** The one-line summary on stderr: `ntk: scan: 1 host, 65535 ports: 5 open, 65530 closed, 0 filtered (0.74 s)`. */
export function summaryLine(s: ScanSummary): string {
  const states = s.proto === 'udp' ? UDP_STATES : TCP_STATES;
  const counts = states
    .filter((st) => st !== 'unreachable' || s.unreachable > 0)
    .map((st) => `${(s as unknown as Record<string, number>)[st] ?? 0} ${st}`)
    .join(', ');
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const space = `${plural(s.hosts, 'host')}, ${plural(s.port_count, `${s.proto} port`)}`;
  const shard = s.shard === '0/1' ? '' : ` (shard ${s.shard}: ${s.probes} probes)`;
  const time = `${s.interrupted ? 'interrupted after ' : ''}${s.seconds.toFixed(2)} s`;
  return `ntk: scan: ${space}${shard}: ${counts} (${time})`;
}
