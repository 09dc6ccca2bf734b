/**
 * The one place that maps errors to exit statuses and prints them:
 *   0 success, 1 runtime or network failure, 2 usage error, 130 interrupted (Ctrl-C, after a clean close).
 * Messages are `ntk: <context>: <detail>` on one line; a stack trace only when NTK_DEBUG is set.
 */
import { isNtkError } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** Writes the message for `err` to `stderr` and returns the exit status it maps to. */
export function reportError(
  err: unknown,
  stderr: NodeJS.WritableStream,
  env: NodeJS.ProcessEnv = process.env,
): number {
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

function stackOf(err: unknown): string {
  return err instanceof Error && err.stack ? err.stack : String(err);
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
}
