/**
 * connect -z when the connection fails right after it was made (a RST just after the handshake): the port did
 * accept, so -z succeeds, and the late error must not go unhandled. The window between connect and close is too
 * short to hit on loopback, so net.connect is wrapped to fail its socket as it is closed.
 */
import { describe, expect, it, vi } from 'vitest';
import { connectSession } from '../../src/connect/connect';
import { memoryIo } from '../helpers/io';
import { startServer } from '../helpers/net';

vi.mock('node:net', async (importOriginal) => {
  const net = await importOriginal<typeof import('node:net')>();
  const connect = (...args: Parameters<typeof net.connect>): ReturnType<typeof net.connect> => {
    const socket = net.connect(...args);
    // The RST arrives while our FIN is on its way: the socket fails as end() is called.
    const end = socket.end.bind(socket) as (...a: unknown[]) => typeof socket;
    socket.end = ((...a: unknown[]) => {
      end(...a);
      socket.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104 }));
      return socket;
    }) as typeof socket.end;
    return socket;
  };
  return { ...net, default: { ...net, connect }, connect };
});

describe('connect -z', () => {
  it('succeeds when the connection is reset after it was made, without an unhandled error', async () => {
    const srv = await startServer();
    const io = memoryIo();
    const status = await connectSession(
      {
        host: '127.0.0.1',
        port: srv.port,
        proto: 'tcp',
        family: 0,
        numeric: true,
        halfClose: false,
        verbose: true,
        zero: true,
        reuse: false,
      },
      io,
    );
    expect(status).toBe(0);
    expect(io.err()).toBe(`Connection to 127.0.0.1 ${srv.port} port [tcp/*] succeeded!\n`);
  });
});
