import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { buildCli } from '../../src/cli/build';
import { listenOptions } from '../../src/commands/listen';
import { isNtkError } from '../../src/lib/errors';
import { ROOM_DEFAULTS } from '../../src/listen/chat';
import { memoryIo } from '../helpers/io';

const io = memoryIo(new PassThrough());

/** Parses `ntk ARGS` without running anything; returns the listen options or throws the usage error. */
async function parse(args: string[]) {
  let task: (() => Promise<number>) | undefined;
  const argv = await buildCli({ io, run: (t) => void (task = t) }, args).parseAsync();
  expect(task).toBeDefined();
  return listenOptions(argv as Parameters<typeof listenOptions>[0]);
}

async function usageCode(args: string[]): Promise<string | undefined> {
  try {
    await parse(args);
  } catch (err) {
    return isNtkError(err) ? err.code : 'not an NtkError';
  }
  return undefined;
}

describe('ntk listen options', () => {
  it('takes PORT, -l for nc habits, and defaults to plain TCP on all addresses', async () => {
    const o = await parse(['listen', '-l', '1567']);
    expect(o).toMatchObject({ port: 1567, proto: 'tcp', mode: 'plain', keep: false, family: 0, address: undefined });
    expect(o.allow).toEqual([]);
  });

  it('reads --max-backlog for -u, --chat and --broker only', async () => {
    expect((await parse(['listen', '-u', '--max-backlog', '1000', '9000'])).maxBacklog).toBe(1000);
    expect((await parse(['listen', '--chat', '--max-backlog', '2000', '9000'])).maxBacklog).toBe(2000);
    expect((await parse(['listen', '--broker', '--max-backlog', '3000', '9000'])).maxBacklog).toBe(3000);
    expect((await parse(['listen', '-u', '9000'])).maxBacklog).toBeUndefined();
    expect(await usageCode(['listen', '--max-backlog', '1000', '9000'])).toBe('E_USAGE');
    expect(await usageCode(['listen', '-u', '--max-backlog', '0', '9000'])).toBe('E_USAGE');
  });

  it('accepts port 0 (any free port)', async () => {
    expect((await parse(['listen', '0'])).port).toBe(0);
  });

  it('reads -k -v -N -w -s -6, and -u', async () => {
    const o = await parse(['listen', '-kvN', '-w', '2.5', '-6', '-s', '::1', '9000']);
    expect(o).toMatchObject({
      keep: true,
      verbose: true,
      halfClose: true,
      idleMs: 2500,
      proto: 'tcp',
      family: 6,
      address: '::1',
    });
    expect((await parse(['listen', '-u', '9000'])).proto).toBe('udp');
  });

  it('reads the room options, with repeatable --allow and --deny', async () => {
    const o = await parse([
      'listen',
      '--chat',
      '--max-conns',
      '5',
      '--idle',
      '30',
      '--max-line',
      '100',
      '--max-queue',
      '4096',
      '--allow',
      '127.0.0.0/8',
      '--allow',
      '::1',
      '--deny',
      '127.0.0.2',
      '1567',
    ]);
    expect(o).toMatchObject({ mode: 'chat', maxConns: 5, peerIdleMs: 30_000, maxLine: 100, maxQueue: 4096 });
    expect(o.allow.map((b) => b.text)).toEqual(['127.0.0.0/8', '::1']);
    expect(o.deny.map((b) => b.text)).toEqual(['127.0.0.2']);
  });

  it('has safe room defaults', async () => {
    const o = await parse(['listen', '--broker', '1567']);
    expect(o).toMatchObject({
      mode: 'broker',
      maxConns: 1000,
      maxLine: 65536,
      maxQueue: 1048576,
      stallMs: 5000,
      peerIdleMs: undefined,
    });
    // The command repeats the room's defaults (so --help does not load the room): they must agree.
    expect({ maxConns: o.maxConns, maxLine: o.maxLine, maxQueue: o.maxQueue, stallMs: o.stallMs }).toEqual(
      ROOM_DEFAULTS,
    );
  });

  it('takes --stall in seconds, for the room only', async () => {
    expect(await parse(['listen', '--chat', '--stall', '1.5', '1567'])).toMatchObject({ stallMs: 1500 });
  });

  const bad: string[][] = [
    ['listen'],
    ['listen', '-1'],
    ['listen', '70000'],
    ['listen', 'http'],
    ['listen', '--allow', '10.0.0.0/33', '1567'],
    ['listen', '--deny', 'example.org', '1567'],
    ['listen', '--chat', '--broker', '1567'],
    ['listen', '-u', '--chat', '1567'],
    ['listen', '-u', '-N', '1567'],
    ['listen', '-4', '-6', '1567'],
    ['listen', '-4', '-s', '::1', '1567'],
    ['listen', '-s', 'localhost', '1567'],
    ['listen', '--max-conns', '5', '1567'],
    ['listen', '--chat', '--max-conns', '0', '1567'],
    ['listen', '--chat', '-w', '5', '1567'],
    ['listen', '--broker', '-N', '1567'],
    ['listen', '--chat', '--max-line', 'big', '1567'],
    ['listen', '--chat', '--idle', '-3', '1567'],
    ['listen', '--chat', '--stall', 'x', '1567'],
    ['listen', '--stall', '2', '1567'],
    ['listen', '-w', 'soon', '1567'],
    ['listen', '--no-such-flag', '1567'],
  ];
  for (const args of bad) {
    it(`refuses ntk ${args.join(' ')} with E_USAGE`, async () => {
      expect(await usageCode(args)).toBe('E_USAGE');
    });
  }
});
