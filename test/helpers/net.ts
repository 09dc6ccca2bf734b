/** Loopback servers and free ports for tests; everything is closed when the test finishes. */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { onTestFinished } from 'vitest';
import { readSockTable } from '../../src/lib/socktable';

/** The first port of the kernel's ephemeral range: port 0 binds there, and client sockets take their ports there. */
function ephemeralLow(): number {
  const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  return Number.isInteger(low) && low > 4096 ? low : 32768;
}

/**
 * Ports below the kernel's ephemeral range, which no program of the tests binds by itself (port 0 binds in the
 * ephemeral range, and client sockets take their ports there: the 10,000 clients of the chat test can fill it).
 * The lower half holds the windows and blocks that scans cover (serverInWindow, the scan tests' blocks); free
 * ports come from the upper half, so that no scan ever reaches a listener started on one of them.
 */
function zones(): { scan: [number, number]; free: [number, number] } {
  const top = ephemeralLow();
  const mid = 1024 + ((top - 1024) >> 1);
  return { scan: [1024, mid], free: [mid, top] };
}

/** A random first port of a block of `size` ports in the scan zone (see zones()). */
export function scanBlockBase(size: number): number {
  const [lo, hi] = zones().scan;
  return lo + Math.floor(Math.random() * (hi - size - lo));
}

/** A random port of the free zone that no socket of any program uses now (not even in TIME_WAIT). */
function unusedCandidate(): number {
  const [lo, hi] = zones().free;
  for (;;) {
    const port = lo + Math.floor(Math.random() * (hi - lo));
    const used = (['tcp', 'udp'] as const).some((proto) => readSockTable(proto).some((e) => e.localPort === port));
    if (!used) return port;
  }
}

/** Tries `bind` on candidate ports until one succeeds; returns it. */
async function firstBindable(bind: (port: number) => Promise<boolean>): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = unusedCandidate();
    if (await bind(port)) return port;
  }
  throw new Error('no free port');
}

/** Returns a TCP port that was free on `host` a moment ago, below the ephemeral range (see zones()). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return firstBindable(
    (port) =>
      new Promise((resolve) => {
        const server = createServer();
        server.once('error', () => resolve(false));
        server.listen(port, host, () => server.close(() => resolve(true)));
      }),
  );
}

/** Returns a UDP port that was free on 127.0.0.1 a moment ago, below the ephemeral range (see zones()). */
export function freeUdpPort(): Promise<number> {
  return firstBindable(
    (port) =>
      new Promise((resolve) => {
        const s = createSocket('udp4');
        s.once('error', () => s.close(() => resolve(false)));
        s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
      }),
  );
}

export interface TestServer {
  server: Server;
  port: number;
  /** Every connection accepted so far. */
  sockets: Socket[];
  /** Resolves with the next accepted connection (or one already accepted and not yet taken). */
  nextConnection(timeoutMs?: number): Promise<Socket>;
}

/** Starts a TCP server on `host` (port 0 unless given) that hands each connection to `onConn`. */
export async function startServer(
  onConn: (socket: Socket) => void = () => {},
  opts: { host?: string; port?: number; allowHalfOpen?: boolean } = {},
): Promise<TestServer> {
  const sockets: Socket[] = [];
  const queue: Socket[] = [];
  const waiting: ((s: Socket) => void)[] = [];
  const server = createServer({ allowHalfOpen: opts.allowHalfOpen ?? false }, (socket) => {
    socket.on('error', () => {});
    sockets.push(socket);
    onConn(socket);
    const w = waiting.shift();
    if (w) w(socket);
    else queue.push(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve);
  });
  onTestFinished(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return {
    server,
    port: (server.address() as { port: number }).port,
    sockets,
    nextConnection(timeoutMs = 10_000) {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no connection arrived')), timeoutMs);
        waiting.push((s) => {
          clearTimeout(t);
          resolve(s);
        });
      });
    },
  };
}

/**
 * A TCP server (as startServer) in the middle of a random window of `size` ports of the scan zone (see zones()),
 * for a test that scans the window: no listener of a test running meanwhile is there, whose one connection (an
 * `ntk listen` accepts one) the scan would take.
 */
export async function serverInWindow(
  size: number,
  onConn: (socket: Socket) => void = () => {},
): Promise<{ server: TestServer; lo: number; hi: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const lo = scanBlockBase(size);
    try {
      return { server: await startServer(onConn, { port: lo + (size >> 1) }), lo, hi: lo + size - 1 };
    } catch {
      // taken: another window
    }
  }
  throw new Error('no free port in the scan zone');
}

/** Collects everything `socket` sends until it ends. */
export function readAll(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}
