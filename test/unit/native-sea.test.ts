/**
 * The capture addon inside a single executable: a small program built on src/capture (native.ts, live.ts) is
 * made into a Node SEA with cap.node as its asset, copied alone into an empty directory, and run from there:
 * it must write the addon to the cache directory on the first run, reuse it on the second, fall back to the
 * temp directory, and capture on lo with it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCapture } from '../helpers/can-capture';

const ROOT = resolve(__dirname, '../..');
const ADDON = join(ROOT, 'node_modules/cap/build/Release/cap.node');
const POSTJECT = join(ROOT, 'node_modules/.bin/postject');

// Loads cap the way ntk does; with a port, captures one UDP datagram sent to that port on lo.
const PROGRAM = `
import { loadCap } from ${JSON.stringify(join(ROOT, 'src/capture/native.ts'))};
import { openLive } from ${JSON.stringify(join(ROOT, 'src/capture/live.ts'))};
import { createSocket } from 'node:dgram';
async function main() {
  const loaded = loadCap();
  console.log(JSON.stringify({ from: loaded.from, fallback: loaded.fallback ?? null }));
  const port = Number(process.argv[2] ?? 0);
  if (port === 0) return;
  const source = await openLive({ iface: 'lo', filter: 'udp dst port ' + port, snaplen: 262144 });
  const timer = setTimeout(() => source.close(), 10000);
  const run = source.run({ packet(p) { console.log('packet ' + p.len); source.close(); } });
  const sock = createSocket('udp4');
  sock.send(Buffer.from('hello'), port, '127.0.0.1', () => sock.close());
  await run;
  clearTimeout(timer);
}
main().catch((e) => { console.error('ntk: ' + e.context + ': ' + e.message); process.exitCode = 1; });
`;

let work = '';
let exe = '';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ntk-sea-'));
  writeFileSync(join(work, 'program.ts'), PROGRAM);
  await build({
    entryPoints: [join(work, 'program.ts')],
    outfile: join(work, 'program.cjs'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['cap'],
    define: { __NTK_VERSION__: '"9.9.9-test"' },
    logLevel: 'warning',
  });
  writeFileSync(
    join(work, 'sea-config.json'),
    JSON.stringify({
      main: join(work, 'program.cjs'),
      output: join(work, 'blob'),
      disableExperimentalSEAWarning: true,
      assets: { 'cap.node': ADDON },
    }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { stdio: 'pipe' });
  const built = join(work, 'built');
  copyFileSync(process.execPath, built);
  execFileSync(POSTJECT, [built, 'NODE_SEA_BLOB', join(work, 'blob'), '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], {
    stdio: 'pipe',
  });
  // Alone in an empty directory: no node_modules anywhere near it.
  mkdirSync(join(work, 'alone'));
  exe = join(work, 'alone', 'prog');
  copyFileSync(built, exe);
  rmSync(built);
}, 120_000);

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

function runExe(args: string[], env: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(exe, args, { cwd: join(work, 'alone'), env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.runIf(canCapture() && process.platform === 'linux')('cap.node as a single-executable asset', () => {
  it('writes the addon to the per-version cache on the first run and reuses it on the second', () => {
    const cache = join(work, 'cache');
    const first = runExe([], { XDG_CACHE_HOME: cache, HOME: work });
    expect(first.stderr).toBe('');
    const { from, fallback } = JSON.parse(first.stdout) as { from: string; fallback: string | null };
    expect(from.startsWith(join(cache, 'ntk', '9.9.9-test') + '/')).toBe(true);
    expect(fallback).toBeNull();
    const mtime = statSync(from).mtimeMs;
    const second = runExe([], { XDG_CACHE_HOME: cache, HOME: work });
    expect(JSON.parse(second.stdout).from).toBe(from);
    expect(statSync(from).mtimeMs).toBe(mtime);
    expect(readdirSync(join(cache, 'ntk', '9.9.9-test'))).toHaveLength(1);
  });

  it('falls back to the temp directory, and says so in one line when that fails too', () => {
    writeFileSync(join(work, 'a-file'), '');
    const fell = runExe([], { XDG_CACHE_HOME: join(work, 'a-file'), TMPDIR: join(work, 'tmp'), HOME: work });
    expect(JSON.parse(fell.stdout).from.startsWith(join(work, 'tmp') + '/')).toBe(true);
    const failed = runExe([], { XDG_CACHE_HOME: join(work, 'a-file'), TMPDIR: join(work, 'a-file'), HOME: work });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^ntk: watch: cannot write the capture addon: .*\n$/);
  });

  it('captures on lo with the addon loaded by process.dlopen', () => {
    const port = 40000 + (process.pid % 20000);
    const r = runExe([String(port)], { XDG_CACHE_HOME: join(work, 'cache'), HOME: work });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`packet ${14 + 20 + 8 + 5}`);
  });
});
