/**
 * Entry point: parse the command line, run the command, map the outcome to an exit status. The only place in
 * the tree that calls process.exit.
 */
import { commandOf, onlyVersion, version } from './cli/about.js';
import { reportError, statusAfterAbort } from './cli/exit.js';
import { processIo, type Io } from './lib/io.js';
import { isNtkError } from './lib/errors.js';

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
      // The one answer that needs no parser: start without loading yargs and the commands.
      io.stdout.write(`${version()}\n`);
      return 0;
    }
    const { buildCli } = await import('./cli/build.js');
    await buildCli(ctx, args).parseAsync();
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

/** True inside a single executable, where this bundle is the main script and must start itself. */
function inSingleExecutable(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('node:sea') as { isSea(): boolean }).isSea();
  } catch {
    return false; // Node without node:sea, or a test runner without require
  }
}

/**
 * True while Node builds a start-up snapshot of this bundle (the single executable's `useSnapshot`): the run then
 * starts from the snapshot, with the bundle already loaded, instead of here.
 */
function buildingSnapshot(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('node:v8') as typeof import('node:v8')).startupSnapshot.isBuildingSnapshot();
  } catch {
    return false;
  }
}

if (buildingSnapshot()) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('node:v8') as typeof import('node:v8')).startupSnapshot.setDeserializeMainFunction(() =>
    run(process.argv.slice(2)),
  );
} else if (inSingleExecutable()) run(process.argv.slice(2));
