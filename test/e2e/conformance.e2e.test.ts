/**
 * tcpdump's own test captures (../shared/conformance/tcpdump, see its SOURCE.md): every case must print
 * byte for byte what tcpdump 4.99 prints, and every malformed capture must be read without a crash.
 * The corpus lives beside the repository; without it these tests are skipped with a message saying so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NTK_BIN } from '../helpers/run-ntk';

const ROOT = resolve(__dirname, '../..');
const CORPUS = resolve(ROOT, '../shared/conformance/tcpdump');
const RUN = join(CORPUS, 'run');
const present = existsSync(RUN);
if (!present) console.warn(`conformance: ${CORPUS} is absent; the tcpdump conformance corpus tests are skipped`);

function run(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(RUN, args, {
    cwd: ROOT,
    env: { ...process.env, NTK: `${NTK_BIN} watch`, VERBOSE: '1' },
    encoding: 'utf8',
    timeout: 55_000,
  });
  return { status: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

describe.runIf(present)('tcpdump conformance corpus', () => {
  it('prints every case exactly as tcpdump 4.99 does', () => {
    const r = run([]);
    const failures = r.out.split('\n').filter((l) => l.startsWith('FAIL'));
    // On failure the message carries the runner's diff of each failing case.
    expect(failures, r.out).toEqual([]);
    expect(r.out).toMatch(/^46 passed, 0 failed$/m);
    expect(r.status).toBe(0);
  }, 60_000);

  it('reads every malformed capture without crashing', () => {
    const r = run(['--robustness']);
    expect(r.out.split('\n').filter((l) => l.startsWith('FAIL')), r.out).toEqual([]);
    expect(r.out).toMatch(/^\d+ passed, 0 failed$/m);
    expect(r.status).toBe(0);
  }, 60_000);
});
