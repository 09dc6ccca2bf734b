/**
 * tcpdump's own test captures (../shared/conformance/tcpdump, see its SOURCE.md): every case must print
 * byte for byte what tcpdump 4.99 prints, and every malformed capture must be read without a crash.
 * The corpus lives beside the repository; without it these tests are skipped with a message saying so.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NTK_BIN } from '../helpers/run-ntk';

const ROOT = resolve(__dirname, '../..');
const CORPUS = resolve(ROOT, '../shared/conformance/tcpdump');
const RUN = join(CORPUS, 'run');
/** The bundle bin/ntk loads. */
const BUNDLE = join(ROOT, 'dist/ntk.cjs');
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

/** ntk processes run at once over the robustness corpus. */
const ROBUST_JOBS = 4;
/** The runner's limit per malformed capture. */
const ROBUST_TIMEOUT_MS = 10_000;

/** Runs `ntk watch -r file -n` as the runner's --robustness does; resolves with why it failed, or ''. */
function robust(file: string): Promise<string> {
  return new Promise((done) => {
    const child = spawn(NTK_BIN, ['watch', '-r', file, '-n'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TZ: 'GMT0' },
    });
    let trace = false;
    // Only whether a line starts with "    at " matters: keep each stream's last bytes to see lines split across chunks.
    const watchStream = (stream: NodeJS.ReadableStream): void => {
      let tail = '\n';
      stream.on('data', (c: Buffer) => {
        const text = tail + c.toString('latin1');
        if (/\n {4}at /.test(text)) trace = true;
        tail = text.slice(-8);
      });
    };
    watchStream(child.stdout);
    watchStream(child.stderr);
    const timer = setTimeout(() => child.kill('SIGKILL'), ROBUST_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const why: string[] = [];
      if (signal !== null) why.push(`killed by ${signal}`);
      else if (code !== 0 && code !== 1) why.push(`exit status ${code}`);
      if (trace) why.push('JavaScript stack trace');
      done(why.join(', '));
    });
  });
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

  it('reads every malformed capture without crashing', async () => {
    // The runner's --robustness criteria (within 10 s, exit status 0 or 1, no JavaScript stack trace). With the
    // bundle (bin/ntk) every file runs in one process through its main(), and a few through bin/ntk itself;
    // a single executable (NTK_BIN) runs once per file, several at a time.
    const dir = join(CORPUS, 'robustness');
    const files = readdirSync(dir)
      .sort()
      .map((f) => join(dir, f));
    expect(files.length).toBeGreaterThan(100);
    const failures: string[] = [];
    let spawned = files;
    if (process.env.NTK_BIN === undefined && existsSync(BUNDLE)) {
      const r = spawnSync(process.execPath, [join(__dirname, '../helpers/robust-batch.cjs'), BUNDLE, ...files], {
        encoding: 'utf8',
        timeout: 50_000,
      });
      const results = r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { file: string; code: number; ms: number; trace: boolean });
      expect(
        results.map((x) => x.file),
        r.stderr,
      ).toEqual(files);
      for (const x of results) {
        const why = [
          x.code !== 0 && x.code !== 1 ? `exit status ${x.code}` : '',
          x.ms > ROBUST_TIMEOUT_MS ? 'over 10 s' : '',
          x.trace ? 'JavaScript stack trace' : '',
        ];
        if (why.some(Boolean)) failures.push(`FAIL ${x.file} (${why.filter(Boolean).join(', ')})`);
      }
      spawned = files.filter((_, i) => i % 50 === 0);
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < spawned.length) {
        const file = spawned[next++] as string;
        const why = await robust(file);
        if (why !== '') failures.push(`FAIL ${file} (${why})`);
      }
    };
    await Promise.all(Array.from({ length: ROBUST_JOBS }, worker));
    expect(failures).toEqual([]);
  }, 60_000);
});
