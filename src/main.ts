/**
 * Entry point: parse the command line, run the command, map the outcome to an exit status. The only place in
 * the tree that calls process.exit.
 */
import { buildCli } from './cli/build.js';
import { reportError } from './cli/exit.js';
import { processIo, type Io } from './cli/io.js';

/** Runs ntk with `args` (without node and script) on `io`; resolves with the exit status. Never rejects. */
export async function main(args: string[], io: Io): Promise<number> {
  let pending: Promise<number> | undefined;
  const ctx = {
    io,
    run(task: () => Promise<number>): void {
      // Handlers hand their work over instead of returning a promise: a rejection that reached yargs would be
      // printed as help text.
      pending = Promise.resolve()
        .then(task)
        .catch((err: unknown) => reportError(err, io.stderr, io.env));
    },
  };
  try {
    await buildCli(ctx, args).parseAsync();
  } catch (err) {
    return reportError(err, io.stderr, io.env);
  }
  return pending ? await pending : 0;
}

/** Runs ntk as this process: exits with the status once stdout and stderr are flushed. */
export function run(args: string[]): void {
  const io = processIo();
  void main(args, io).then((code) => {
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
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

if (inSingleExecutable()) run(process.argv.slice(2));
