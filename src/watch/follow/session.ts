/**
 * `ntk watch -- connect|listen|scan …` and `--watch`: runs the command in this process while capturing its
 * packets. The capture opens before the command starts (on the interface of the route to the peer, with a filter
 * narrowed to the peer's host or the listening port), so the first SYN is in it; what the command's sockets
 * announce (lib/sockets-tap) decides which packets are its own. Packet lines go to stderr (stdout stays the
 * session's data); each session's summary follows its last packet.
 */
import { isIP } from 'node:net';
import { diag, type Io } from '../../lib/io.js';
import { onTap } from '../../lib/sockets-tap.js';
import { resolveHost, type Family } from '../../lib/resolve.js';
import type { PrintOptions } from '../../print/context.js';
import type { PacketSource } from '../source.js';
import { Follower } from './follower.js';
import { routeInterface } from './route.js';
import type { CloseReason } from './tcp-session.js';

/** Where the command's peer is: decides the interface and the capture filter. */
export type FollowTarget =
  | { kind: 'connect'; host: string; port: number; family: Family }
  | { kind: 'listen'; address?: string; port: number }
  | { kind: 'scan'; hosts: string[]; ports: number[] };

export interface FollowSessionOptions {
  print: PrintOptions;
  /** -i: the interface (default: the route's). */
  iface?: string;
  explain: boolean;
  json: boolean;
  snaplen: number;
  target: FollowTarget;
}

/** ICMP errors about our packets can come from any router on the way. */
const ICMP = 'icmp or icmp6';
/** After the command ends, packets are still awaited (the end of a close) for this long without traffic… */
const QUIET_MS = 500;
/** …or this long when the command announced no socket at all. */
const NOTHING_MS = 150;
/** …and this long at most. */
const SETTLE_MAX_MS = 3000;

/**
 * At tcpdump's default level (no -v, which checks TCP checksums over the whole payload, and no -x/-X/-A dump) a
 * line is made from the headers and the first line of a text protocol: a session's capture keeps this much of a
 * packet, so that the kernel copies a few KiB of each segment of a bulk transfer instead of 64 KiB.
 */
export const HEADERS_SNAPLEN = 4096;

/** The snap length a session capture asks for: `snaplen`, or HEADERS_SNAPLEN when the printing needs no more. */
export function sessionSnaplen(print: PrintOptions, snaplen: number): number {
  const whole = print.verbose > 0 || print.hex > 0 || print.hexAscii > 0 || print.ascii > 0;
  return whole ? snaplen : Math.min(snaplen, HEADERS_SNAPLEN);
}

/** True when colours may be used on `stream`: a terminal, and NO_COLOR not set. */
export function useColor(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

/** Runs `task` (the command) while following its sessions; resolves with the command's exit status. */
export async function followSession(opts: FollowSessionOptions, io: Io, task: () => Promise<number>): Promise<number> {
  const { iface, filter } = await captureFor(opts);
  const { openLive } = await import('../live.js');
  // Opened before the command runs: without privileges, it says so and the command does not run.
  const source: PacketSource & { iface: string } = await openLive({
    iface,
    filter,
    snaplen: sessionSnaplen(opts.print, opts.snaplen),
  });
  diag(io, `ntk: watch: following the session on ${source.iface} (capture filter: ${filter})`);
  let stdinEnded = false;
  const onStdinEnd = (): void => void (stdinEnded = true);
  io.stdin.once('end', onStdinEnd);
  const closeReason = (): CloseReason => {
    if (io.interrupt.aborted) return io.interrupt.reason === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C';
    return stdinEnded ? 'stdin ended' : undefined;
  };
  const follower = new Follower(source.linktype, {
    print: opts.print,
    explain: opts.explain,
    json: opts.json,
    color: useColor(io.stderr, io.env),
    out: io.stderr,
    summaryOut: io.stderr,
    closeReason,
  });
  let lastPacket = performance.now();
  const running = source.run({
    packet: (pkt) => {
      const before = follower.printed;
      follower.packet(pkt);
      if (follower.printed !== before) lastPacket = performance.now();
    },
  });
  const stopTap = onTap((ev) => follower.tap(ev));
  let status = 0;
  let failure: unknown;
  try {
    status = await task();
  } catch (err) {
    failure = err;
  } finally {
    stopTap();
    io.stdin.removeListener('end', onStdinEnd);
  }
  await settle(follower, () => lastPacket);
  source.close();
  await running;
  follower.finish();
  if (follower.dropped > 0) diag(io, `ntk: watch: ${follower.dropped} packet lines dropped (output too slow)`);
  if (failure !== undefined) throw failure;
  return status;
}

/** Waits for the sessions' last packets: until all are over on the wire, or the capture is quiet. */
async function settle(follower: Follower, lastPacket: () => number): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < SETTLE_MAX_MS / 20; i++) {
    const now = performance.now();
    if (follower.allDone || now - start > SETTLE_MAX_MS) return;
    // Nothing of ours seen at all (the command failed before sending): a moment for late packets only.
    const quiet = !follower.expecting ? NOTHING_MS : follower.printed === 0 ? SETTLE_MAX_MS : QUIET_MS;
    if (now - Math.max(lastPacket(), start) > quiet) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The interface and the capture filter for a command's target. */
async function captureFor(opts: FollowSessionOptions): Promise<{ iface: string; filter: string }> {
  const t = opts.target;
  if (t.kind === 'connect') {
    const [first] = await resolveHost('connect', t.host, t.family);
    const address = first?.address ?? t.host;
    return { iface: opts.iface ?? routeInterface(address), filter: `(host ${address} and port ${t.port}) or ${ICMP}` };
  }
  if (t.kind === 'listen') {
    const specific = t.address !== undefined && t.address !== '0.0.0.0' && t.address !== '::';
    const iface = opts.iface ?? (specific ? routeInterface(t.address as string) : 'any');
    return { iface, filter: t.port > 0 ? `port ${t.port} or ${ICMP}` : `tcp or udp or ${ICMP}` };
  }
  const numeric = t.hosts.filter((h) => isIP(h) !== 0);
  const ifaces = new Set(numeric.map((h) => routeInterface(h)));
  const iface =
    opts.iface ?? (numeric.length === t.hosts.length && ifaces.size === 1 ? ([...ifaces][0] as string) : 'any');
  const narrow = numeric.length === t.hosts.length && numeric.length > 0 && numeric.length <= 32;
  const lo = Math.min(...t.ports);
  const hi = Math.max(...t.ports);
  const ports = t.ports.length === 0 ? '' : lo === hi ? ` and port ${lo}` : ` and portrange ${lo}-${hi}`;
  const hosts = narrow ? `(${numeric.map((h) => `host ${h}`).join(' or ')})` : '(tcp or udp)';
  return { iface, filter: `(${hosts}${ports}) or ${ICMP}` };
}
