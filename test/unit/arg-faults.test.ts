import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/lib/io';
import { cutLongArgs, MAX_ECHOED } from '../../src/lib/errors';
import { main } from '../../src/main';

/** Runs ntk with `args` in-process; resolves with the exit status and what it wrote to stderr. */
async function runMain(args: string[]): Promise<{ code: number; err: string }> {
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const io: Io = {
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    stderr,
    interrupt: new AbortController().signal,
    env: {},
  };
  const code = await main(args, io);
  return { code, err };
}

describe('values tcpdump refuses', () => {
  it('refuses a snaplen past the maximum, as tcpdump does', async () => {
    const r = await runMain(['watch', '-s', '99999999999', '-r', '/nonexistent.pcap']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('ntk: watch: invalid snaplen "99999999999" (must be >= 0 and <= 262144)\n');
    expect((await runMain(['watch', '-s', '262145', '-r', '/nonexistent.pcap'])).code).toBe(2);
  });

  it('still takes the maximum itself', async () => {
    // The file does not exist: a runtime error (1), not a usage error (2), so -s was accepted.
    expect((await runMain(['watch', '-s', '262144', '-r', '/nonexistent.pcap'])).code).toBe(1);
  });
});

describe('long arguments in messages', () => {
  it('cuts a run longer than MAX_ECHOED characters and leaves short ones alone', () => {
    expect(cutLongArgs('invalid host "abc"')).toBe('invalid host "abc"');
    const long = 'x'.repeat(120_000);
    expect(cutLongArgs(`invalid host "${long}"`)).toBe(`invalid host "${'x'.repeat(MAX_ECHOED)}..."`);
  });

  it('echoes a 120,000-character host in one short line', async () => {
    const r = await runMain(['connect', '-n', 'h'.repeat(120_000), '80']);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toHaveLength(2);
    expect(r.err.length).toBeLessThan(400);
  });

  it('cuts an unknown argument yargs reports', async () => {
    const r = await runMain(['scan', '127.0.0.1', '80', '--' + 'y'.repeat(5000)]);
    expect(r.code).toBe(2);
    expect(r.err.length).toBeLessThan(400);
  });
});

describe('a lone "-" as a positional argument', () => {
  it('is named as typed, not as ""', async () => {
    const host = await runMain(['connect', '-n', '-', '80']);
    expect(host.code).toBe(2);
    expect(host.err).toBe('ntk: connect: -n given, but "-" is not a numeric address\n');
    const port = await runMain(['connect', '-n', '127.0.0.1', '-']);
    expect(port.err).toBe('ntk: connect: invalid port "-"\n');
    const listen = await runMain(['listen', '-']);
    expect(listen.code).toBe(2);
    expect(listen.err).toContain('"-"');
  });
});
