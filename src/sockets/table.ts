/**
 * The socket table as ntk shows it (netstat's and ss's part): filters, one row per socket with the timer that
 * matters, the half-open hint, text columns that line up like `ss -tan`, and one JSON object per socket. Pure:
 * the entries and their owners come in, lines go out.
 */
import { isIP } from 'node:net';
import { usageError } from '../lib/errors.js';
import { parsePort } from '../lib/args.js';
import { serviceName } from '../lib/services.js';
import { TCP_STATES, type SockEntry, type SockOwner } from '../lib/socktable.js';

/** What one filter word selects. Several words must all match. */
export type SockFilter =
  | { kind: 'port'; port: number }
  | { kind: 'state'; state: string }
  | { kind: 'proto'; proto: 'tcp' | 'udp' }
  | { kind: 'address'; address: string };

/** The kernel's TCP state names (include/net/tcp_states.h, as netstat prints them) and UDP's two as ss names them. */
export const STATE_NAMES = [...TCP_STATES.slice(1), 'UNCONN'] as const;

/**
 * Parses one filter word: a port number or service name (`12345`, `:12345`, `ssh`), a state (`TIME_WAIT`, also
 * written `time-wait`), `tcp` or `udp`, or an address (`127.0.0.1`, `::1`); throws E_USAGE naming the word.
 */
export function parseFilter(context: string, word: string): SockFilter {
  const lower = word.toLowerCase();
  if (lower === 'tcp' || lower === 'udp') return { kind: 'proto', proto: lower };
  const state = word.toUpperCase().replace(/-/g, '_');
  if ((STATE_NAMES as readonly string[]).includes(state)) return { kind: 'state', state };
  if (isIP(word) !== 0) return { kind: 'address', address: word };
  const port = word.startsWith(':') ? word.slice(1) : word;
  if (/^\d+$/.test(port) || /^[A-Za-z][\w.+-]*$/.test(port))
    return { kind: 'port', port: parsePort(context, port, 'tcp') };
  throw usageError(context, `invalid filter "${word}" (a port, a state such as TIME_WAIT, tcp, udp or an address)`);
}

/** How the timer kinds of /proc/net/tcp are named (ss -o's words). */
const TIMER_NAMES: Record<number, string> = { 1: 'retrans', 2: 'keepalive', 3: 'timewait', 4: 'persist' };

/** One socket as shown: the entry, its owners and the derived words. */
export interface SockRow {
  entry: SockEntry;
  owners: SockOwner[];
}

/** True when `e` passes every filter; `listeners` keeps LISTEN (TCP) and unconnected UDP sockets only (ss -l). */
export function matches(e: SockEntry, filters: SockFilter[], listeners: boolean): boolean {
  if (listeners && e.state !== 'LISTEN' && e.state !== 'UNCONN') return false;
  return filters.every((f) => {
    switch (f.kind) {
      case 'port':
        return e.localPort === f.port || e.remotePort === f.port;
      case 'state':
        return e.state === f.state;
      case 'proto':
        return e.proto === f.proto;
      case 'address':
        return sameAddress(e.localAddress, f.address) || sameAddress(e.remoteAddress, f.address);
    }
  });
}

function sameAddress(a: string, b: string): boolean {
  const plain = (x: string): string => x.toLowerCase().replace(/^::ffff:(?=\d+\.)/, '');
  return plain(a) === plain(b);
}

/** `address:port` as ss writes it: IPv6 in brackets, `*` for port 0 (no peer), the service name unless numeric. */
export function endpoint(address: string, port: number, proto: 'tcp' | 'udp', numeric: boolean): string {
  const host = isIP(address) === 6 ? `[${address}]` : address;
  const svc = port === 0 ? '*' : numeric ? String(port) : (serviceName(port, proto) ?? String(port));
  return `${host}:${svc}`;
}

/** Seconds as ss -o writes a short time: "54s", "3.2s", "200ms". */
function seconds(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.round(ms / 1000)}s`;
}

/** The timer column: `timewait 54s`, `retrans 3.2s #5` (retransmissions so far), `keepalive 7199s`; '' for none. */
export function timerText(e: SockEntry): string {
  const name = TIMER_NAMES[e.timer];
  if (!name) return '';
  if (e.timer === 3) return `${name} ${seconds(e.timerMs)}`;
  const count = e.timer === 1 ? e.retransmits : e.probes;
  return `${name} ${seconds(e.timerMs)}${count > 0 ? ` #${count}` : ''}`;
}

/**
 * The one-line hint for a socket whose peer stopped answering: data retransmitted without an ACK (the half-open
 * case), or keep-alive/zero-window probes unanswered. `retries2` is net.ipv4.tcp_retries2, when known.
 */
export function hintFor(e: SockEntry, retries2?: number): string | undefined {
  if (e.proto !== 'tcp') return undefined;
  const peer = endpoint(e.remoteAddress, e.remotePort, 'tcp', true);
  if (e.timer === 1 && e.retransmits > 0 && e.inode === 0 && e.state !== 'SYN_SENT') {
    // Closed by its program (no inode, no owner) while its FIN was unanswered: the kernel alone retries it.
    const n = `${e.retransmits} retransmission${e.retransmits === 1 ? '' : 's'}`;
    return `no ACK from ${peer} after ${n}, and no program owns the socket any more: the kernel gives up after net.ipv4.tcp_orphan_retries (8 when 0)`;
  }
  if (e.timer === 1 && e.retransmits > 0 && e.state !== 'SYN_SENT') {
    const limit = retries2 === undefined ? '' : `; the kernel gives up after ${retries2} (net.ipv4.tcp_retries2)`;
    return `no ACK from ${peer} after ${e.retransmits} retransmission${e.retransmits === 1 ? '' : 's'}: the peer may be gone (half-open)${limit}`;
  }
  if (e.timer === 1 && e.retransmits > 0) return `no SYN-ACK from ${peer} after ${e.retransmits} SYN retransmissions`;
  if (e.timer === 2 && e.probes > 0)
    return `${e.probes} keep-alive probe${e.probes === 1 ? '' : 's'} unanswered by ${peer}`;
  if (e.timer === 4 && e.probes > 0) return `${peer} advertises a zero window: ${e.probes} probes sent`;
  return undefined;
}

/** The process column: `pid/program` for each holder, as netstat -p writes it. */
export function ownersText(owners: SockOwner[]): string {
  const seen = new Set<number>();
  return owners
    .filter((o) => !seen.has(o.pid) && seen.add(o.pid))
    .map((o) => `${o.pid}/${o.comm}`)
    .join(',');
}

const HEADER = ['Netid', 'State', 'Recv-Q', 'Send-Q', 'Local Address:Port', 'Peer Address:Port', 'Timer', 'Process'];
/** Columns aligned to the right (the queues), as ss aligns them. */
const RIGHT = new Set([2, 3]);

/** Formats rows as aligned text lines (header first); a hint goes on its own line under its socket. */
export function formatTable(rows: SockRow[], opts: { numeric: boolean; retries2?: number }): string[] {
  const cells = rows.map(({ entry: e, owners }) => [
    e.proto,
    e.state,
    String(e.recvQ),
    String(e.sendQ),
    endpoint(e.localAddress, e.localPort, e.proto, opts.numeric),
    endpoint(e.remoteAddress, e.remotePort, e.proto, opts.numeric),
    timerText(e),
    ownersText(owners),
  ]);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]): string =>
    c
      .map((text, i) => (RIGHT.has(i) ? text.padStart(widths[i] ?? 0) : text.padEnd(widths[i] ?? 0)))
      .join(' ')
      .trimEnd();
  const out = [line(HEADER)];
  rows.forEach((row, i) => {
    out.push(line(cells[i] ?? []));
    const hint = hintFor(row.entry, opts.retries2);
    if (hint) out.push(`      ^ ${hint}`);
  });
  return out;
}

/** One socket as a JSON object (one line of NDJSON); `time` is added by --watch. */
export function jsonRow(row: SockRow, retries2?: number, time?: string): string {
  const e = row.entry;
  const obj = {
    ...(time === undefined ? {} : { time }),
    proto: e.proto,
    family: e.family,
    state: e.state,
    recvQ: e.recvQ,
    sendQ: e.sendQ,
    localAddress: e.localAddress,
    localPort: e.localPort,
    peerAddress: e.remoteAddress,
    peerPort: e.remotePort,
    timer: TIMER_NAMES[e.timer] ?? null,
    timerMs: e.timerMs,
    retransmits: e.retransmits,
    probes: e.probes,
    uid: e.uid,
    inode: e.inode,
    processes: uniqueOwners(row.owners).map((o) => ({ pid: o.pid, program: o.comm })),
    hint: hintFor(e, retries2) ?? null,
  };
  return JSON.stringify(obj);
}

function uniqueOwners(owners: SockOwner[]): SockOwner[] {
  const seen = new Set<number>();
  return owners.filter((o) => !seen.has(o.pid) && seen.add(o.pid));
}
