/** The process Io (cli/io.ts) and how an aborted command's status is decided (cli/exit.ts). */
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { statusAfterAbort } from '../../src/cli/exit';
import { processIo, STDOUT_CLOSED, watchStdout } from '../../src/lib/io';
import { isNtkError } from '../../src/lib/errors';

/** A stdout whose every write fails with `code`, as a pipe whose reader left (EPIPE) or a full disk (ENOSPC). */
function failingStdout(code: string): Writable {
  return new Writable({
    write(_chunk, _enc, cb) {
      cb(Object.assign(new Error(`write ${code}`), { code }));
    },
  });
}

describe('processIo', () => {
  it('a second SIGINT calls the forceExit it was given instead of exiting by itself', () => {
    const before = new Set(process.listeners('SIGINT'));
    const beforeTerm = new Set(process.listeners('SIGTERM'));
    const beforeHup = new Set(process.listeners('SIGHUP'));
    const beforeOut = new Set(process.stdout.listeners('error'));
    const exits: number[] = [];
    const io = processIo((status) => void exits.push(status), 'connect');
    onTestFinished(() => {
      for (const l of process.listeners('SIGINT')) if (!before.has(l)) process.removeListener('SIGINT', l);
      for (const l of process.listeners('SIGTERM')) if (!beforeTerm.has(l)) process.removeListener('SIGTERM', l);
      for (const l of process.listeners('SIGHUP')) if (!beforeHup.has(l)) process.removeListener('SIGHUP', l);
      for (const l of process.stdout.listeners('error'))
        if (!beforeOut.has(l)) process.stdout.removeListener('error', l as () => void);
    });
    process.emit('SIGINT', 'SIGINT');
    expect(io.interrupt.aborted).toBe(true);
    expect(io.interrupt.reason).toBe('SIGINT');
    expect(exits).toEqual([]);
    process.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([130]);
  });
});

describe('watchStdout', () => {
  it('EPIPE on stdout aborts with STDOUT_CLOSED, which exits 0 quietly', async () => {
    const controller = new AbortController();
    const stdout = failingStdout('EPIPE');
    watchStdout(stdout, controller, 'connect');
    stdout.write('x');
    await new Promise((r) => setImmediate(r));
    expect(controller.signal.reason).toBe(STDOUT_CLOSED);
    const stderr = new PassThrough();
    expect(statusAfterAbort(controller.signal.reason, 130, stderr, {})).toBe(0);
    expect(stderr.read()).toBeNull();
  });

  it('any other stdout error aborts with E_IO, reported as one line, exit 1', async () => {
    const controller = new AbortController();
    const stdout = failingStdout('ENOSPC');
    watchStdout(stdout, controller, 'listen');
    stdout.write('x');
    await new Promise((r) => setImmediate(r));
    const reason: unknown = controller.signal.reason;
    expect(isNtkError(reason) && reason.code).toBe('E_IO');
    const stderr = new PassThrough();
    expect(statusAfterAbort(reason, 130, stderr, {})).toBe(1);
    expect(String(stderr.read())).toMatch(/^ntk: listen: writing to stdout failed: .+\n$/);
  });

  it('a signal turns "interrupted" into its own status and keeps any other', () => {
    expect(statusAfterAbort('SIGINT', 130, new PassThrough(), {})).toBe(130);
    expect(statusAfterAbort('SIGTERM', 130, new PassThrough(), {})).toBe(143);
    expect(statusAfterAbort('SIGHUP', 130, new PassThrough(), {})).toBe(129);
    expect(statusAfterAbort('SIGTERM', 0, new PassThrough(), {})).toBe(0);
  });
});
