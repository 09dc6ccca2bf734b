/**
 * The data path of a netcat session (nc's `readwrite`): stdin → peer and peer → stdout, byte for byte, with
 * backpressure both ways — a source is paused whenever its destination's write() returns false and resumed on
 * 'drain' (stream.pipe does exactly that), so neither a slow peer nor a slow stdout makes ntk buffer without bound.
 */
import type { Socket as DgramSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import { onStdinEnd, type Io } from './io.js';

export interface SessionOptions {
  /** The command, for diagnostics (`ntk: <context>: …`). */
  context: string;
  /** -N: on EOF from stdin, shut down the write side (send FIN) instead of leaving it open. */
  halfClose: boolean;
  /** -q: end the session this many ms after EOF on stdin (0: at once). */
  quitAfterEofMs?: number;
  /** -w: end the session after this many ms without traffic in either direction. */
  idleMs?: number;
  /** --rst: end the session with a RST instead of a FIN (Ctrl-C, -w, -q), so no TIME_WAIT is left behind. */
  rst?: boolean;
  /** UDP (--max-backlog): bytes waiting for stdout past which received datagrams are dropped (default UDP_STDOUT_BACKLOG). */
  maxBacklog?: number;
}

/** Why a session ended. */
export type SessionEnd = 'peer-closed' | 'stdin-eof' | 'idle' | 'interrupt';

/**
 * How long a closing session waits for its FIN to go out before the socket is destroyed: a peer that stopped
 * reading keeps our send buffer full, and end() would wait for it forever.
 */
export const CLOSE_GRACE_MS = 1000;

/**
 * Runs stdin ⇄ socket until the peer closes, the idle timeout fires, -q expires after stdin EOF, or `io.interrupt`
 * is aborted (then the socket is closed the normal way, with a FIN, destroyed after CLOSE_GRACE_MS if the FIN cannot
 * get out; -w idle closes at once; with `rst`, a RST instead). Resolves once the socket is closed; rejects
 * with the socket's error (ECONNRESET, …).
 */
export function pipeTcp(socket: Socket, io: Io, opts: SessionOptions): Promise<SessionEnd> {
  return new Promise((resolve, reject) => {
    let reason: SessionEnd = 'peer-closed';
    let quitTimer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    socket.pipe(io.stdout, { end: false });
    io.stdin.pipe(socket, { end: false });

    const stopStdin = (): void => {
      io.stdin.unpipe(socket);
      io.stdin.pause();
    };
    // end() sends our FIN once queued data is written; close the descriptor after that, like nc's exit does, or
    // after a grace period if the peer does not read what is queued.
    const closeWithFin = (): void => {
      socket.end(() => socket.destroy());
      graceTimer ??= setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    };
    const finish = (why: SessionEnd): void => {
      reason = why;
      stopStdin();
      // --rst: SO_LINGER 0 then close (resetAndDestroy): the kernel sends a RST and frees the socket at once.
      if (opts.rst) {
        socket.resetAndDestroy();
        return;
      }
      // -w: nothing moved for the whole timeout, so a FIN may never get out (the peer does not read): close now.
      if (why === 'idle') {
        socket.destroy();
        return;
      }
      closeWithFin();
    };

    const onEof = (): void => {
      if (opts.halfClose) socket.end();
      if (opts.quitAfterEofMs !== undefined) {
        quitTimer = setTimeout(() => finish('stdin-eof'), opts.quitAfterEofMs);
      }
    };
    const onAbort = (): void => finish('interrupt');

    const stopWatchingStdin = onStdinEnd(io, opts.context, onEof);
    io.interrupt.addEventListener('abort', onAbort, { once: true });
    if (opts.idleMs) {
      socket.setTimeout(opts.idleMs);
      socket.once('timeout', () => finish('idle'));
    }
    // The peer's FIN: nothing more will arrive, and the session ends with our FIN (a FIN even with --rst: the peer
    // closed first, so no TIME_WAIT is left here). On a half-open socket (a listener's), what stdin holds already
    // still goes out first, as nc -l sends what it has read: one turn of the event loop reads the bytes waiting in
    // a pipe. Otherwise Node answers with our FIN at once.
    socket.once('end', () => {
      if (!socket.allowHalfOpen) {
        stopStdin();
        return;
      }
      setImmediate(() => {
        stopStdin();
        if (!socket.destroyed) closeWithFin();
      });
    });

    let failure: unknown;
    socket.once('error', (err) => {
      failure = err;
    });
    socket.once('close', () => {
      if (quitTimer) clearTimeout(quitTimer);
      if (graceTimer) clearTimeout(graceTimer);
      stopWatchingStdin();
      io.interrupt.removeEventListener('abort', onAbort);
      stopStdin();
      socket.unpipe(io.stdout);
      if (failure !== undefined && reason !== 'interrupt') reject(failure);
      else resolve(reason);
    });
    if (io.interrupt.aborted) onAbort();
  });
}

/** Largest payload of one UDP datagram over IPv4 (65535 - 20 - 8). */
export const MAX_DATAGRAM = 65507;

/** A stdout backlog past which received datagrams are dropped (UDP cannot be paused; memory stays bounded). */
export const UDP_STDOUT_BACKLOG = 4 * 1024 * 1024;

/** An address and port to send to (dgram's RemoteInfo has these). */
export interface UdpPeer {
  address: string;
  port: number;
}

/**
 * For an unconnected UDP socket (a listener): which datagrams are taken and where stdin goes. Without it the
 * socket must be connected, and its errors end the session.
 */
export interface UdpPeering {
  /** Where stdin's datagrams go; undefined while no peer is known (stdin is not read until one is). */
  peer(): UdpPeer | undefined;
  /** Decides whether the datagram from `from` is taken (written to stdout); may choose a new peer. */
  accept(msg: Buffer, from: UdpPeer): boolean;
  /** An error on the socket (an ICMP error for an earlier reply, a failed send): reported, not fatal. */
  onError(err: Error): void;
}

/**
 * Runs stdin ⇄ UDP socket: each stdin read becomes one datagram (split at MAX_DATAGRAM), each datagram taken is
 * written to stdout. Ends on idle timeout, -q after stdin EOF, or interrupt. On a connected socket (no
 * `peering`) it rejects on a socket error such as ECONNREFUSED (an ICMP port unreachable). Resolves with the end
 * reason and how many datagrams were dropped because stdout could not keep up.
 */
export function pipeUdp(
  socket: DgramSocket,
  io: Io,
  opts: SessionOptions,
  peering?: UdpPeering,
): Promise<{ end: SessionEnd; dropped: number }> {
  return new Promise((resolve, reject) => {
    let dropped = 0;
    let idleTimer: NodeJS.Timeout | undefined;
    let quitTimer: NodeJS.Timeout | undefined;
    let settled = false;
    let reading = false;
    let stopWatchingStdin = (): void => {};
    const maxBacklog = opts.maxBacklog ?? UDP_STDOUT_BACKLOG;

    const done = (end: SessionEnd, err?: unknown): void => {
      if (settled) return;
      settled = true;
      if (idleTimer) clearTimeout(idleTimer);
      if (quitTimer) clearTimeout(quitTimer);
      io.stdin.removeListener('data', onData);
      stopWatchingStdin();
      io.stdin.pause();
      io.interrupt.removeEventListener('abort', onAbort);
      socket.removeListener('message', onMessage);
      socket.close(() => (err === undefined ? resolve({ end, dropped }) : reject(err)));
    };
    const fail = (err: Error): void => (peering ? peering.onError(err) : done('peer-closed', err));
    const touch = (): void => {
      if (!opts.idleMs) return;
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => done('idle'), opts.idleMs);
    };
    const startStdin = (): void => {
      if (reading) return;
      reading = true;
      io.stdin.on('data', onData);
      stopWatchingStdin = onStdinEnd(io, opts.context, onEnd);
    };
    const onData = (chunk: Buffer): void => {
      const to = peering?.peer();
      touch();
      io.stdin.pause(); // one read in flight at a time: the send callbacks resume stdin
      let pending = 0;
      for (let off = 0; off < chunk.length; off += MAX_DATAGRAM) {
        pending++;
        const sent = (err: Error | null): void => {
          if (err) fail(err);
          if (--pending === 0 && !settled) io.stdin.resume();
        };
        const part = chunk.subarray(off, off + MAX_DATAGRAM);
        if (to) socket.send(part, to.port, to.address, sent);
        else socket.send(part, sent);
      }
    };
    const onEnd = (): void => {
      if (opts.quitAfterEofMs !== undefined) quitTimer = setTimeout(() => done('stdin-eof'), opts.quitAfterEofMs);
    };
    const onMessage = (msg: Buffer, from: UdpPeer): void => {
      if (peering && !peering.accept(msg, from)) return;
      touch();
      if (io.stdout.writableLength > maxBacklog) dropped++;
      else io.stdout.write(msg);
      startStdin(); // a listener reads stdin once there is someone to send it to
    };
    const onAbort = (): void => done('interrupt');

    socket.on('message', onMessage);
    socket.on('error', fail);
    if (!peering) startStdin();
    io.interrupt.addEventListener('abort', onAbort, { once: true });
    touch();
    if (io.interrupt.aborted) onAbort();
  });
}
