/**
 * The single executable: built from this tree, copied alone into an empty directory (no repo, no
 * node_modules), and run there.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCapture } from '../helpers/can-capture';
import { freeUdpPort, serverInWindow, startServer } from '../helpers/net';
import { runNtk, spawnNtk } from '../helpers/run-ntk';
import { untrustedDirectory } from '../../src/watch/privileges';

const root = resolve(__dirname, '../..');

describe('single executable (dist/ntk)', () => {
  const build = mkdtempSync(join(tmpdir(), 'ntk-sea-build-'));
  const alone = mkdtempSync(join(tmpdir(), 'ntk-sea-alone-'));
  const exe = join(alone, 'ntk');
  const env = { XDG_CACHE_HOME: join(alone, 'cache'), HOME: alone };

  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'scripts/build-sea.mjs'), '--out', join(build, 'ntk')], {
      stdio: 'pipe',
    });
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

  it("watch -r FILE FILTER selects what tcpdump -r selects, libpcap's compiler inside", async () => {
    const pcap = join(root, 'test/golden/loopback.pcap');
    const filter = 'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0 or icmp';
    const fromSea = await runNtk(['watch', '-n', '-r', pcap, filter], {
      bin: exe,
      cwd: alone,
      env: { ...env, TZ: 'GMT0' },
    });
    const tcpdump = await runNtk(['-n', '-r', pcap, filter], { bin: 'tcpdump', env: { TZ: 'GMT0' } });
    expect(fromSea.code, fromSea.stderr).toBe(0);
    expect(fromSea.stdout.length).toBeGreaterThan(0);
    expect(fromSea.stdout).toBe(tcpdump.stdout);
    const bad = await runNtk(['watch', '-n', '-r', pcap, 'tcp and and'], { bin: exe, cwd: alone, env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\nntk: watch: can't parse filter expression: syntax error\n$/);
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

    it('connect --watch follows its session from the capture thread the executable carries', async () => {
      const srv = await startServer((s) => s.resume());
      const r = await runNtk(['connect', '--watch', '-N', '127.0.0.1', String(srv.port)], {
        bin: exe,
        cwd: alone,
        env,
        stdin: 'hello\n',
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/Flags \[S\], .* {2}# handshake 1\/3: SYN, we open/);
      expect(r.stderr).toMatch(/length 6 {2}# data: 6 bytes sent\n/);
      expect(r.stderr).toContain('# close 1/4: we send FIN first (stdin ended)');
      expect(r.stderr).toMatch(/\n {2}we closed first: 127\.0\.0\.1:\d+ holds TIME_WAIT/);
    });
  });

  describe.runIf(canCapture() && hasTools('setcap', 'setpriv', 'cc', 'install'))(
    'with file capabilities, run by an unprivileged user',
    () => {
      const version = require('../../package.json').version as string;
      const AS_NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
      let place = ''; // a root-owned directory, as /usr/local is
      let user = ''; // a directory the unprivileged user owns
      let ntk = '';
      let marker = '';

      beforeAll(() => {
        const base = ['/opt', '/usr/local', '/var/lib'].find((d) => untrustedDirectory(d) === undefined);
        if (base === undefined) throw new Error('no root-owned directory to install into');
        place = mkdtempSync(join(base, 'ntk-priv-'));
        chmodSync(place, 0o755);
        mkdirSync(join(place, 'bin'), { mode: 0o755 });
        ntk = join(place, 'bin', 'ntk');
        // The README's commands, with nobody's group for pcap.
        execFileSync('install', ['-o', 'root', '-g', '65534', '-m', '0750', join(build, 'ntk'), ntk]);
        execFileSync('setcap', ['cap_net_raw=eip', ntk]);
        user = mkdtempSync(join(tmpdir(), 'ntk-priv-user-'));
        marker = join(user, 'marker');
        // Code planted for a privileged ntk to load: a shared object that leaves a mark when loaded, put where the
        // unprivileged single executable would look for its addon, and preloaded; and a script for NODE_OPTIONS.
        writeFileSync(
          join(user, 'planted.c'),
          `#include <fcntl.h>\n#include <unistd.h>\n__attribute__((constructor)) static void planted(void) {\n` +
            `  int fd = open(${JSON.stringify(marker)}, O_WRONLY | O_CREAT | O_APPEND, 0644);\n` +
            `  if (fd >= 0) { write(fd, "so\\n", 3); close(fd); }\n}\n`,
        );
        execFileSync('cc', ['-shared', '-fPIC', '-o', join(user, 'planted.so'), join(user, 'planted.c')]);
        writeFileSync(join(user, 'planted.js'), `require('fs').appendFileSync(${JSON.stringify(marker)}, 'js\\n');\n`);
        const addon = readFileSync(join(root, 'node_modules/cap/build/Release/cap.node'));
        const cacheDir = join(user, 'cache', 'ntk', version);
        mkdirSync(cacheDir, { recursive: true });
        const digest = createHash('sha256').update(addon).digest('hex').slice(0, 16);
        for (const name of [`cap-${digest}.node`, 'cap.node'])
          copyFileSync(join(user, 'planted.so'), join(cacheDir, name));
        copyFileSync(join(build, 'ntk'), join(user, 'ntk-plain'));
        chmodSync(join(user, 'ntk-plain'), 0o755);
        execFileSync('chown', ['-R', '65534:65534', user]);
      }, 60_000);
      afterAll(() => {
        if (place) rmSync(place, { recursive: true, force: true });
        if (user) rmSync(user, { recursive: true, force: true });
      });

      /** Runs `exe args` as nobody, with every variable that could steer what it loads pointing at planted code. */
      const asNobody = (exe: string, args: string[]) => ({
        args: [
          ...AS_NOBODY,
          'env',
          `LD_PRELOAD=${join(user, 'planted.so')}`,
          `NODE_OPTIONS=--require ${join(user, 'planted.js')}`,
          exe,
          ...args,
        ],
        opts: { bin: 'setpriv', cwd: user, env: { HOME: user, XDG_CACHE_HOME: join(user, 'cache'), TMPDIR: user } },
      });
      const planted = (): string => (existsSync(marker) ? readFileSync(marker, 'utf8') : '');

      it('the planted code runs in an ntk without privileges (so the checks below can fail)', async () => {
        const { args, opts } = asNobody(join(user, 'ntk-plain'), ['--version']);
        const r = await runNtk(args, opts);
        expect(r.code, r.stderr).toBe(0);
        expect(planted()).toContain('so');
        expect(planted()).toContain('js');
        rmSync(marker);
      });

      it('before install-capture: refuses in one line, exit 1, and loads nothing planted', async () => {
        const { args, opts } = asNobody(ntk, ['watch', '-i', 'lo', '-c', '1']);
        const r = await runNtk(args, opts);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(
          /^ntk: watch: with privileges ntk loads its capture addon only from \/\S+\/lib\/ntk\/[^/\s]+, owned by root: .* install it once as root: \S+ install-capture\n$/,
        );
        expect(r.stderr).not.toMatch(/node\b/);
        expect(planted()).toBe('');
        // Started straight from setpriv the process stays dumpable and reads its own auxv: the same answer.
        const direct = await runNtk([...AS_NOBODY, ntk, 'watch', '-i', 'lo', '-c', '1'], {
          bin: 'setpriv',
          cwd: user,
          env: opts.env,
        });
        expect(direct.code).toBe(1);
        expect(direct.stderr).toMatch(/^ntk: watch: with privileges ntk loads its capture addon only from /);
      });

      it('after install-capture (as root): captures on lo, without any privilege once open, and loads nothing planted', async () => {
        const inst = await runNtk(['install-capture'], { bin: ntk, cwd: place });
        expect(inst.code, inst.stderr).toBe(0);
        const installed = join(place, 'lib', 'ntk', version, 'cap.node');
        const st = statSync(installed);
        expect([st.uid, st.mode & 0o777]).toEqual([0, 0o644]);
        expect(statSync(join(place, 'lib', 'ntk', version)).mode & 0o777).toBe(0o755);

        const port = await freeUdpPort();
        const { args, opts } = asNobody(ntk, ['watch', '-i', 'lo', '-n', '-t', '-c', '1', `udp dst port ${port}`]);
        const w = spawnNtk(args, opts);
        await w.waitFor('listening on lo');
        // setpriv and env exec ntk in place: the child's pid is ntk's. The opening lines follow the drop.
        const status = readFileSync(`/proc/${w.child.pid}/status`, 'utf8');
        expect(status).toMatch(/^Uid:\t65534\t65534\t65534\t65534$/m);
        expect(status).toMatch(/^CapEff:\t0{16}$/m);
        expect(status).toMatch(/^CapPrm:\t0{16}$/m);
        expect(status).toMatch(/^NoNewPrivs:\t1$/m);
        // Every thread but Node's SIGUSR1 watcher (which blocks every signal) gave its capabilities up.
        const holding = readdirSync(`/proc/${w.child.pid}/task`).filter(
          (t) => !/^CapPrm:\t0{16}$/m.test(readFileSync(`/proc/${w.child.pid}/task/${t}/status`, 'utf8')),
        );
        expect(holding.length).toBeLessThanOrEqual(1);
        const sock = createSocket('udp4');
        sock.send('hello', port, '127.0.0.1', () => sock.close());
        const r = await w.done;
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/^IP 127\.0\.0\.1\.\d+ > 127\.0\.0\.1\.\d+: UDP, length 5\n$/);
        expect(planted()).toBe('');
      });

      it('reads a capture file with -r as nobody, its capabilities given up through the installed addon', async () => {
        const { args, opts } = asNobody(ntk, ['watch', '-n', '-r', '-']);
        const w = spawnNtk(args, { ...opts, stdin: 'pipe' });
        w.child.stdin?.write(readFileSync(join(root, 'test/golden/loopback.pcap')));
        await w.waitFor(/^\d\d:\d\d:\d\d\.\d{6} IP /m, { stream: 'stdout' });
        const status = readFileSync(`/proc/${w.child.pid}/status`, 'utf8');
        expect(status).toMatch(/^CapEff:\t0{16}$/m);
        expect(status).toMatch(/^CapPrm:\t0{16}$/m);
        w.child.stdin?.end();
        const r = await w.done;
        expect(r.code, r.stderr).toBe(0);
        expect(planted()).toBe('');
      });

      it('refuses an installed addon others could have changed, or from another build', async () => {
        const dir = join(place, 'lib', 'ntk', version);
        const installed = join(dir, 'cap.node');
        const run = () => {
          const { args, opts } = asNobody(ntk, ['watch', '-i', 'lo', '-c', '1']);
          return runNtk(args, opts);
        };
        chownSync(dir, 65534, 65534);
        try {
          const r = await run();
          expect(r.code).toBe(1);
          expect(r.stderr).toMatch(new RegExp(`^ntk: watch: [^\\n]*: ${dir} is not owned by root; [^\\n]*\\n$`));
        } finally {
          chownSync(dir, 0, 0);
        }
        const original = readFileSync(installed);
        copyFileSync(join(user, 'planted.so'), installed);
        chownSync(installed, 0, 0);
        chmodSync(installed, 0o644);
        try {
          const r = await run();
          expect(r.code).toBe(1);
          expect(r.stderr).toMatch(/is from another build; [^\n]*\n$/);
          expect(planted()).toBe('');
        } finally {
          writeFileSync(installed, original);
        }
      });
    },
  );

  it('scan runs its worker threads from the bundled asset', async () => {
    // Below the ephemeral range, away from the listeners of tests running meanwhile.
    const { server: srv, lo, hi } = await serverInWindow(5000);
    const r = await runNtk(['scan', '-n', '--json', '127.0.0.1', `${lo}-${hi}`], {
      bin: exe,
      cwd: alone,
      env: { ...env, NTK_DEBUG: '1' },
    });
    expect(r.code).toBe(0);
    const lanes = availableParallelism() > 1 ? Math.min(availableParallelism(), 4) : 1;
    expect(r.stderr).toContain(`ntk: scan: ${lanes} lane`);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', probes: hi - lo + 1 });
    expect(lines.find((o) => o.port === srv.port)).toMatchObject({ state: 'open' });
  });

  it('usage errors are one line, exit 2', async () => {
    const r = await runNtk(['connect', 'h', '70000'], { bin: exe, cwd: alone, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('ntk: connect: port out of range (1-65535): "70000"\n');
  });
});

/** True when every one of `tools` is on PATH. */
function hasTools(...tools: string[]): boolean {
  return tools.every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
}
