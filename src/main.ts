/**
 * Entry point: parse the command line, run the command, map the outcome to an exit status. The only place in
 * the tree that calls process.exit.
 */
import { writeSync } from 'node:fs';
import { commandOf, onlyVersion, version } from './cli/about.js';
import { reportError, statusAfterAbort } from './cli/exit.js';
import { processIo, type Io } from './lib/io.js';
import { createError, isNtkError } from './lib/errors.js';
import { errnoWords } from './lib/errno.js';

/** Runs ntk with `args` (without node and script) on `io`; resolves with the exit status. Never rejects. */
export async function main(args: string[], io: Io): Promise<number> {
  let pending: Promise<number> | undefined;
  let reported = false;
  const ctx = {
    io,
    run(task: () => Promise<number>): void {
      // Handlers hand their work over instead of returning a promise: a rejection that reached yargs would be
      // printed as help text.
      pending = Promise.resolve()
        .then(task)
        .catch((err: unknown) => {
          reported = !(isNtkError(err) && err.code === 'E_INTERRUPTED');
          return reportError(err, io.stderr, io.env);
        });
    },
  };
  try {
    if (onlyVersion(args)) {
      // The one answer that needs no parser: start without loading yargs and the commands. Waited for, so that
      // a failed write decides the status below, as it does for every command.
      await new Promise<void>((resolve) => io.stdout.write(`${version()}\n`, () => resolve()));
    } else {
      const { buildCli } = await import('./cli/build.js');
      await buildCli(ctx, args).parseAsync();
    }
  } catch (err) {
    return reportError(err, io.stderr, io.env);
  }
  const status = pending ? await pending : 0;
  // A command that reported its own failure keeps it; otherwise why it was stopped decides (EPIPE is success).
  return io.interrupt.aborted && !reported ? statusAfterAbort(io.interrupt.reason, status, io.stderr, io.env) : status;
}

/** How long an interrupted command still waits for stdout to take its last bytes. */
const STDOUT_GRACE_MS = 1000;

/** Runs ntk as this process: exits with the status once stdout and stderr are flushed. */
export function run(args: string[]): void {
  if (onlyVersion(args)) {
    const status = versionNow();
    if (status !== undefined) {
      process.exitCode = status;
      return;
    }
  }
  const io = processIo((status) => process.exit(status), commandOf(args));
  void main(args, io).then((code) => {
    const abortedBefore = io.interrupt.aborted;
    // The last writes can still fail (a full disk, a reader gone): once their 'error' is out, that decides too.
    const exit = (): void => {
      const late = !abortedBefore && io.interrupt.aborted;
      const status = late ? statusAfterAbort(io.interrupt.reason, code, io.stderr, io.env) : code;
      process.stderr.write('', () => process.exit(status));
    };
    // Wait for what stdout still holds; with nothing queued, skip the empty write (/dev/full fails even that).
    if (process.stdout.writableLength > 0) {
      process.stdout.write('', () => setImmediate(exit));
      // After Ctrl-C a reader that stopped reading (a paused pager) must not hold the exit for long.
      if (abortedBefore) setTimeout(exit, STDOUT_GRACE_MS).unref();
    } else setImmediate(exit);
  });
}

/**
 * `ntk --version` written straight to standard output: no stream, no signal handler, nothing else to set up.
 * Returns the exit status, or undefined when the line cannot be written now (a full non-blocking pipe), for the
 * usual way to wait for the reader. The line is far below PIPE_BUF, which a pipe takes whole or not at all.
 */
function versionNow(): number | undefined {
  try {
    writeSync(1, `${version()}\n`);
    return 0;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN') return undefined;
    // The reader has gone (`ntk --version | true`): answered, as for every command.
    if (code === 'EPIPE') return 0;
    return reportError(
      createError('E_IO', '', `writing to stdout failed: ${errnoWords(err)}`, { cause: err }),
      process.stderr,
    );
  }
}
