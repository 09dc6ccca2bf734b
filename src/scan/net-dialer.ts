/** The public-API dialer (net.connect, resetAndDestroy): slower than uv-dialer.ts, same answers. */
import { connect, type Socket } from 'node:net';
import { statusOf } from '../lib/errno.js';
import { SELF_CONNECT, type Attempt, type DialerFactory } from './dialer.js';

interface SocketAttempt extends Attempt {
  socket: Socket;
}

/** The net.Socket dialer. */
export const netDialer: DialerFactory = (fin, answer) => ({
  dial(k, address, family, port) {
    const socket = connect({ host: address, port, family });
    const a: SocketAttempt = { k, t: performance.now(), settled: false, stalled: false, socket };
    const end = (status: number): void => {
      if (a.settled) return;
      // An open probe is closed with a RST (nmap -sT) unless --fin asks for nc's FIN.
      if (status === 0 && !fin) socket.resetAndDestroy();
      else socket.destroy();
      answer(a, status);
    };
    socket.on('error', (err) => end(statusOf(err)));
    socket.once('connect', () => {
      const self = socket.localPort === socket.remotePort && socket.localAddress === socket.remoteAddress;
      end(self ? SELF_CONNECT : 0);
    });
    return a;
  },
  abandon: (a) => void (a as SocketAttempt).socket.destroy(),
});
