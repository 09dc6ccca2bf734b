/**
 * The single executable: built from this tree, copied alone into an empty directory (no repo, no
 * node_modules), and run there.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCapture } from '../helpers/can-capture';
import { startServer } from '../helpers/net';
import { runNtk, spawnNtk } from '../helpers/run-ntk';

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

  it('listen works on loopback', async () => {
    const listener = spawnNtk(['listen', '-s', '127.0.0.1', '0'], {
      bin: exe,
      cwd: alone,
      env,
    });
    const m = await listener.waitFor(/Listening on 127\.0\.0\.1 (\d+)/);
    const peer = connect(Number(m[1]), '127.0.0.1');
    peer.end('to the listener\n');
    await new Promise((res) => peer.once('close', res));
    const r = await listener.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('to the listener\n');
  });

  it('watch -r prints a capture exactly as the bundled build does', async () => {
    const pcap = join(root, 'test/golden/loopback.pcap');
    const fromSea = await runNtk(['watch', '-n', '-r', pcap], { bin: exe, cwd: alone, env: { ...env, TZ: 'GMT0' } });
    const fromBin = await runNtk(['watch', '-n', '-r', pcap], { env: { TZ: 'GMT0' } });
    expect(fromSea.code).toBe(0);
    expect(fromSea.stdout.length).toBeGreaterThan(0);
    expect(fromSea.stdout).toBe(readFileSync(join(root, 'test/golden/loopback.out'), 'utf8'));
    expect(fromSea.stdout).toBe(fromBin.stdout);
  });

  /** Captures one UDP datagram on lo with `watch -c 1`; returns the run's result. */
  async function captureOne(extraEnv: NodeJS.ProcessEnv) {
    const port = await freeUdpPort();
    const w = spawnNtk(['watch', '-i', 'lo', '-n', '-t', '-c', '1', `udp dst port ${port}`], {
      bin: exe,
      cwd: alone,
      env: { ...env, ...extraEnv },
    });
    const ready = await Promise.race([w.waitFor('listening on lo').then(() => true), w.done.then(() => false)]);
    if (ready) {
      const sock = createSocket('udp4');
      sock.send('hello', port, '127.0.0.1', () => sock.close());
    }
    return w.done;
  }

  describe.runIf(canCapture())('watch: the capture addon travels inside', () => {
    const cache = join(alone, 'cache');
    const version = require('../../package.json').version as string;

    it('is written to the per-version cache on the first run, reused on the second, and captures', async () => {
      const first = await captureOne({});
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/^IP 127\.0\.0\.1\.\d+ > 127\.0\.0\.1\.\d+: UDP, length 5\n$/);
      const dir = join(cache, 'ntk', version);
      const files = readdirSync(dir);
      expect(files).toHaveLength(1);
      const mtime = statSync(join(dir, files[0] as string)).mtimeMs;
      const second = await captureOne({});
      expect(second.code, second.stderr).toBe(0);
      expect(readdirSync(dir)).toEqual(files);
      expect(statSync(join(dir, files[0] as string)).mtimeMs).toBe(mtime);
    });

    it('falls back to a temp directory, and says so in one line when that fails too', async () => {
      const notADir = join(alone, 'a-file');
      writeFileSync(notADir, '');
      const tmp = join(alone, 'tmp');
      mkdirSync(tmp);
      const fell = await captureOne({ XDG_CACHE_HOME: notADir, TMPDIR: tmp });
      expect(fell.code, fell.stderr).toBe(0);
      expect(readdirSync(tmp).length).toBeGreaterThan(0);
      const failed = await runNtk(['watch', '-i', 'lo', '-c', '1'], {
        bin: exe,
        cwd: alone,
        env: { ...env, XDG_CACHE_HOME: notADir, TMPDIR: notADir },
      });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/^ntk: watch: cannot write the capture addon: [^\n]*\n$/);
    });
  });

  it('scan runs its worker threads from the bundled asset', async () => {
    const srv = await startServer();
    const lo = Math.max(1, srv.port - 2500);
    const hi = Math.min(65535, lo + 4999);
    const r = await runNtk(['scan', '-n', '--json', '127.0.0.1', `${lo}-${hi}`], { bin: exe, cwd: alone, env: { ...env, NTK_DEBUG: '1' } });
    expect(r.code).toBe(0);
    const lanes = availableParallelism() > 1 ? Math.min(availableParallelism(), 4) : 1;
    expect(r.stderr).toContain(`ntk: scan: ${lanes} lane`);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', probes: hi - lo + 1 });
    expect(lines.find((o) => o.port === srv.port)).toMatchObject({ state: 'open' });
  });

  it('usage errors are one line, exit 2', async () => {
    const r = await runNtk(['connect', 'h', '70000'], { bin: exe, cwd: alone, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('ntk: connect: port out of range (1-65535): "70000"\n');
  });

});

/** A UDP port that was free on 127.0.0.1 a moment ago. */
function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  return new Promise((resolve) =>
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    }),
  );
}
