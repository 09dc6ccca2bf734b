/** Parse-only checks of `ntk sockets` and of `--rst` on connect and listen, against buildCli without a process. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildCli } from '../../src/cli/build';
import type { CliContext } from '../../src/commands/context';
import { socketsOptions } from '../../src/commands/sockets';
import { connectOptions } from '../../src/commands/connect';
import { listenOptions } from '../../src/commands/listen';
import { memoryIo } from '../helpers/io';

async function parse(args: string[]): Promise<{ ran: boolean; code?: string }> {
  let ran = false;
  const io = memoryIo(new PassThrough());
  const ctx: CliContext = { io, run: () => void (ran = true) };
  try {
    await buildCli(ctx, args).parseAsync();
    return { ran };
  } catch (err) {
    return { ran, code: (err as { code?: string }).code };
  }
}

describe('ntk sockets options', () => {
  it('takes filters, -l, -n, -t/-u, --json and --watch', () => {
    expect(
      socketsOptions({ filter: ['12345', 'time-wait'], l: true, n: true, t: true, json: true, watch: '0.5' }),
    ).toEqual({
      filters: [
        { kind: 'port', port: 12345 },
        { kind: 'state', state: 'TIME_WAIT' },
      ],
      listeners: true,
      numeric: true,
      json: true,
      watchMs: 500,
      protos: ['tcp'],
    });
    expect(socketsOptions({}).protos).toEqual(['tcp', 'udp']);
    expect(socketsOptions({ u: true }).protos).toEqual(['udp']);
  });
  it('refuses a bad filter, a zero interval and unknown flags as usage errors', async () => {
    expect(() => socketsOptions({ filter: ['12/3'] })).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(() => socketsOptions({ watch: '0' })).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(await parse(['sockets', '--bogus'])).toEqual({ ran: false, code: 'E_USAGE' });
    expect(await parse(['sockets', '-ln', '22'])).toEqual({ ran: true });
  });
});

describe('--rst', () => {
  it('is an option of connect and listen', () => {
    expect(connectOptions({ host: '127.0.0.1', port: '80', rst: true }).rst).toBe(true);
    expect(listenOptions({ port: '0', rst: true }).rst).toBe(true);
  });
  it('cannot go with UDP or the room', async () => {
    expect(await parse(['connect', '--rst', '-u', '127.0.0.1', '9'])).toEqual({ ran: false, code: 'E_USAGE' });
    expect(await parse(['listen', '--rst', '--broker', '0'])).toEqual({ ran: false, code: 'E_USAGE' });
    expect(await parse(['listen', '--rst', '-w', '3', '0'])).toEqual({ ran: true });
  });
});
