/** A TCP participant for room tests: collects everything it receives, waits for text with a bounded wait. */
import { connect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { onTestFinished } from 'vitest';

export interface Peer {
  socket: Socket;
  text(): string;
  lines(): string[];
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  closed: Promise<void>;
}

/** Polls `check` every 5 ms until it holds; rejects naming `what()` after `timeoutMs`. */
export function until(check: () => boolean, what: () => string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      if (check()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what()}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

/** Connects to `host`:`port` from `localAddress`; the socket is destroyed when the test finishes. */
export function join(port: number, localAddress = '127.0.0.1', host = '127.0.0.1'): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host, localAddress });
    const decoder = new StringDecoder('utf8');
    let text = '';
    socket.on('data', (c: Buffer) => (text += decoder.write(c)));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    onTestFinished(() => void socket.destroy());
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      socket.on('error', () => {});
      resolve({
        socket,
        text: () => text,
        lines: () => text.split('\n').slice(0, -1),
        closed,
        waitFor: (pattern, timeoutMs) => {
          // Search only what arrived since the last look: a peer may receive megabytes.
          let from = 0;
          const found = (): boolean => {
            if (typeof pattern !== 'string') return pattern.test(text);
            const hit = text.indexOf(pattern, from) >= 0;
            from = Math.max(0, text.length - pattern.length);
            return hit;
          };
          return until(found, () => `${String(pattern)} in ${JSON.stringify(text.slice(-500))}`, timeoutMs);
        },
      });
    });
  });
}
