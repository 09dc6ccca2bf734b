import { execFile, spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { expectUsageError, NTK_BIN, runNtk } from '../helpers/run-ntk';

describe('usage errors: one line, exit 2, no stack trace', () => {
  const cases: string[][] = [
    [],
    ['bogus'],
    ['connect'],
    ['connect', 'host', '70000'],
    ['connect', '-p', 'abc', 'h', '1'],
    ['connect', '-n', 'example.org', '80'],
    ['connect', '--no-such-flag', 'h', '1'],
    ['connect', '-4', '-6', 'h', '1'],
    ['connect', '-w', 'soon', 'h', '1'],
  ];
  for (const args of cases) {
    it(`ntk ${args.join(' ')}`, async () => {
      expectUsageError(await runNtk(args));
    });
  }

  it('says the same of a command run under watch -- as of the command alone', async () => {
    for (const args of [
      ['connect', '-4', '-6', '127.0.0.1', '1'],
      ['connect', '--no-such-flag', '127.0.0.1', '1'],
      ['scan', '127.0.0.1', '25-21'],
    ]) {
      const alone = await runNtk(args);
      const watched = await runNtk(['watch', '--', ...args]);
      expectUsageError(alone);
      expect(watched.stderr).toBe(alone.stderr);
      expect(watched.code).toBe(2);
    }
  });
});

describe('--version and --help', () => {
  it('prints the version', async () => {
    const r = await runNtk(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
  it('a stdout that fails (a full disk: /dev/full) is reported in one line, exit 1', () => {
    const full = openSync('/dev/full', 'w');
    onTestFinished(() => closeSync(full));
    const r = spawnSync(NTK_BIN, ['--version'], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
    expect(r.stderr).toBe('ntk: writing to stdout failed: No space left on device\n');
    expect(r.status).toBe(1);
  });
  it('a reader gone before the version is written is no error, exit 0', async () => {
    const child = spawn(NTK_BIN, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed at once, long before ntk has started: its write finds no reader (EPIPE).
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
  it('shows examples for each command', async () => {
    for (const cmd of ['connect', 'listen', 'scan', 'watch']) {
      const r = await runNtk([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Examples:');
    }
  });
});

describe('bin/ntk without a build', () => {
  it('says to build instead of showing a stack, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntk-unbuilt-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'bin'));
    copyFileSync(resolve(__dirname, '../../bin/ntk'), join(dir, 'bin/ntk'));
    const r = await new Promise<{ code: number | null; stderr: string }>((res) => {
      const child = execFile(process.execPath, [join(dir, 'bin/ntk'), '--version'], (_err, _out, stderr) =>
        res({ code: child.exitCode, stderr }),
      );
    });
    expect(r.stderr).toBe('ntk: not built: run npm run build\n');
    expect(r.code).toBe(1);
  });
});

describe("the build's code caches", () => {
  // Checked in a child of its own: V8 refuses a cache made under other flags than the ones it runs with.
  const accepts = (cache: string): string =>
    spawnSync(
      process.execPath,
      [
        '-e',
        `const { readFileSync } = require('node:fs');
         const [bundle, cache] = process.argv.slice(1);
         const s = new (require('node:vm').Script)(require('node:module').wrap(readFileSync(bundle, 'utf8')), {
           filename: bundle,
           cachedData: readFileSync(cache),
         });
         process.stdout.write(String(!s.cachedDataRejected));`,
        resolve(__dirname, '../../dist/ntk.cjs'),
        resolve(__dirname, '../../dist', cache),
      ],
      { encoding: 'utf8' },
    ).stdout;

  it.each(['ntk.cjs.cache', 'ntk.cjs.watch.cache'])('V8 takes dist/%s for the bundle', (cache) => {
    expect(accepts(cache)).toBe('true');
  });
});
