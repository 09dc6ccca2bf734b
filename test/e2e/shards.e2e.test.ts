/**
 * scripts/scan-shards: one scan split into shards on GNU parallel, merged and checked by `ntk scan --merge`.
 * Runs inside a network namespace of its own so that its loopback has exactly the listeners it starts.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canNetns, createTestHost, type TestHost } from '../helpers/netns';
import { NTK_BIN } from '../helpers/run-ntk';

const root = resolve(__dirname, '../..');
const OPEN = [1022, 2222, 3999, 4000];

describe.runIf(canNetns())('scripts/scan-shards', () => {
  let host: TestHost;
  let listeners: ChildProcess;
  const out = mkdtempSync(join(tmpdir(), 'ntk-shards-'));

  beforeAll(async () => {
    host = createTestHost(41);
    const script = `const n=require('net');let k=0;for(const p of ${JSON.stringify(OPEN)})n.createServer(s=>s.destroy()).listen(p,'127.0.0.1',()=>{if(++k===${OPEN.length})console.log('ready')})`;
    listeners = spawn('ip', ['netns', 'exec', host.ns, process.execPath, '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((res, rej) => {
      listeners.stdout?.once('data', () => res());
      listeners.once('exit', (c) => rej(new Error(`listeners exited ${c}`)));
    });
  });
  afterAll(() => {
    if (listeners?.pid) process.kill(listeners.pid, 'SIGKILL');
    host?.destroy();
    rmSync(out, { recursive: true, force: true });
  });

  it('runs N shards in parallel and merges them into the whole scan', () => {
    const merged = execFileSync(
      'ip',
      ['netns', 'exec', host.ns, join(root, 'scripts/scan-shards'), '4', out, '-n', '127.0.0.1', '1-5000'],
      { env: { ...process.env, NTK: NTK_BIN }, stdio: ['ignore', 'pipe', 'pipe'] },
    ).toString();
    expect(readdirSync(out).sort()).toEqual(['shard-0.ndjson', 'shard-1.ndjson', 'shard-2.ndjson', 'shard-3.ndjson']);
    const open = merged
      .trim()
      .split('\n')
      .map((l) => Number(/^127\.0\.0\.1 (\d+)\/tcp open/.exec(l)?.[1]));
    expect(open).toEqual(OPEN);
  });

  it('refuses to merge when a shard is missing', () => {
    rmSync(join(out, 'shard-2.ndjson'));
    const files = readdirSync(out).map((f) => join(out, f));
    let status = 0;
    let stderr = '';
    try {
      execFileSync(NTK_BIN, ['scan', '--merge', ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      status = (err as { status: number }).status;
      stderr = String((err as { stderr: Buffer }).stderr);
    }
    expect(status).toBe(1);
    expect(stderr).toContain('2/4');
  });
});
