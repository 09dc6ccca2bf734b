/**
 * `ntk watch --own`: follows every session of ntk's other processes on this machine, from its SYN. It captures
 * broadly (every TCP, UDP and ICMP packet on the interface, `any` by default) and listens on a unix socket,
 * `watch-PID.sock` in the runtime directory, where every ntk process announces its sockets as it opens them
 * (lib/sockets-tap); packets are kept a few seconds until their socket is announced, so a session's SYN, which is
 * on the wire before its local port is known to the process, is still its first line.
 *
 * Who may announce: root's watcher listens in /run/ntk (a directory only root can write) on a socket any user may
 * connect to, so root sees every user's sessions, as root's capture does anyway; a user's watcher listens in
 * $XDG_RUNTIME_DIR/ntk, which only that user can enter. An announcer talks only to sockets owned by itself or by
 * root. An announcement decides only which captured packets are printed.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { diag, onceAborted, type Io } from '../../lib/io.js';
import { createError } from '../../lib/errors.js';
import { WATCHER_SOCKET, type TapEvent } from '../../lib/sockets-tap.js';
import type { PrintOptions } from '../../print/context.js';
import { Follower } from './follower.js';
import { sessionSnaplen, useColor } from './session.js';

export interface OwnOptions {
  print: PrintOptions;
  iface?: string;
  explain: boolean;
  json: boolean;
  snaplen: number;
  /** A capture filter narrowing what is followed ('' for every TCP, UDP and ICMP packet). */
  filter: string;
}

const CONTEXT = 'watch';
/** An announcement longer than this is not one: the connection is dropped. */
const MAX_LINE = 4 * 1024 * 1024;

/** Runs `ntk watch --own` until Ctrl-C; resolves with the exit status. */
export async function watchOwn(opts: OwnOptions, io: Io): Promise<number> {
  const { openLive } = await import('../live.js');
  const filter = opts.filter.trim() === '' ? 'tcp or udp or icmp or icmp6' : opts.filter;
  const source = await openLive({
    iface: opts.iface ?? 'any',
    filter,
    snaplen: sessionSnaplen(opts.print, opts.snaplen),
  });
  const follower = new Follower(source.linktype, {
    print: opts.print,
    explain: opts.explain,
    json: opts.json,
    color: useColor(io.stdout, io.env),
    out: io.stdout,
    summaryOut: io.stdout, // the watcher's output is all on stdout: packets, summaries, --json objects
    holdAll: true,
  });
  const running = source.run({ transient: true, packet: (pkt) => follower.packet(pkt) });
  let path: string;
  let server: Server;
  try {
    ({ path, server } = await listenForAnnouncements(io.env, (ev) => follower.tap(ev)));
  } catch (err) {
    source.close();
    await running;
    throw err;
  }
  diag(io, `ntk: watch: following ntk's sessions on ${source.iface} (announcements on ${path})`);
  const end = await Promise.race([onceAborted(io.interrupt).then(() => undefined), running]);
  source.close();
  server.close();
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
  follower.finish();
  if (end?.error) throw end.error;
  return 0;
}

/** The directory this user's watcher listens in, created if needed (root: /run/ntk; others: $XDG_RUNTIME_DIR/ntk). */
export function ownDirectory(env: NodeJS.ProcessEnv): string {
  if (env.NTK_RUNTIME_DIR) return env.NTK_RUNTIME_DIR;
  if (process.getuid?.() === 0) return '/run/ntk';
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'ntk');
  throw createError(
    'E_IO',
    CONTEXT,
    '--own needs XDG_RUNTIME_DIR (a directory only you can enter) when not run as root',
  );
}

/** Listens on DIR/watch-PID.sock; `onEvent` gets each valid announcement. */
async function listenForAnnouncements(
  env: NodeJS.ProcessEnv,
  onEvent: (ev: TapEvent) => void,
): Promise<{ path: string; server: Server }> {
  const root = process.getuid?.() === 0;
  const dir = ownDirectory(env);
  try {
    mkdirSync(dir, { recursive: true, mode: root ? 0o755 : 0o700 });
  } catch (err) {
    throw createError('E_IO', CONTEXT, `${dir}: ${(err as Error).message}`, { cause: err });
  }
  removeStale(dir);
  const path = join(dir, `watch-${process.pid}.sock`);
  const server = createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('error', () => conn.destroy());
    conn.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE) return void conn.destroy();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const ev = parseAnnouncement(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (ev !== undefined) onEvent(ev);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(createError('E_IO', CONTEXT, `${path}: ${(err as Error).message}`, { cause: err })),
    );
    server.listen(path, () => resolve());
  });
  // Root's watcher takes announcements from every user (they reach it only through root's directory).
  chmodSync(path, root ? 0o666 : 0o600);
  return { path, server };
}

/** Removes sockets of watchers that are gone (their process no longer exists). */
function removeStale(dir: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = WATCHER_SOCKET.exec(name);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') continue;
      try {
        if (lstatSync(join(dir, name)).uid === process.getuid?.()) unlinkSync(join(dir, name));
      } catch {
        // not ours to remove, or gone
      }
    }
  }
}

function isEndpoint(v: unknown): v is { address: string; port: number } {
  const e = v as { address?: unknown; port?: unknown } | undefined;
  return (
    typeof e?.address === 'string' &&
    typeof e.port === 'number' &&
    Number.isInteger(e.port) &&
    e.port >= 0 &&
    e.port < 65536
  );
}

/** One announcement line to a TapEvent, or undefined when it is not a valid one. */
export function parseAnnouncement(line: string): TapEvent | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const proto = v.proto;
  if (proto !== 'tcp' && proto !== 'udp') return undefined;
  if (
    v.type === 'socket' &&
    (v.role === 'connect' || v.role === 'accept') &&
    isEndpoint(v.local) &&
    isEndpoint(v.remote)
  ) {
    return { type: 'socket', proto, role: v.role, local: v.local, remote: v.remote };
  }
  if (v.type === 'listening' && isEndpoint(v.local)) return { type: 'listening', proto, local: v.local };
  if (v.type === 'scan' && Array.isArray(v.hosts) && Array.isArray(v.ports)) {
    const hosts = v.hosts.filter((h): h is string => typeof h === 'string');
    const ports = v.ports.filter((p): p is number => typeof p === 'number');
    return { type: 'scan', proto, hosts, ports };
  }
  return undefined;
}
