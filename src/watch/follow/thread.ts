/**
 * What session.ts (the command's thread) and worker.ts (the capture's thread) say to each other. The worker is
 * started with a CaptureStart; the command's thread then posts ToCapture messages and receives FromCapture ones.
 */
import type { PrintOptions } from '../../print/context.js';
import type { TapEvent } from '../../lib/sockets-tap.js';
import type { CloseReason } from './tcp-session.js';

/** The bundled capture thread's file name, and its asset name in a single executable. */
export const WORKER_FILE = 'watch-worker.cjs';

export interface CaptureStart {
  iface: string;
  filter: string;
  snaplen: number;
  print: PrintOptions;
  explain: boolean;
  json: boolean;
  color: boolean;
  /**
   * Why our side closes (an index into CLOSE_REASONS), written by the command's thread as it happens: shared
   * memory, so that it is there before the FIN it explains is captured.
   */
  reason: Int32Array;
}

/** The values `reason` holds. */
export const CLOSE_REASONS: readonly CloseReason[] = [undefined, 'stdin ended', 'Ctrl-C', 'SIGTERM'];

export type ToCapture =
  /** A socket of the command announced itself. */
  | { type: 'tap'; ev: TapEvent }
  /** The command is over: await the sessions' last packets, finish, and say "done". */
  | { type: 'stop' };

/** An error as it crosses threads: an NtkError's fields, or anything else's message. */
export interface ThreadError {
  code?: string;
  context?: string;
  message: string;
  details?: string[];
}

export type FromCapture =
  /** The capture is open on `iface`: the command may start. */
  | { type: 'opened'; iface: string }
  /** The capture could not be opened. */
  | { type: 'failed'; error: ThreadError }
  /** Text for stderr: packet lines, annotations, summaries. */
  | { type: 'out'; text: string }
  /** Everything was written: the capture is closed; `kernelDropped` packets never reached it (pcap_stats). */
  | { type: 'done'; kernelDropped: number };
