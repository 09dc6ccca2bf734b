/**
 * The netcat listener (nc's `local_listen` plus the session): bind a TCP or UDP port, take one peer and run
 * stdin ⇄ peer; with -k take the next peer when one leaves. `--chat` and `--broker` hand the port to the room
 * (chat.ts) instead.
 */
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import { diag, type Io } from '../lib/io.js';
import { EXIT_INTERRUPTED, EXIT_OK } from '../lib/errors.js';
import { runRoom, type RoomMode } from './chat.js';
import { refusedBy, type AccessRules } from './access.js';
import { pipeTcp, pipeUdp, type UdpPeer } from '../lib/pipe.js';
import type { Proto } from '../lib/services.js';
import { addressInUseError, errnoOf, errnoWords, sessionError, sysError } from '../lib/errno.js';
import { hostPort } from '../lib/socktable.js';
import { announce as tapAnnounce } from '../lib/sockets-tap.js';
import { keepAlive } from '../lib/keepalive.js';

export interface ListenOptions extends AccessRules {
  /** 0: any free port, which is then printed on stderr. */
  port: number;
  /** -s: the local address to bind; undefined: all (0.0.0.0, or :: with -6). */
  address?: string;
  family: 0 | 4 | 6;
  proto: Proto;
  /** plain: nc -l; chat and broker: the room. */
  mode: 'plain' | RoomMode;
  /** -k: take the next peer after one leaves (UDP: take datagrams from any sender). */
  keep: boolean;
  /** -v: report the listening address and each peer. */
  verbose: boolean;
  /** -N: send FIN to the peer on EOF from stdin. */
  halfClose: boolean;
  /** -w: end a session after this many ms without traffic. */
  idleMs?: number;
  /** --rst: end a plain TCP session with a RST instead of a FIN (Ctrl-C, -w), leaving no TIME_WAIT. */
  rst?: boolean;
  /** -k: connections kept waiting while a session runs; more are closed at once (DEFAULT_MAX_WAITING). */
  maxWaiting: number;
  /** Room limits (chat and broker only). */
  maxConns: number;
  maxLine: number;
  maxQueue: number;
  /** --stall: disconnect a room participant above --max-queue for this many ms without draining. */
  stallMs: number;
  /** --idle: disconnect a room participant that sent nothing for this many ms. */
  peerIdleMs?: number;
  /** --max-backlog (-u, --chat, --broker): stdout bytes waiting past which datagrams or relayed data are dropped. */
  maxBacklog?: number;
  /** --keepalive: TCP keep-alive after this many ms idle; a peer that stops answering ends its session. */
  keepAliveMs?: number;
}

const CONTEXT = 'listen';

/** Runs `ntk listen`; resolves with the exit status, throws NtkError when the port cannot be bound. */
export async function listenSession(opts: ListenOptions, io: Io): Promise<number> {
  if (opts.proto === 'udp') return listenUdp(opts, io);
  const server = await bindTcp(opts, io);
  if (opts.mode !== 'plain') {
    return runRoom(
      server,
      {
        mode: opts.mode,
        allow: opts.allow,
        deny: opts.deny,
        maxConns: opts.maxConns,
        maxLine: opts.maxLine,
        maxQueue: opts.maxQueue,
        stallMs: opts.stallMs,
        idleMs: opts.peerIdleMs,
        maxBacklog: opts.maxBacklog,
      },
      io,
    );
  }
  return servePeers(server, opts, io);
}

/** The address to bind: -s, else the wildcard of the family. */
function bindAddress(opts: ListenOptions): string {
  return opts.address ?? (opts.family === 6 ? '::' : '0.0.0.0');
}

/** Turns a failed bind into the error to report; an address in use is explained from the socket table. */
function bindError(opts: ListenOptions, address: string, port: number, err: unknown) {
  const errno = errnoOf(err);
  if (errno === 'EADDRINUSE') {
    return addressInUseError(CONTEXT, { proto: opts.proto, address, port, flag: 'PORT', cause: err });
  }
  return sysError(CONTEXT, `bind ${hostPort(address, port)}`, err);
}

/** Prints where we listen: always for port 0 (the kernel chose it; scripts need it), else only with -v. */
function announce(opts: ListenOptions, io: Io, address: string, port: number): void {
  if (opts.verbose || opts.port === 0) diag(io, `Listening on ${address} ${port}`);
}

/** Binds and listens on the TCP port; returns the listening server. */
async function bindTcp(opts: ListenOptions, io: Io): Promise<Server> {
  const address = bindAddress(opts);
  // Plain sessions take peers one at a time: a waiting peer's data stays in the kernel until its turn.
  // A plain session's socket stays half-open after the peer's FIN, so that pipeTcp can still send what stdin holds.
  const server = createServer({ pauseOnConnect: opts.mode === 'plain', allowHalfOpen: opts.mode === 'plain' });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(
        { host: address, port: opts.port, ipv6Only: isIP(address) === 6, exclusive: true, backlog: 511 },
        () => {
          server.removeListener('error', reject);
          resolve();
        },
      );
    });
  } catch (err) {
    server.close();
    throw bindError(opts, address, opts.port, err);
  }
  const bound = server.address();
  announce(opts, io, address, typeof bound === 'object' && bound ? bound.port : opts.port);
  tapAnnounce({
    type: 'listening',
    proto: 'tcp',
    local: { address, port: typeof bound === 'object' && bound ? bound.port : opts.port },
  });
  return server;
}

/**
 * nc -l: runs stdin ⇄ peer with the first peer, then exits (0), or with -k takes the next one. A peer's error
 * ends the command without -k (exit 1) and is only reported with -k.
 */
async function servePeers(server: Server, opts: ListenOptions, io: Io): Promise<number> {
  const waiting: Socket[] = [];
  let wake: (() => void) | undefined;
  server.on('connection', (socket) => {
    socket.on('error', () => {}); // a waiting peer may reset; its turn then finds it destroyed
    const address = socket.remoteAddress;
    const rule = address === undefined ? 'gone' : refusedBy(opts, address);
    if (rule !== undefined) {
      if (address !== undefined) diag(io, `ntk: ${CONTEXT}: refused ${address} ${socket.remotePort} (${rule})`);
      socket.destroy();
      return;
    }
    if (waiting.length >= opts.maxWaiting) {
      if (opts.verbose) {
        diag(
          io,
          `ntk: ${CONTEXT}: closed ${address} ${socket.remotePort}: ${opts.maxWaiting} peers already waiting (--max-waiting)`,
        );
      }
      socket.destroy();
      return;
    }
    waiting.push(socket);
    wake?.();
  });
  server.on('error', (err) => diag(io, `ntk: ${CONTEXT}: accept failed: ${errnoWords(err)}`));

  const nextPeer = (): Promise<Socket | undefined> =>
    new Promise((resolve) => {
      const onAbort = (): void => {
        wake = undefined;
        resolve(undefined);
      };
      wake = () => {
        const s = waiting.shift();
        if (!s) return;
        wake = undefined;
        io.interrupt.removeEventListener('abort', onAbort);
        resolve(s);
      };
      if (io.interrupt.aborted) return onAbort();
      io.interrupt.addEventListener('abort', onAbort, { once: true });
      wake();
    });

  try {
    for (;;) {
      const socket = await nextPeer();
      if (!socket) return EXIT_INTERRUPTED;
      if (!opts.keep) server.close(); // nc closes the listening socket once it has its peer
      if (socket.destroyed) {
        if (!opts.keep) return EXIT_OK;
        continue;
      }
      const peer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
      if (opts.verbose) diag(io, `Connection received on ${peer.address} ${peer.port}`);
      if (opts.keepAliveMs) keepAlive(socket, opts.keepAliveMs);
      const session = pipeTcp(socket, io, {
        context: CONTEXT,
        halfClose: opts.halfClose,
        idleMs: opts.idleMs,
        rst: opts.rst,
      });
      // -N with stdin already at EOF (an earlier -k session read it all): this peer gets its FIN at once.
      if (opts.halfClose && io.stdin.readableEnded) socket.end();
      try {
        const end = await session;
        if (end === 'interrupt') return EXIT_INTERRUPTED;
      } catch (err) {
        const failure = sessionError(CONTEXT, `connection from ${hostPort(peer.address, peer.port)}`, err);
        if (!opts.keep) throw failure;
        diag(io, `ntk: ${CONTEXT}: ${failure.message}`);
      }
      if (!opts.keep) return EXIT_OK;
    }
  } finally {
    server.close();
    for (const s of waiting.splice(0)) s.destroy();
  }
}

/**
 * nc -u -l: datagrams from the peer go to stdout; stdin goes, one datagram per read, to the peer. Without -k the
 * peer is the first sender (others are ignored, as nc connects its socket to it); with -k any sender is taken
 * and replies go to the last one. Runs until -w idle (exit 0) or interrupt (130).
 */
async function listenUdp(opts: ListenOptions, io: Io): Promise<number> {
  const address = bindAddress(opts);
  const socket = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4', ipv6Only: isIP(address) === 6 });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address, port: opts.port, exclusive: true }, () => {
        socket.removeListener('error', reject);
        resolve();
      });
    });
  } catch (err) {
    socket.close();
    throw bindError(opts, address, opts.port, err);
  }
  announce(opts, io, address, socket.address().port);
  tapAnnounce({ type: 'listening', proto: 'udp', local: { address, port: socket.address().port } });
  return udpSession(socket, opts, io);
}

async function udpSession(socket: DgramSocket, opts: ListenOptions, io: Io): Promise<number> {
  let peer: UdpPeer | undefined;
  let ignored = 0;
  const { end, dropped } = await pipeUdp(
    socket,
    io,
    { context: CONTEXT, halfClose: false, idleMs: opts.idleMs, maxBacklog: opts.maxBacklog },
    {
      peer: () => peer,
      accept: (_msg, from) => {
        if (refusedBy(opts, from.address) !== undefined) {
          ignored++;
          return false;
        }
        if (peer === undefined || peer.address !== from.address || peer.port !== from.port) {
          if (peer !== undefined && !opts.keep) {
            ignored++;
            return false;
          }
          if (opts.verbose) diag(io, `Connection received on ${from.address} ${from.port}`);
          peer = { address: from.address, port: from.port };
        }
        return true;
      },
      // An unconnected socket reports little (an ICMP error for an earlier reply, at most): say it, keep serving.
      onError: (err) => diag(io, `ntk: ${CONTEXT}: ${errnoWords(err)}`),
    },
  );
  if (dropped > 0) diag(io, `ntk: ${CONTEXT}: ${dropped} datagrams dropped: stdout did not keep up`);
  if (ignored > 0 && opts.verbose) diag(io, `ntk: ${CONTEXT}: ${ignored} datagrams from other senders ignored`);
  return end === 'interrupt' ? EXIT_INTERRUPTED : EXIT_OK;
}
