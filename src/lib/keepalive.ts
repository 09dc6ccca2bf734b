/**
 * `--keepalive SECS` (connect, listen): TCP keep-alive (RFC 1122 §4.2.3.6) that notices a peer gone silent (a
 * power cut, a cable pulled) within a few probes, not the kernel's default of 75 s between probes × 9.
 *
 * Node sets only the idle time (socket.setKeepAlive: SO_KEEPALIVE + TCP_KEEPIDLE); the probe interval and count
 * (TCP_KEEPINTVL, TCP_KEEPCNT) are not reachable from JavaScript. So ntk paces the probes itself: every SECS it
 * sets the idle time again, and Linux, which re-arms the keep-alive timer to "idle time minus the time since the
 * last segment received" on each TCP_KEEPIDLE, sends a probe at once when the connection has been idle that
 * long (and none while data flows). The kernel counts unanswered probes (icsk_probes_out, the `timeout` column
 * of /proc/net/tcp); after PROBES_BEFORE_DEAD of them ntk ends the session with one line.
 */
import type { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { decodeProcAddress } from './socktable.js';
import { unmapIpv4 } from './addresses.js';

/** Unanswered probes after which the peer is taken for gone. */
export const PROBES_BEFORE_DEAD = 3;

/** The error a session ends with when its peer stopped answering. */
export class PeerSilent extends Error {
  constructor(probes: number, intervalMs: number) {
    super(`the peer stopped answering: ${probes} keep-alive probes unanswered, ${intervalMs / 1000} s apart`);
    this.name = 'PeerSilent';
  }
}

/**
 * Turns on keep-alive with `idleMs` on a connected socket and paces its probes; destroys the socket with a
 * PeerSilent error once PROBES_BEFORE_DEAD probes in a row went unanswered. Stops when the socket closes.
 */
export function keepAlive(socket: Socket, idleMs: number): void {
  socket.setKeepAlive(true, idleMs);
  const timer = setInterval(() => {
    if (socket.destroyed) return clearInterval(timer);
    const probes = probesOut(socket);
    if (probes !== undefined && probes >= PROBES_BEFORE_DEAD) {
      clearInterval(timer);
      socket.destroy(new PeerSilent(probes, idleMs));
      return;
    }
    // Off and on again: Node skips a call that changes nothing, and each TCP_KEEPIDLE re-arms the timer.
    socket.setKeepAlive(false);
    socket.setKeepAlive(true, idleMs);
  }, idleMs);
  timer.unref();
  socket.once('close', () => clearInterval(timer));
}

/** The kernel's count of unanswered keep-alive probes for `socket` (undefined when it cannot be read). */
export function probesOut(socket: Socket, tables?: string[]): number | undefined {
  const lp = socket.localPort;
  const rp = socket.remotePort;
  const ra = socket.remoteAddress === undefined ? undefined : unmapIpv4(socket.remoteAddress);
  if (!lp || !rp || ra === undefined) return undefined;
  for (const text of tables ?? ['/proc/net/tcp', '/proc/net/tcp6'].map(read)) {
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [la, lph] = (f[1] ?? '').split(':');
      const [rah, rph] = (f[2] ?? '').split(':');
      if (!la || !lph || !rah || !rph) continue;
      if (parseInt(lph, 16) !== lp || parseInt(rph, 16) !== rp || unmapIpv4(decodeProcAddress(rah)) !== ra) continue;
      return Number(f[8]);
    }
  }
  return undefined;
}

function read(file: string): string {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return '';
  }
}
