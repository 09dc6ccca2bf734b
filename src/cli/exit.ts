/**
 * The one place that prints errors and decides the exit status (numbers in src/errors.ts):
 *   0 success, 1 runtime or network failure, 2 usage error, 130 interrupted (Ctrl-C, after a clean close),
 *   143 terminated (SIGTERM) and 129 hung up (SIGHUP), after the same clean close.
 * Messages are `ntk: <context>: <detail>` on one line; a stack trace only when NTK_DEBUG is set.
 */
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, exitForSignal, isNtkError } from '../lib/errors.js';
import { STDOUT_CLOSED } from '../lib/io.js';

/** Writes the message for `err` to `stderr` and returns the exit status it maps to. */
export function reportError(err: unknown, stderr: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): number {
  const debug = env.NTK_DEBUG !== undefined && env.NTK_DEBUG !== '' && env.NTK_DEBUG !== '0';
  if (isNtkError(err)) {
    if (err.code === 'E_INTERRUPTED') return err.exitCode;
    const head = err.context ? `ntk: ${err.context}: ${err.message}` : `ntk: ${err.message}`;
    const lines = [head, ...err.details.map((d) => `  ${d}`)];
    stderr.write(lines.join('\n') + '\n');
    if (debug) stderr.write(stackOf(err.cause ?? err) + '\n');
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  stderr.write(`ntk: internal error: ${firstLine(message)}\n`);
  if (debug) stderr.write(stackOf(err) + '\n');
  return EXIT_FAILURE;
}

/**
 * The exit status of a command that ended with `status` after its `interrupt` was aborted for `reason`: stdout's
 * reader going away (EPIPE, `ntk … | head`) is success, as for tcpdump; a failed stdout (an NtkError) is reported;
 * a signal turns the command's "interrupted" (130) into that signal's status (SIGTERM 143, SIGHUP 129) and leaves
 * any other status (watch's 0) alone.
 */
export function statusAfterAbort(
  reason: unknown,
  status: number,
  stderr: NodeJS.WritableStream,
  env: NodeJS.ProcessEnv = process.env,
): number {
  if (reason === STDOUT_CLOSED) return EXIT_OK;
  if (isNtkError(reason)) return reportError(reason, stderr, env);
  if (typeof reason === 'string' && status === EXIT_INTERRUPTED) return exitForSignal(reason);
  return status;
}

function stackOf(err: unknown): string {
  return err instanceof Error && err.stack ? err.stack : String(err);
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
}
