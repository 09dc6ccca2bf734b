/** The stdin ⇄ socket session (pipe.ts) through connectSession, in-process on loopback. */
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { connectSession, type ConnectOptions } from '../../src/connect/connect';
import { pipeUdp } from '../../src/lib/pipe';
import { readAll, startServer } from '../helpers/net';
import { memoryIo } from '../helpers/io';

function options(port: number, over: Partial<ConnectOptions> = {}): ConnectOptions {
  return {
    host: '127.0.0.1',
    port,
    proto: 'tcp',
    family: 0,
    numeric: true,
    halfClose: false,
    verbose: false,
    zero: false,
    reuse: false,
    ...over,
  };
}

/** A stdin that fails on its first read, as a terminal that went away does (EIO). */
function failingStdin(): Readable {
  return new Readable({
    read() {
      this.destroy(Object.assign(new Error('read EIO'), { code: 'EIO', errno: -5 }));
    },
  });
}

describe('pipeTcp: stdin errors', () => {
  it('takes a failing stdin as EOF: -N sends FIN, one line on stderr, exit 0', async () => {
    let received: Promise<Buffer> | undefined;
    const srv = await startServer(
      (s) => {
        received = readAll(s);
        void received.then(() => s.end('bye\n'));
      },
      { allowHalfOpen: true },
    );
    const io = memoryIo(failingStdin());
    const status = await connectSession(options(srv.port, { halfClose: true }), io);
    expect(status).toBe(0);
    expect((await (received as Promise<Buffer>)).length).toBe(0);
    expect(io.out()).toBe('bye\n');
    expect(io.err()).toMatch(/^ntk: connect: reading stdin failed: .*taken as end of input\n$/);
  });

  it('leaves no stdin listener behind once the session is over', async () => {
    const srv = await startServer((s) => s.end());
    const stdin = new Readable({ read() {} });
    const before = { end: stdin.listenerCount('end'), error: stdin.listenerCount('error') };
    await connectSession(options(srv.port), memoryIo(stdin));
    expect({ end: stdin.listenerCount('end'), error: stdin.listenerCount('error') }).toEqual(before);
  });
});

describe('pipeUdp: stdin listeners', () => {
  it('adds no stdin error listener that outlives the session', async () => {
    const { createSocket } = await import('node:dgram');
    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    const port = peer.address().port;
    const stdin = new Readable({ read() {} });
    const before = stdin.listenerCount('error');
    const io = memoryIo(stdin);
    for (let i = 0; i < 3; i++) {
      await connectSession(options(port, { proto: 'udp', timeoutMs: 50 }), io);
    }
    peer.close();
    expect(stdin.listenerCount('error')).toBe(before);
  });
});

describe('pipeUdp: --max-backlog', () => {
  it('drops (and counts) datagrams while more than maxBacklog bytes wait for stdout', async () => {
    const { createSocket } = await import('node:dgram');
    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    await new Promise<void>((r) => socket.connect(peer.address().port, '127.0.0.1', r));
    let written = 0;
    // A stdout that never finishes a write: everything stays queued.
    const stdout = new Writable({ highWaterMark: 1, write: () => void written++ });
    const io = { ...memoryIo(new Readable({ read() {} })), stdout };
    const session = pipeUdp(socket, io, { context: 'connect', halfClose: false, maxBacklog: 250 });
    const payload = Buffer.alloc(100);
    for (let i = 0; i < 10; i++) {
      await new Promise<void>((r) => peer.send(payload, socket.address().port, '127.0.0.1', () => r()));
    }
    // Bounded wait for the datagrams to arrive: 3 fit in the backlog, the other 7 are dropped.
    for (let i = 0; i < 100 && stdout.writableLength < 300; i++) await new Promise((r) => setTimeout(r, 10));
    io.controller.abort();
    const { dropped } = await session;
    peer.close();
    expect(stdout.writableLength).toBe(300);
    expect(dropped).toBe(7);
    expect(written).toBe(1);
  });
});
