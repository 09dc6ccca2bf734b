import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isNtkError } from '../../src/lib/errors';
import { mergeShards } from '../../src/scan/merge';
import { memoryIo } from '../helpers/io';

const dir = mkdtempSync(join(tmpdir(), 'ntk-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function summary(shard: string, probes: number, open: number, over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'summary',
    proto: 'tcp',
    targets: ['127.0.0.1'],
    ports: '1-4',
    hosts: 1,
    port_count: 4,
    shard,
    probes,
    open,
    closed: probes - open,
    filtered: 0,
    unreachable: 0,
    seconds: 0.5,
    ...over,
  });
}

function port(p: number, state: string): string {
  return JSON.stringify({
    host: '127.0.0.1',
    port: p,
    proto: 'tcp',
    state,
    reason: state === 'open' ? 'syn-ack' : 'conn-refused',
  });
}

function file(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

async function merge(files: string[], json = false): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await mergeShards({ files, json }, io);
  return { code, out: io.out(), err: io.err() };
}

async function failure(files: string[]): Promise<string> {
  try {
    await merge(files);
  } catch (err) {
    if (isNtkError(err)) {
      expect(err.exitCode).toBe(1);
      return `${err.code}: ${err.message}`;
    }
    throw err;
  }
  throw new Error('merged');
}

const a = file('a.ndjson', [port(1, 'closed'), port(3, 'open'), summary('0/2', 2, 1)]);
const b = file('b.ndjson', [port(2, 'open'), port(4, 'closed'), summary('1/2', 2, 1)]);

describe('mergeShards', () => {
  it('joins the shards in port order with one summary', async () => {
    const r = await merge([b, a], true);
    expect(r.code).toBe(0);
    const lines = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.slice(0, -1).map((o) => o.port)).toEqual([1, 2, 3, 4]);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', shard: '0/1', probes: 4, open: 2, closed: 2 });
    expect(r.err).toBe('ntk: scan: 1 host, 4 tcp ports: 2 open, 2 closed, 0 filtered (0.50 s)\n');
  });

  it('prints the open ports by default', async () => {
    const r = await merge([a, b]);
    expect(r.out).toBe('127.0.0.1 2/tcp open\n127.0.0.1 3/tcp open\n');
  });

  it('refuses a missing shard, a shard twice, another scan, a file cut short', async () => {
    expect(await failure([a])).toBe('E_FORMAT: shards missing: 1/2');
    expect(await failure([a, b, a])).toMatch(/^E_FORMAT: shard 0\/2 given twice/);
    const other = file('c.ndjson', [port(2, 'open'), port(4, 'closed'), summary('1/2', 2, 1, { ports: '1-5' })]);
    expect(await failure([a, other])).toMatch(/^E_FORMAT: .*c\.ndjson is from another scan/);
    const short = file('d.ndjson', [port(2, 'open'), summary('1/2', 2, 1)]);
    expect(await failure([a, short])).toMatch(/1 port results, but its summary says 2/);
    const unfinished = file('e.ndjson', [port(2, 'open')]);
    expect(await failure([a, unfinished])).toMatch(/no summary object/);
    const interrupted = file('g.ndjson', [port(2, 'open'), summary('1/2', 1, 1, { interrupted: true })]);
    expect(await failure([a, interrupted])).toMatch(/g\.ndjson: that scan was interrupted/);
    const junk = file('f.ndjson', ['{"host":']);
    expect(await failure([junk])).toMatch(/line 1: not JSON/);
    expect(await failure([join(dir, 'nope.ndjson')])).toMatch(/^E_IO: cannot read .*No such file or directory/);
  });
});
