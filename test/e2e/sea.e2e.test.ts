/**
 * The single executable: built from this tree, copied alone into an empty directory (no repo, no
 * node_modules), and run there.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../helpers/net';
import { runNtk } from '../helpers/run-ntk';

const root = resolve(__dirname, '../..');

describe('single executable (dist/ntk)', () => {
  const build = mkdtempSync(join(tmpdir(), 'ntk-sea-build-'));
  const alone = mkdtempSync(join(tmpdir(), 'ntk-sea-alone-'));
  const exe = join(alone, 'ntk');
  const env = { XDG_CACHE_HOME: join(alone, 'cache'), HOME: alone };

  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'scripts/build-sea.mjs'), '--out', join(build, 'ntk')], { stdio: 'pipe' });
    copyFileSync(join(build, 'ntk'), exe);
    execFileSync('chmod', ['755', exe]);
  }, 120_000);
  afterAll(() => {
    rmSync(build, { recursive: true, force: true });
    rmSync(alone, { recursive: true, force: true });
  });

  it('prints its version and help from an empty directory', async () => {
    const v = await runNtk(['--version'], { bin: exe, cwd: alone, env });
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(require('../../package.json').version);
    expect(v.stderr).toBe('');
    const h = await runNtk(['connect', '--help'], { bin: exe, cwd: alone, env });
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Examples:');
  });

  it('connect works on loopback', async () => {
    const srv = await startServer((s) => s.end('from the server\n'));
    const r = await runNtk(['connect', '-v', '127.0.0.1', String(srv.port)], { bin: exe, cwd: alone, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('from the server\n');
    expect(r.stderr).toContain('succeeded!');
  });

  it('usage errors are one line, exit 2', async () => {
    const r = await runNtk(['connect', 'h', '70000'], { bin: exe, cwd: alone, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('ntk: connect: port out of range (1-65535): "70000"\n');
  });

});
