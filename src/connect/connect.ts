/**
 * The netcat client (nc's `remote_connect` plus the session): resolve, optionally bind a source address/port,
 * connect over TCP or UDP, then run stdin ⇄ socket.
 */
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { connect as tcpConnect, type Socket } from 'node:net';
import { diag, type Io } from '../lib/io.js';
import { createError, EXIT_INTERRUPTED, EXIT_OK, isNtkError } from '../lib/errors.js';
import { pipeTcp, pipeUdp, type SessionEnd } from '../lib/pipe.js';
import { resolveHost, type Family, type ResolvedAddress } from '../lib/resolve.js';
import { succeeded, type Proto } from '../lib/services.js';
import { addressInUseError, errnoOf, sessionError, sysError } from '../lib/errno.js';
import { findConflicts, hostPort, readSockTable, type SockEntry } from '../lib/socktable.js';
import { announce, tapConnecting } from '../lib/sockets-tap.js';
import { keepAlive } from '../lib/keepalive.js';

export interface ConnectOptions {
  host: string;
  port: number;
  proto: Proto;
  family: Family;
  /** -n: HOST is numeric; the service shows as `*` in -v lines, as nc prints it. */
  numeric: boolean;
  sourceAddress?: string;
  sourcePort?: number;
  /** -w: connect timeout and idle timeout, in ms. */
  timeoutMs?: number;
  /** -N: send FIN on stdin EOF. */
  halfClose: boolean;
  /** -q: quit this many ms after stdin EOF. */
  quitAfterEofMs?: number;
  verbose: boolean;
  /** -z: connect, report, close; no data. */
  zero: boolean;
  /** --reuse: skip the TIME_WAIT check and let the kernel decide (SO_REUSEADDR is always set by libuv). */
  reuse: boolean;
  /** --rst: end with a RST instead of a FIN (Ctrl-C, -w, -q, and -z's close), leaving no TIME_WAIT. */
  rst?: boolean;
  /** -u --max-backlog: stdout bytes waiting past which datagrams are dropped. */
  maxBacklog?: number;
  /** --keepalive: TCP keep-alive after this many ms idle; a peer that stops answering ends the session. */
  keepAliveMs?: number;
}

const CONTEXT = 'connect';

/** Runs `ntk connect`; resolves with the exit status, throws NtkError on failure. */
export async function connectSession(opts: ConnectOptions, io: Io): Promise<number> {
  const addresses = await resolveHost(CONTEXT, opts.host, opts.family);
  if (opts.proto === 'udp') return udpSession(opts, addresses, io);

  const socket = await connectFirst(opts, addresses, io);
  if (opts.verbose) diag(io, succeeded(opts, socket.remoteAddress ?? opts.host));
  if (opts.keepAliveMs) keepAlive(socket, opts.keepAliveMs);
  if (opts.zero) {
    await new Promise<void>((resolve) => {
      // The port accepted: that is the answer. A RST that follows (a server that resets at once) changes nothing.
      socket.on('error', () => {});
      socket.once('close', () => resolve());
      if (opts.rst) socket.resetAndDestroy();
      else socket.end(() => socket.destroy());
    });
    return EXIT_OK;
  }
  const end = await pipeTcp(socket, io, {
    context: CONTEXT,
    halfClose: opts.halfClose,
    quitAfterEofMs: opts.quitAfterEofMs,
    idleMs: opts.timeoutMs,
    rst: opts.rst,
    maxBacklog: opts.maxBacklog,
  }).catch((err: unknown) => {
    throw sessionError(CONTEXT, `connection to ${hostPort(opts.host, opts.port)}`, err);
  });
  return exitFor(end);
}

/** Maps how a session ended to its exit status: Ctrl-C is 130, as for any program a signal interrupts. */
export function exitFor(end: SessionEnd): number {
  return end === 'interrupt' ? EXIT_INTERRUPTED : EXIT_OK;
}

/** The words nc uses for a failed attempt: `connect to ADDR port PORT (tcp)`. */
function attempt(address: string, port: number, proto: Proto): string {
  return `connect to ${address} port ${port} (${proto})`;
}

/**
 * Tries each address in turn (as nc does) and returns the first connected socket; throws the last failure.
 * With -p, refuses a source port that the socket table shows in use unless --reuse is given.
 */
async function connectFirst(opts: ConnectOptions, addresses: ResolvedAddress[], io: Io): Promise<Socket> {
  let lastError: unknown;
  for (const [i, target] of addresses.entries()) {
    const held = opts.sourcePort ? heldBy(opts, target) : [];
    if (held.length > 0 && !opts.reuse) throw inUse(opts, target, held);
    try {
      const socket = await tcpAttempt(opts, target, io.interrupt);
      if (opts.verbose && held.length > 0) {
        const tw = held.find((e) => e.state === 'TIME_WAIT');
        const what = tw
          ? `a TIME_WAIT slot (${tw.remoteAddress} port ${tw.remotePort})`
          : `a port in ${held[0]?.state}`;
        diag(
          io,
          `ntk: ${CONTEXT}: --reuse: the kernel let ${hostPort(socket.localAddress ?? '', opts.sourcePort ?? 0)} reuse ${what}`,
        );
      }
      return socket;
    } catch (err) {
      const errno = errnoOf(err);
      if (opts.sourcePort && (errno === 'EADDRINUSE' || errno === 'EADDRNOTAVAIL')) {
        throw inUse(opts, target, heldBy(opts, target), errno, err);
      }
      if (isNtkError(err)) throw err;
      lastError = sysError(CONTEXT, attempt(target.address, opts.port, 'tcp'), err);
      if (opts.verbose && i < addresses.length - 1) diag(io, `ntk: ${CONTEXT}: ${(lastError as Error).message}`);
    }
  }
  throw lastError;
}

/** The sockets that hold the source address:port this connection would bind. */
function heldBy(opts: ConnectOptions, target: ResolvedAddress): SockEntry[] {
  const address = opts.sourceAddress ?? (target.family === 6 ? '::' : '0.0.0.0');
  return findConflicts(readSockTable(opts.proto), opts.sourcePort ?? 0, address);
}

function inUse(
  opts: ConnectOptions,
  target: ResolvedAddress,
  held: SockEntry[],
  errno?: 'EADDRINUSE' | 'EADDRNOTAVAIL',
  cause?: unknown,
) {
  // Name the address the conflicting socket has, when no -s was given: that is the one that matters.
  const address = opts.sourceAddress ?? held[0]?.localAddress ?? (target.family === 6 ? '::' : '0.0.0.0');
  return addressInUseError(CONTEXT, {
    proto: opts.proto,
    address,
    port: opts.sourcePort ?? 0,
    errno,
    flag: '-p',
    reuse: held.every((e) => e.state === 'TIME_WAIT') && !opts.reuse ? '--reuse' : undefined,
    conflicts: held,
    cause,
  });
}

/** One TCP connection attempt, bounded by -w when given. */
function tcpAttempt(opts: ConnectOptions, target: ResolvedAddress, interrupt: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (interrupt.aborted) return reject(createError('E_INTERRUPTED', CONTEXT, 'interrupted'));
    const socket = tcpConnect({
      host: target.address,
      port: opts.port,
      family: target.family,
      localAddress: opts.sourceAddress ?? (opts.sourcePort ? (target.family === 6 ? '::' : '0.0.0.0') : undefined),
      localPort: opts.sourcePort,
    });
    tapConnecting(socket, { address: target.address, port: opts.port });
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) {
      timer = setTimeout(() => {
        interrupt.removeEventListener('abort', onAbort);
        socket.destroy();
        reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
      }, opts.timeoutMs);
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(createError('E_INTERRUPTED', CONTEXT, 'interrupted'));
    };
    interrupt.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      clearTimeout(timer);
      interrupt.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      interrupt.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(err);
    });
  });
}

async function udpSession(opts: ConnectOptions, addresses: ResolvedAddress[], io: Io): Promise<number> {
  const target = addresses[0] as ResolvedAddress;
  const socket = createSocket({ type: target.family === 6 ? 'udp6' : 'udp4', reuseAddr: opts.reuse });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: opts.sourceAddress, port: opts.sourcePort ?? 0, exclusive: true }, () => {
        socket.connect(opts.port, target.address, () => {
          socket.removeListener('error', reject);
          announce({
            type: 'socket',
            proto: 'udp',
            role: 'connect',
            local: socket.address(),
            remote: { address: target.address, port: opts.port },
          });
          resolve();
        });
      });
    });
  } catch (err) {
    socket.close();
    const errno = errnoOf(err);
    if (opts.sourcePort && (errno === 'EADDRINUSE' || errno === 'EADDRNOTAVAIL')) {
      throw inUse(opts, target, heldBy(opts, target), errno, err);
    }
    throw sysError(CONTEXT, attempt(target.address, opts.port, 'udp'), err);
  }
  if (opts.zero) return udpProbe(opts, socket, target, io);
  if (opts.verbose) diag(io, succeeded(opts, target.address));
  const { end, dropped } = await pipeUdp(socket, io, {
    context: CONTEXT,
    halfClose: false,
    quitAfterEofMs: opts.quitAfterEofMs,
    idleMs: opts.timeoutMs,
    maxBacklog: opts.maxBacklog,
  }).catch((err: unknown) => {
    throw sysError(CONTEXT, attempt(target.address, opts.port, 'udp'), err);
  });
  if (dropped > 0) diag(io, `ntk: ${CONTEXT}: ${dropped} datagrams dropped: stdout did not keep up`);
  return exitFor(end);
}

/**
 * -u -z: send one probe datagram and wait (-w, default 1 s) for an ICMP port unreachable, which the kernel
 * reports on the connected socket as ECONNREFUSED. Silence counts as success, as it does for nc.
 */
function udpProbe(opts: ConnectOptions, socket: DgramSocket, target: ResolvedAddress, io: Io): Promise<number> {
  return new Promise((resolve, reject) => {
    const end = (): void => {
      clearTimeout(timer);
      io.interrupt.removeEventListener('abort', onAbort);
      socket.close();
    };
    const timer = setTimeout(() => {
      end();
      if (opts.verbose) diag(io, succeeded(opts, target.address));
      resolve(EXIT_OK);
    }, opts.timeoutMs ?? 1000);
    const onAbort = (): void => {
      end();
      resolve(EXIT_INTERRUPTED);
    };
    io.interrupt.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (err) => {
      end();
      reject(sysError(CONTEXT, attempt(target.address, opts.port, 'udp'), err));
    });
    socket.send(Buffer.from('X'));
    if (io.interrupt.aborted) onAbort();
  });
}
