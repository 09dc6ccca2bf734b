/**
 * The fast dialer: connects straight on libuv's TCP handles (`process.binding('tcp_wrap')`, the layer under
 * net.Socket), so a probe costs one handle and one request object instead of a stream with its buffers and
 * events. The only module in the tree that touches Node internals; when the binding is missing or shaped
 * otherwise (a future Node, --experimental-permission), uvDialerUsable() says so and net-dialer.ts is used.
 */
import { SELF_CONNECT, type Attempt, type DialerFactory } from './dialer.js';

interface Handle {
  connect(req: Req, address: string, port: number): number;
  connect6(req: Req, address: string, port: number): number;
  getsockname(out: { address?: string; port?: number }): number;
  getpeername(out: { address?: string; port?: number }): number;
  reset(): number;
  close(): void;
}

/** libuv's connect request, which carries the attempt's fields itself (no second object per probe). */
interface Req extends Attempt {
  oncomplete: (status: number, handle: Handle, req: Req) => void;
  handle: Handle;
}

interface TcpWrap {
  TCP: new (type: number) => Handle;
  TCPConnectWrap: new () => Req;
  constants: { SOCKET: number };
}

function tcpWrap(): TcpWrap {
  return (process as unknown as { binding(name: string): unknown }).binding('tcp_wrap') as TcpWrap;
}

/**
 * True when `process.binding('tcp_wrap')` is there and has every constructor and method uvDialer calls;
 * false when it is missing, throws (as under --experimental-permission), or has another shape.
 */
export function uvDialerUsable(): boolean {
  try {
    const b = tcpWrap() as Partial<TcpWrap>;
    const proto = (b.TCP as { prototype?: Record<string, unknown> } | undefined)?.prototype;
    return (
      typeof b.TCP === 'function' &&
      typeof b.TCPConnectWrap === 'function' &&
      typeof b.constants?.SOCKET === 'number' &&
      proto !== undefined &&
      ['connect', 'connect6', 'getsockname', 'getpeername', 'reset', 'close'].every(
        (m) => typeof proto[m] === 'function',
      )
    );
  } catch {
    return false;
  }
}

/** The libuv dialer; call only when uvDialerUsable(). */
export const uvDialer: DialerFactory = (fin, answer) => {
  const { TCP, TCPConnectWrap, constants } = tcpWrap();
  const oncomplete = (status: number, handle: Handle, req: Req): void => {
    if (req.settled) return; // abandoned: the close cancelled it
    if (status === 0) {
      const local: { address?: string; port?: number } = {};
      const peer: { address?: string; port?: number } = {};
      handle.getsockname(local);
      handle.getpeername(peer);
      if (local.port === peer.port && local.address === peer.address) status = SELF_CONNECT;
      // reset() closes with a RST (SO_LINGER 0) and returns non-zero when it could not: then close anyway.
      if (fin || handle.reset() !== 0) handle.close();
    } else {
      handle.close();
    }
    answer(req, status);
  };
  return {
    dial(k, address, family, port) {
      const handle = new TCP(constants.SOCKET);
      const req = new TCPConnectWrap();
      req.oncomplete = oncomplete;
      req.k = k;
      req.settled = false;
      req.stalled = false;
      req.handle = handle;
      req.t = performance.now();
      const err = family === 6 ? handle.connect6(req, address, port) : handle.connect(req, address, port);
      if (err === 0) return req;
      handle.close();
      return err;
    },
    abandon: (a) => (a as Req).handle.close(),
  };
};
