/**
 * The streams and signals a command runs with. Commands take an Io instead of touching `process`, so that they
 * can be called in-process (by tests) as well as from the CLI.
 */
import type { Readable, Writable } from 'node:stream';
import { createError, exitForSignal } from './errors.js';
import { errnoWords } from './errno.js';

export interface Io {
  /** Data in (connect/listen payload). */
  stdin: Readable;
  /** Data out: payload bytes, watch lines, --json objects. Nothing else. */
  stdout: Writable;
  /** Diagnostics: -v chatter, notices, summaries, progress. */
  stderr: Writable;
  /**
   * Aborted on the first SIGINT/SIGTERM/SIGHUP (the reason is the signal name), when stdout's reader went away (the
   * reason is STDOUT_CLOSED), or when stdout failed otherwise (the reason is an E_IO NtkError). Commands close
   * cleanly the same way in every case; src/cli/exit.ts maps the reason to the exit status.
   */
  interrupt: AbortSignal;
  env: NodeJS.ProcessEnv;
}

/** The `interrupt` reason when stdout's reader closed its end (`ntk … | head`): EPIPE on write. */
export const STDOUT_CLOSED = 'EPIPE';

/** The signals that end a command cleanly (each aborts `interrupt`; src/cli/exit.ts gives each its status). */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Returns the Io of this process, with `interrupt` fired by the first SIGINT, SIGTERM or SIGHUP or by an error on
 * stdout; a second signal calls `forceExit` with its status (only main.ts ends the process). `command` names stdout
 * errors.
 */
export function processIo(forceExit: (status: number) => void, command = ''): Io {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    // A second Ctrl-C means "now": leave without waiting for a graceful close.
    if (controller.signal.aborted) forceExit(exitForSignal(signal));
    else controller.abort(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  watchStdout(process.stdout, controller, command);
  return {
    // Made on first use: opening standard input costs start-up time that commands without it need not pay.
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    interrupt: controller.signal,
    env: process.env,
  };
}

/**
 * Turns an error on `stdout` into an abort of `controller`: EPIPE (the reader is gone, as with `| head`) ends the
 * command quietly like tcpdump; any other error becomes E_IO. Stays attached: later writes fail the same way.
 */
export function watchStdout(stdout: Writable, controller: AbortController, command: string): void {
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (controller.signal.aborted) return;
    if (err.code === 'EPIPE') controller.abort(STDOUT_CLOSED);
    else controller.abort(createError('E_IO', command, `writing to stdout failed: ${errnoWords(err)}`, { cause: err }));
  });
}

/**
 * Calls `onEnd` once, when stdin ends or fails: a read error (EIO from a vanished terminal, …) counts as the end
 * of input, said in one line. Returns the function that removes both listeners (call it when the session closes).
 */
export function onStdinEnd(io: Io, context: string, onEnd: () => void): () => void {
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  const onError = (err: unknown): void => {
    if (!ended) diag(io, `ntk: ${context}: reading stdin failed: ${errnoWords(err)}; taken as end of input`);
    end();
  };
  io.stdin.once('end', end);
  io.stdin.on('error', onError);
  return () => {
    io.stdin.removeListener('end', end);
    io.stdin.removeListener('error', onError);
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
