/** Loopback servers and free ports for tests; everything is closed when the test finishes. */
import { createSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { onTestFinished } from 'vitest';

/** Returns a TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Returns a UDP port that was free on 127.0.0.1 a moment ago. */
export function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  return new Promise((resolve) =>
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
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

/** Collects everything `socket` sends until it ends. */
export function readAll(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}
