/**
 * `ntk sockets`: the TCP and UDP sockets of this network namespace with state, queues, owner and timer, once or
 * every --watch seconds. Source: /proc/net/{tcp,tcp6,udp,udp6} plus /proc/*\/fd (see lib/socktable.ts).
 */
// /proc over netlink sock_diag: plain text any process can read with no raw-socket code, and it carries every field shown here (timer, retransmits, queues, inode).
import { readFileSync } from 'node:fs';
import { onceAborted, type Io } from '../lib/io.js';
import { EXIT_OK } from '../lib/errors.js';
import { readSockTable, socketOwners, type SockEntry } from '../lib/socktable.js';
import { formatTable, jsonRow, matches, type SockFilter, type SockRow } from './table.js';

export interface SocketsOptions {
  filters: SockFilter[];
  /** -l: listening TCP sockets and unconnected UDP sockets only. */
  listeners: boolean;
  /** -n: ports as numbers, not service names. */
  numeric: boolean;
  /** --json: one object per socket per line. */
  json: boolean;
  /** --watch: refresh every this many ms until interrupted. */
  watchMs?: number;
  /** TCP only (-t), UDP only (-u), or both. */
  protos: Array<'tcp' | 'udp'>;
}

/** Reads the table once and returns the rows that pass the options' filters, with their owners. */
export function snapshot(opts: SocketsOptions, read: (proto: 'tcp' | 'udp') => SockEntry[] = readSockTable): SockRow[] {
  const entries = opts.protos.flatMap((p) => read(p)).filter((e) => matches(e, opts.filters, opts.listeners));
  const owners = entries.some((e) => e.inode !== 0) ? socketOwners() : new Map();
  return entries.map((entry) => ({ entry, owners: entry.inode === 0 ? [] : (owners.get(entry.inode) ?? []) }));
}

/** net.ipv4.tcp_retries2: how many retransmissions before the kernel gives a connection up (undefined if unreadable). */
function tcpRetries2(): number | undefined {
  try {
    const n = Number(readFileSync('/proc/sys/net/ipv4/tcp_retries2', 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Writes one snapshot to stdout; resolves once stdout took it (backpressure for --watch). */
function show(opts: SocketsOptions, io: Io, refresh: boolean): Promise<void> {
  const rows = snapshot(opts);
  const retries2 = tcpRetries2();
  let text: string;
  if (opts.json) {
    const time = opts.watchMs === undefined ? undefined : new Date().toISOString();
    text = rows.map((r) => jsonRow(r, retries2, time) + '\n').join('');
  } else {
    const lines = formatTable(rows, { numeric: opts.numeric, retries2 });
    // A terminal is redrawn in place, as watch(1) does; a pipe gets one block after another.
    const tty = (io.stdout as { isTTY?: boolean }).isTTY === true;
    const head = refresh ? (tty ? '\x1b[H\x1b[2J' : '\n') : '';
    const stamp =
      opts.watchMs === undefined ? [] : [`Every ${opts.watchMs / 1000}s: ${new Date().toTimeString().slice(0, 8)}`];
    text = head + [...stamp, ...lines].join('\n') + '\n';
  }
  return new Promise((resolve) => {
    if (text === '' || io.stdout.write(text)) resolve();
    else io.stdout.once('drain', resolve);
  });
}

/** Runs `ntk sockets`; resolves with the exit status (0; --watch runs until interrupted, then 0 as well). */
export async function runSockets(opts: SocketsOptions, io: Io): Promise<number> {
  await show(opts, io, false);
  if (opts.watchMs === undefined) return EXIT_OK;
  const stopped = onceAborted(io.interrupt);
  while (!io.interrupt.aborted) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([stopped, new Promise((r) => (timer = setTimeout(r, opts.watchMs)))]);
    clearTimeout(timer);
    if (io.interrupt.aborted) break;
    await Promise.race([stopped, show(opts, io, true)]);
  }
  return EXIT_OK;
}
