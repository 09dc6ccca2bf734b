/** Parsing of the session-following flags: `watch -- COMMAND`, `--watch`, `--own`, `--keepalive`. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildCli } from '../../src/cli/build';
import type { CliContext } from '../../src/commands/context';
import { connectOptions } from '../../src/commands/connect';
import { listenOptions } from '../../src/commands/listen';
import { NtkError } from '../../src/lib/errors';
import { memoryIo } from '../helpers/io';

/** Parses `args`; returns whether a task was handed over and the error the task or the parse gave. */
async function parse(args: string[], runTask = true): Promise<{ ran: boolean; error?: unknown }> {
  let task: (() => Promise<number>) | undefined;
  const io = memoryIo(new PassThrough());
  const ctx: CliContext = { io, run: (t) => void (task = t) };
  try {
    await buildCli(ctx, args).parseAsync();
  } catch (error) {
    return { ran: false, error };
  }
  if (task === undefined || !runTask) return { ran: task !== undefined };
  // Usage errors found after parsing come out of the task before anything runs.
  const error = await task().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { ran: true, error: error instanceof NtkError && error.code === 'E_USAGE' ? error : undefined };
}

function usage(r: { error?: unknown }): void {
  expect(r.error).toBeInstanceOf(NtkError);
  expect((r.error as NtkError).code).toBe('E_USAGE');
}

describe('session following on the command line', () => {
  it('--keepalive takes whole seconds, 1 or more', () => {
    expect(connectOptions({ host: '127.0.0.1', port: '80', keepalive: '5' }).keepAliveMs).toBe(5000);
    expect(() => connectOptions({ host: '127.0.0.1', port: '80', keepalive: '0' })).toThrow(/--keepalive/);
    expect(listenOptions({ port: '80', keepalive: '2' }).keepAliveMs).toBe(2000);
  });

  it('watch -- COMMAND refuses a filter, -r and -w; --json and --explain need a command or --own', async () => {
    usage(await parse(['watch', 'tcp', '--', 'connect', '127.0.0.1', '1']));
    usage(await parse(['watch', '-r', 'f.pcap', '--', 'connect', '127.0.0.1', '1']));
    usage(await parse(['watch', '--json']));
    usage(await parse(['watch', '--explain', '-i', 'lo']));
  });

  it("the command's own errors are its own: watch -- connect without a port", async () => {
    const r = await parse(['watch', '--', 'connect', '127.0.0.1']);
    usage(r);
    expect((r.error as NtkError).message).toMatch(/missing HOST and PORT/);
    usage(await parse(['watch', '--', 'connect', '--bogus', '127.0.0.1', '1']));
  });

  it('--watch is accepted by connect, listen and scan', async () => {
    for (const args of [
      ['connect', '--watch', 'h', '1'],
      ['listen', '--watch', '1'],
      ['scan', '--watch', 'h', '1'],
    ]) {
      const r = await parse(args, false);
      expect(r, args.join(' ')).toEqual({ ran: true });
    }
  });
});
