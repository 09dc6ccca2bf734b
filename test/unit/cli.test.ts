import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildCli } from '../../src/cli/build';
import type { CliContext } from '../../src/commands/context';
import type { Io } from '../../src/lib/io';
import { reportError } from '../../src/cli/exit';
import { connectOptions } from '../../src/commands/connect';
import { watchOptions } from '../../src/commands/watch';
import { createError, NtkError } from '../../src/lib/errors';
import { main } from '../../src/main';

function fakeIo(): Io & { err: () => string } {
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (c: Buffer) => (text += c.toString()));
  return {
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    stderr,
    interrupt: new AbortController().signal,
    env: {},
    err: () => text,
  };
}

/** Parses `args` without running anything; returns the task the handler handed over, if any. */
async function parseOnly(args: string[]): Promise<{ ran: boolean; error?: unknown }> {
  let ran = false;
  const ctx: CliContext = { io: fakeIo(), run: () => void (ran = true) };
  try {
    await buildCli(ctx, args).parseAsync();
    return { ran };
  } catch (error) {
    return { ran, error };
  }
}

describe('buildCli (parse only)', () => {
  it('leaves a scan port list that starts with "-" to the scan command', async () => {
    expect(await parseOnly(['scan', '-n', '127.0.0.1', '-,1'])).toEqual({ ran: true });
    expect(await parseOnly(['scan', '-n', '127.0.0.1', '-80,90'])).toEqual({ ran: true });
  });

  it('routes a valid connect to its handler', async () => {
    expect(await parseOnly(['connect', '-v', '-p', '1234', 'localhost', '80'])).toEqual({ ran: true });
  });
  it('turns unknown flags and conflicts into E_USAGE', async () => {
    for (const args of [['connect', '--nope', 'h', '1'], ['connect', '-4', '-6', 'h', '1'], ['bogus'], []]) {
      const r = await parseOnly(args);
      expect(r.ran).toBe(false);
      expect(r.error).toBeInstanceOf(NtkError);
      expect((r.error as NtkError).code).toBe('E_USAGE');
    }
  });
});

describe('--max-backlog', () => {
  it('sets the UDP stdout backlog of connect -u and the output backlog of watch', () => {
    expect(connectOptions({ host: 'h', port: '53', u: true, 'max-backlog': '65536' }).maxBacklog).toBe(65536);
    expect(() => connectOptions({ host: 'h', port: '53', 'max-backlog': '65536' })).toThrow(
      '--max-backlog applies to -u only',
    );
    expect(watchOptions({ 'max-backlog': '4096' }, {}).maxBacklog).toBe(4096);
    expect(watchOptions({}, {}).maxBacklog).toBeUndefined();
    expect(() => watchOptions({ 'max-backlog': 'lots' }, {})).toThrow('--max-backlog');
  });
});

describe('connectOptions', () => {
  it('converts argv into typed options', () => {
    expect(
      connectOptions({ host: '127.0.0.1', port: 'http', p: '12345', w: '2', N: true, v: true, reuse: true }),
    ).toMatchObject({
      host: '127.0.0.1',
      port: 80,
      proto: 'tcp',
      sourcePort: 12345,
      timeoutMs: 2000,
      halfClose: true,
      verbose: true,
      reuse: true,
      family: 0,
    });
    expect(connectOptions({ host: '::1', port: '53', u: true, '6': true })).toMatchObject({ proto: 'udp', family: 6 });
  });
  it('names the bad input', () => {
    expect(() => connectOptions({ host: 'h', port: '70000' })).toThrow('"70000"');
    expect(() => connectOptions({ host: 'h', port: '1', p: 'abc' })).toThrow('"abc"');
    expect(() => connectOptions({})).toThrow('missing HOST and PORT');
  });
});

describe('exit statuses', () => {
  it('maps usage to 2, runtime to 1, interrupt to 130 quietly', () => {
    const io = fakeIo();
    expect(reportError(createError('E_USAGE', 'scan', 'invalid port range "25-21"'), io.stderr)).toBe(2);
    expect(reportError(createError('E_CONNREFUSED', 'connect', 'refused'), io.stderr)).toBe(1);
    expect(reportError(createError('E_INTERRUPTED', 'connect', 'interrupted'), io.stderr)).toBe(130);
    expect(reportError(new Error('boom'), io.stderr, {})).toBe(1);
    expect(io.err()).toBe('ntk: scan: invalid port range "25-21"\nntk: connect: refused\nntk: internal error: boom\n');
  });
  it('prints details indented, and a stack only with NTK_DEBUG', () => {
    const io = fakeIo();
    reportError(createError('E_ADDRINUSE', 'connect', 'bind failed', { details: ['a', 'b'] }), io.stderr, {});
    expect(io.err()).toBe('ntk: connect: bind failed\n  a\n  b\n');
    const dbg = fakeIo();
    reportError(new Error('boom'), dbg.stderr, { NTK_DEBUG: '1' });
    expect(dbg.err()).toMatch(/^ntk: internal error: boom\nError: boom\n\s+at /);
  });
  it('main resolves with the status and never rejects', async () => {
    const io = fakeIo();
    expect(await main(['connect', 'h', '70000'], io)).toBe(2);
    expect(io.err()).toBe('ntk: connect: port out of range (1-65535): "70000"\n');
  });
});
