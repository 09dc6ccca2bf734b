/**
 * `ntk watch -- connect|listen|scan …` and `--watch`: runs the command in this process while capturing its
 * packets. The capture opens before the command starts (on the interface of the route to the peer, with a filter
 * narrowed to the peer's host or the listening port), so the first SYN is in it; what the command's sockets
 * announce (lib/sockets-tap) decides which packets are its own. The capture runs in a thread of its own
 * (worker.ts), so that printing every packet of a bulk transfer does not slow the transfer. Packet lines go to
 * stderr (stdout stays the session's data); each session's summary follows its last packet.
 */
import { isIP } from 'node:net';
import { diag, type Io } from '../../lib/io.js';
import { onTap, type TapEvent } from '../../lib/sockets-tap.js';
import { createError, type ErrorCode } from '../../lib/errors.js';
import { startWorker, workerScript } from '../../lib/worker-script.js';
import { resolveHost, type Family } from '../../lib/resolve.js';
import type { PrintOptions } from '../../print/context.js';
import { MAX_OUTPUT_BACKLOG } from './follower.js';
import { routeInterface } from './route.js';
import type { CloseReason } from './tcp-session.js';
import { CLOSE_REASONS, WORKER_FILE, type CaptureStart, type FromCapture, type ToCapture } from './thread.js';

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

const CONTEXT = 'watch';
/** ICMP errors about our packets can come from any router on the way. */
const ICMP = 'icmp or icmp6';
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
  const reason = new Int32Array(new SharedArrayBuffer(4));
  // Opened before the command runs: without privileges, it says so and the command does not run.
  const capture = await startCapture(
    {
      iface,
      filter,
      snaplen: sessionSnaplen(opts.print, opts.snaplen),
      print: opts.print,
      explain: opts.explain,
      json: opts.json,
      color: useColor(io.stderr, io.env),
      reason,
    },
    io,
  );
  diag(io, `ntk: watch: following the session on ${capture.iface} (capture filter: ${filter})`);
  // Why our side closes, said before the close's FIN leaves (these listeners come before the command's own).
  const said = (r: CloseReason): void => void Atomics.store(reason, 0, CLOSE_REASONS.indexOf(r));
  const onStdinEnd = (): void => {
    if (Atomics.load(reason, 0) === 0) said('stdin ended');
  };
  const onInterrupt = (): void => said(io.interrupt.reason === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C');
  io.stdin.once('end', onStdinEnd);
  io.interrupt.addEventListener('abort', onInterrupt, { once: true });
  const stopTap = onTap((ev) => capture.tap(ev));
  let status = 0;
  let failure: unknown;
  try {
    status = await task();
  } catch (err) {
    failure = err;
  } finally {
    stopTap();
    io.stdin.removeListener('end', onStdinEnd);
    io.interrupt.removeEventListener('abort', onInterrupt);
  }
  const { dropped, kernelDropped } = await capture.stop();
  if (kernelDropped > 0) diag(io, `ntk: watch: ${kernelDropped} packets dropped by the kernel (capture too slow)`);
  if (dropped > 0) diag(io, `ntk: watch: ${dropped} packet lines dropped (output too slow)`);
  if (failure !== undefined) throw failure;
  return status;
}

/** The capture thread of a session, once its capture is open. */
interface SessionCapture {
  iface: string;
  tap(ev: TapEvent): void;
  /** Ends following once the last packets are in; resolves with what was lost: lines, and packets. */
  stop(): Promise<{ dropped: number; kernelDropped: number }>;
}

/**
 * Starts the capture thread (worker.ts) and waits until its capture is open; throws what opening it threw
 * (E_PERM without privileges, E_CAPTURE). Its lines are written to io.stderr; past MAX_OUTPUT_BACKLOG queued
 * there, they are dropped and counted (a live capture cannot wait).
 */
function startCapture(start: CaptureStart, io: Io): Promise<SessionCapture> {
  const script = workerScript(WORKER_FILE);
  if (script === null) throw createError('E_INTERNAL', CONTEXT, `${WORKER_FILE} not found`);
  const worker = startWorker(script, { workerData: start });
  let dropped = 0;
  let kernelDropped = 0;
  let finished: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (finished = resolve));
  let opened = false;
  return new Promise((resolve, reject) => {
    worker.once('exit', () => {
      finished();
      // Nothing once the capture was open or its failure said.
      reject(createError('E_INTERNAL', CONTEXT, 'the capture thread ended before its capture was open'));
    });
    worker.once('error', (err) => {
      // Before the capture is open the command does not run; after, it goes on without its packet lines.
      if (opened) diag(io, `ntk: watch: capture thread failed: ${err.message}`);
      else reject(createError('E_INTERNAL', CONTEXT, `capture thread failed: ${err.message}`, { cause: err }));
    });
    worker.on('message', (m: FromCapture) => {
      if (m.type === 'out') {
        if (io.stderr.writableLength > MAX_OUTPUT_BACKLOG) dropped += m.text.split('\n').length - 1;
        else io.stderr.write(m.text);
      } else if (m.type === 'opened') {
        opened = true;
        resolve({
          iface: m.iface,
          tap: (ev) => worker.postMessage({ type: 'tap', ev } satisfies ToCapture),
          stop: async () => {
            worker.postMessage({ type: 'stop' } satisfies ToCapture);
            await ended;
            return { dropped, kernelDropped };
          },
        });
      } else if (m.type === 'failed') {
        const e = m.error;
        const code = (e.code ?? 'E_CAPTURE') as ErrorCode;
        reject(createError(code, e.context ?? CONTEXT, e.message, { details: e.details }));
      } else {
        kernelDropped = m.kernelDropped;
        finished();
      }
    });
  });
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
