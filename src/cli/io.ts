/**
 * The streams and signals a command runs with. Commands take an Io instead of touching `process`, so that they
 * can be called in-process (by tests, or by `watch -- <command>`) as well as from the CLI.
 */
import type { Readable, Writable } from 'node:stream';

export interface Io {
  /** Data in (connect/listen payload). */
  stdin: Readable;
  /** Data out: payload bytes, watch lines, --json objects. Nothing else. */
  stdout: Writable;
  /** Diagnostics: -v chatter, notices, summaries, progress. */
  stderr: Writable;
  /** Aborted on the first SIGINT/SIGTERM; the reason is the signal name. */
  interrupt: AbortSignal;
  env: NodeJS.ProcessEnv;
}

/** Returns the Io of this process, with `interrupt` fired by the first SIGINT or SIGTERM. */
export function processIo(): Io {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      // A second Ctrl-C means "now": leave without waiting for a graceful close.
      process.exit(130);
    }
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    interrupt: controller.signal,
    env: process.env,
  };
}

/** Writes one diagnostic line to stderr (the newline is added). */
export function diag(io: Io, line: string): void {
  io.stderr.write(line + '\n');
}

/** Resolves once `signal` is aborted; never rejects. */
export function onceAborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}
