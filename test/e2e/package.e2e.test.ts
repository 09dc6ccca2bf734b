/** The npm package: `npm pack` then `npm install -g` into a temporary prefix gives a working `ntk` on PATH. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canCapture } from '../helpers/can-capture';
import { serverInWindow } from '../helpers/net';
import { runNtk } from '../helpers/run-ntk';

const root = resolve(__dirname, '../..');

describe('npm package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ntk-pack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('installs globally from the packed tarball and runs', { timeout: 240_000 }, async () => {
    execFileSync('npm', ['pack', '--pack-destination', dir], { cwd: root, stdio: 'pipe' });
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tgz).toBeDefined();
    const prefix = join(dir, 'prefix');
    execFileSync(
      'npm',
      ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(dir, tgz as string)],
      { cwd: dir, stdio: 'pipe' },
    );
    const env = { PATH: `${join(prefix, 'bin')}:${process.env.PATH}` };
    const which = execFileSync('sh', ['-c', 'command -v ntk'], { env: { ...process.env, ...env } })
      .toString()
      .trim();
    expect(which).toBe(join(prefix, 'bin', 'ntk'));

    const version = await runNtk(['--version'], { bin: which });
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(require('../../package.json').version);

    // The window a large scan covers below, away from the listeners of tests running meanwhile.
    const { server: srv, lo, hi } = await serverInWindow(5000, (s) => s.end('installed\n'));
    const r = await runNtk(['connect', '127.0.0.1', String(srv.port)], { bin: which });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('installed\n');

    // A large scan runs worker threads from the packaged dist/scan-worker.cjs.
    const scan = await runNtk(['scan', '-n', '127.0.0.1', `${lo}-${hi}`], { bin: which, env: { NTK_DEBUG: '1' } });
    expect(scan.code).toBe(0);
    expect(scan.stdout).toContain(`127.0.0.1 ${srv.port}/tcp open`);
    const lanes = availableParallelism() > 1 ? Math.min(availableParallelism(), 4) : 1;
    expect(scan.stderr).toContain(`ntk: scan: ${lanes} lane`);

    // A followed session captures in a thread that runs the packaged dist/watch-worker.cjs.
    if (canCapture()) {
      const watched = await runNtk(['connect', '--watch', '127.0.0.1', String(srv.port)], { bin: which });
      expect(watched.code, watched.stderr).toBe(0);
      expect(watched.stdout).toBe('installed\n');
      expect(watched.stderr).toMatch(/ {2}# handshake 1\/3: SYN, we open/);
    }
  });
});
