/** --banner: what an open TCP port says first, read on a connection of its own, a few at a time. */
import { connect } from 'node:net';

/** Bytes of a banner kept at most. */
export const BANNER_BYTES = 512;
/** How long a banner is waited for at most (less when -w is shorter). */
export const BANNER_WAIT_MS = 2000;
/** Banner connections open at once, at most (each holds a descriptor while the scan goes on). */
export const BANNER_CONCURRENCY = 32;

/** Runs a task when one of its slots is free. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** Returns a Limiter with `slots` slots: at most that many tasks run at once, the others wait in order. */
export function limiter(slots: number): Limiter {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    // A finished task hands its slot straight to the next waiting one, so no newcomer can slip in between.
    if (running < slots) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/** Reads what a service says first: up to BANNER_BYTES or a line, for at most `waitMs`; never throws. */
export function readBanner(host: { address: string; family: 4 | 6 }, port: number, waitMs: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const socket = connect({ host: host.address, port, family: host.family });
    const end = (): void => {
      clearTimeout(timer);
      socket.resetAndDestroy();
      resolve(Buffer.concat(chunks).subarray(0, BANNER_BYTES));
    };
    const timer = setTimeout(end, waitMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (size >= BANNER_BYTES || c.includes(10)) end();
    });
    socket.on('end', end);
    socket.on('error', end);
  });
}
