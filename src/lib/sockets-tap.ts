/**
 * Where ntk's sockets say who they are, as soon as they know it, for `watch` to follow them: connect, listen and
 * scan announce each socket's addresses here. Listeners in this process (`watch -- connect …`, `--watch`) hear
 * an announcement synchronously, before the call that announced returns; `watch --own` in other processes hears
 * it through a unix socket it listens on (runtimeDirs()).
 *
 * Announcing never slows or fails a session: with no watcher it costs one readdir of a missing directory per
 * second at most, and every error on the way to a watcher is ignored.
 */
import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Endpoint {
  address: string;
  port: number;
}

export type TapProto = 'tcp' | 'udp';

/** What a socket says about itself. */
export type TapEvent =
  /** A connection is about to be attempted (capture can start on the route to `remote` before the SYN). */
  | { type: 'connecting'; proto: TapProto; remote: Endpoint }
  /** A socket's 4-tuple; `role`: we connected, or we accepted it. */
  | { type: 'socket'; proto: TapProto; role: 'connect' | 'accept'; local: Endpoint; remote: Endpoint }
  /** A listening socket: every connection to it is ours. */
  | { type: 'listening'; proto: TapProto; local: Endpoint }
  /** A scan: every probe to these hosts and ports is ours. */
  | { type: 'scan'; proto: TapProto; hosts: string[]; ports: number[] };

/** An announcement as a watcher in another process receives it (one JSON object per line). */
export type TapMessage = TapEvent & { pid: number };

const local = new EventEmitter();
local.setMaxListeners(0);

/** Hears every announcement made in this process; returns the function that stops listening. */
export function onTap(listener: (ev: TapEvent) => void): () => void {
  local.on('tap', listener);
  return () => void local.off('tap', listener);
}

/** Announces `ev` to listeners in this process (synchronously) and to watchers of other processes. */
export function announce(ev: TapEvent, env: NodeJS.ProcessEnv = process.env): void {
  for (const listener of local.listeners('tap')) {
    try {
      (listener as (e: TapEvent) => void)(ev);
    } catch {
      // a watcher's failure is not the session's
    }
  }
  remote.send(ev, env);
}

/**
 * Announces a connecting TCP socket: 'connecting' at once, then its 4-tuple as soon as the kernel has chosen the
 * local port (before the handshake completes, so a connect that never completes is still followed).
 */
export function tapConnecting(socket: Socket, remote: Endpoint, env: NodeJS.ProcessEnv = process.env): void {
  announce({ type: 'connecting', proto: 'tcp', remote }, env);
  let said = false;
  const say = (l: Endpoint | undefined): void => {
    if (said || l === undefined || !l.port) return;
    said = true;
    announce({ type: 'socket', proto: 'tcp', role: 'connect', local: l, remote }, env);
  };
  // net.Socket hides its local address until connected; the handle knows it once connect() was issued.
  let tries = 0;
  const poll = (): void => {
    if (said || socket.destroyed) return;
    say(handleName(socket));
    if (!said && ++tries < 50) setImmediate(poll);
  };
  // net.connect() issues connect() on the next tick for an address: this tick comes right after it, before any
  // answer (a RST) can be read.
  process.nextTick(poll);
  socket.once('connect', () =>
    say(socket.localPort ? { address: socket.localAddress ?? '', port: socket.localPort } : undefined),
  );
}

/** Announces a socket we accepted (or any connected socket) by its 4-tuple. */
export function tapAccepted(socket: Socket, env: NodeJS.ProcessEnv = process.env): void {
  if (!socket.localPort || !socket.remotePort) return;
  announce(
    {
      type: 'socket',
      proto: 'tcp',
      role: 'accept',
      local: { address: socket.localAddress ?? '', port: socket.localPort },
      remote: { address: socket.remoteAddress ?? '', port: socket.remotePort },
    },
    env,
  );
}

/** The local address of a connecting socket, read from its libuv handle (undefined when not available). */
function handleName(socket: Socket): Endpoint | undefined {
  const handle = (socket as unknown as { _handle?: { getsockname?(out: object): number } })._handle;
  if (!handle?.getsockname) return undefined;
  const out: { address?: string; port?: number } = {};
  try {
    if (handle.getsockname(out) !== 0 || !out.port) return undefined;
  } catch {
    return undefined;
  }
  return { address: out.address ?? '', port: out.port };
}

/**
 * The directories watchers listen in: $NTK_RUNTIME_DIR alone when set; else /run/ntk (root's watchers) and
 * $XDG_RUNTIME_DIR/ntk (the user's own, a directory only the user can enter).
 */
export function runtimeDirs(env: NodeJS.ProcessEnv): string[] {
  if (env.NTK_RUNTIME_DIR) return [env.NTK_RUNTIME_DIR];
  const dirs = ['/run/ntk'];
  if (env.XDG_RUNTIME_DIR) dirs.push(join(env.XDG_RUNTIME_DIR, 'ntk'));
  return dirs;
}

/** A watcher socket's file name: watch-PID.sock. */
export const WATCHER_SOCKET = /^watch-(\d+)\.sock$/;

/** How often at most the directories are looked at again for watchers started later. */
const RESCAN_MS = 1000;

/** The connections to other processes' watchers, opened at the first announcement. */
class RemoteWatchers {
  private conns = new Map<string, Socket>();
  private scannedAt = -Infinity;

  send(ev: TapEvent, env: NodeJS.ProcessEnv): void {
    if (performance.now() - this.scannedAt > RESCAN_MS) this.scan(env);
    if (this.conns.size === 0) return;
    const line = JSON.stringify({ ...ev, pid: process.pid }) + '\n';
    for (const c of this.conns.values()) if (!c.destroyed) c.write(line);
  }

  /** Connects to each watcher socket owned by this user or by root. */
  private scan(env: NodeJS.ProcessEnv): void {
    this.scannedAt = performance.now();
    const uid = process.getuid?.() ?? 0;
    for (const dir of runtimeDirs(env)) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        const path = join(dir, name);
        if (!WATCHER_SOCKET.test(name) || this.conns.has(path)) continue;
        try {
          const st = statSync(path);
          if (!st.isSocket() || (st.uid !== uid && st.uid !== 0)) continue;
        } catch {
          continue;
        }
        const c = netConnect({ path });
        c.on('error', () => c.destroy());
        c.on('close', () => this.conns.delete(path));
        c.unref();
        this.conns.set(path, c);
      }
    }
  }
}

const remote = new RemoteWatchers();
