/**
 * The data path of a netcat session (nc's `readwrite`): stdin → peer and peer → stdout, byte for byte, with
 * backpressure both ways — a source is paused whenever its destination's write() returns false and resumed on
 * 'drain' (stream.pipe does exactly that), so neither a slow peer nor a slow stdout makes ntk buffer without bound.
 */
import type { Socket as DgramSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import type { Io } from '../cli/io.js';

export interface SessionOptions {
  /** -N: on EOF from stdin, shut down the write side (send FIN) instead of leaving it open. */
  halfClose: boolean;
  /** -q: end the session this many ms after EOF on stdin (0: at once). */
  quitAfterEofMs?: number;
  /** -w: end the session after this many ms without traffic in either direction. */
  idleMs?: number;
  /** When false, stdin is not read at all (listen --chat uses its own reader; -d in nc). */
  readStdin?: boolean;
}

/** Why a session ended. */
export type SessionEnd = 'peer-closed' | 'stdin-eof' | 'idle' | 'interrupt';

/**
 * Runs stdin ⇄ socket until the peer closes, the idle timeout fires, -q expires after stdin EOF, or `io.interrupt`
 * is aborted (then the socket is closed the normal way, with a FIN). Resolves once the socket is closed; rejects
 * with the socket's error (ECONNRESET, …).
 */
export function pipeTcp(socket: Socket, io: Io, opts: SessionOptions): Promise<SessionEnd> {
  return new Promise((resolve, reject) => {
    let reason: SessionEnd = 'peer-closed';
    let quitTimer: NodeJS.Timeout | undefined;
    const readStdin = opts.readStdin !== false;

    socket.pipe(io.stdout, { end: false });
    if (readStdin) io.stdin.pipe(socket, { end: false });

    const stopStdin = (): void => {
      if (!readStdin) return;
      io.stdin.unpipe(socket);
      io.stdin.pause();
    };
    const finish = (why: SessionEnd): void => {
      reason = why;
      stopStdin();
      // end() sends our FIN once queued data is written; close the descriptor after that, like nc's exit does.
      socket.end(() => socket.destroy());
    };

    const onStdinEnd = (): void => {
      if (opts.halfClose) socket.end();
      if (opts.quitAfterEofMs !== undefined) {
        quitTimer = setTimeout(() => finish('stdin-eof'), opts.quitAfterEofMs);
      }
    };
    const onAbort = (): void => finish('interrupt');

    if (readStdin) io.stdin.once('end', onStdinEnd);
    io.interrupt.addEventListener('abort', onAbort, { once: true });
    if (opts.idleMs) {
      socket.setTimeout(opts.idleMs);
      socket.once('timeout', () => finish('idle'));
    }
    // The peer's FIN: nothing more will arrive; Node answers with our own FIN (allowHalfOpen is false).
    socket.once('end', stopStdin);

    let failure: unknown;
    socket.once('error', (err) => {
      failure = err;
    });
    socket.once('close', () => {
      if (quitTimer) clearTimeout(quitTimer);
      if (readStdin) io.stdin.removeListener('end', onStdinEnd);
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

/**
 * Runs stdin ⇄ connected UDP socket: each stdin read becomes one datagram (split at MAX_DATAGRAM), each received
 * datagram is written to stdout. Ends on idle timeout, -q after stdin EOF, or interrupt; rejects on a socket
 * error such as ECONNREFUSED (an ICMP port unreachable). Resolves with the end reason and how many datagrams
 * were dropped because stdout could not keep up.
 */
export function pipeUdp(
  socket: DgramSocket,
  io: Io,
  opts: SessionOptions,
): Promise<{ end: SessionEnd; dropped: number }> {
  return new Promise((resolve, reject) => {
    let dropped = 0;
    let idleTimer: NodeJS.Timeout | undefined;
    let quitTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const done = (end: SessionEnd, err?: unknown): void => {
      if (settled) return;
      settled = true;
      if (idleTimer) clearTimeout(idleTimer);
      if (quitTimer) clearTimeout(quitTimer);
      io.stdin.removeListener('data', onData);
      io.stdin.removeListener('end', onEnd);
      io.stdin.pause();
      io.interrupt.removeEventListener('abort', onAbort);
      socket.removeListener('message', onMessage);
      socket.close(() => (err === undefined ? resolve({ end, dropped }) : reject(err)));
    };
    const touch = (): void => {
      if (!opts.idleMs) return;
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => done('idle'), opts.idleMs);
    };
    const onData = (chunk: Buffer): void => {
      touch();
      io.stdin.pause(); // one datagram batch in flight at a time: the send callback resumes stdin
      let pending = 0;
      for (let off = 0; off < chunk.length; off += MAX_DATAGRAM) {
        pending++;
        socket.send(chunk.subarray(off, off + MAX_DATAGRAM), (err) => {
          if (err) return done('peer-closed', err);
          if (--pending === 0 && !settled) io.stdin.resume();
        });
      }
    };
    const onEnd = (): void => {
      if (opts.quitAfterEofMs !== undefined) quitTimer = setTimeout(() => done('stdin-eof'), opts.quitAfterEofMs);
    };
    const onMessage = (msg: Buffer): void => {
      touch();
      if (io.stdout.writableLength > UDP_STDOUT_BACKLOG) {
        dropped++;
        return;
      }
      io.stdout.write(msg);
    };
    const onAbort = (): void => done('interrupt');

    socket.on('message', onMessage);
    socket.once('error', (err) => done('peer-closed', err));
    if (opts.readStdin !== false) {
      io.stdin.on('data', onData);
      io.stdin.once('end', onEnd);
    }
    io.interrupt.addEventListener('abort', onAbort, { once: true });
    touch();
    if (io.interrupt.aborted) onAbort();
  });
}
