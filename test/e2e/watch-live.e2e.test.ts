/**
 * Live `ntk watch` on loopback against tcpdump: both capture the same packets at the same time, with the same
 * filter and flags, and must print the same lines (timestamps off with -t).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CaptureParser } from '../../src/watch/pcap-file';
import { canCapture } from '../helpers/can-capture';
import { freePort, freeUdpPort, startServer } from '../helpers/net';
import { errorLines, hasStackTrace, runNtk, spawnNtk, type NtkProcess, type NtkResult } from '../helpers/run-ntk';
import { AS_NOBODY, ntkForNobody } from '../helpers/unprivileged';
import { DEFAULT_USERS, findAccount } from '../../src/watch/privileges';

const LISTENING_LO = 'listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes';

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

/** A server on `host` that reads everything and closes its side when the client does. */
async function sink(host = '127.0.0.1') {
  return startServer(
    (s) => {
      s.resume();
      s.on('end', () => s.end());
    },
    { host },
  );
}

/** A client port and the filter that matches only the session between it and `server` (other tests on this
 *  machine use loopback ports too). */
async function sessionFilter(server: { port: number }, host = '127.0.0.1'): Promise<{ local: number; filter: string }> {
  const local = await freePort(host);
  return { local, filter: `tcp port ${server.port} and tcp port ${local}` };
}

/** One short session from `ntk connect -N -p LOCAL`: handshake, `payload`, FIN both ways. */
async function session(host: string, port: number, local: number, payload: string): Promise<void> {
  const r = await runNtk(['connect', '-N', '-p', String(local), host, String(port)], { stdin: payload });
  expect(r.code).toBe(0);
}

/** Both streams of every process, for a failure message. */
function streamsOf(procs: NtkProcess[]): string {
  return procs
    .map((p, i) => `--- process ${i} stdout:\n${p.stdout()}\n--- process ${i} stderr:\n${p.stderr()}`)
    .join('\n');
}

/**
 * Polls (at most 10 s) until every capturer has printed the same number (≥ min) of lines, stable for 300 ms;
 * throws with both streams of each when that never happens.
 */
async function settle(procs: NtkProcess[], min: number, count: (p: NtkProcess) => number): Promise<void> {
  let last = -1;
  let stableSince = Date.now();
  for (let i = 0; i < 100; i++) {
    const counts = procs.map(count);
    const n = counts[0] as number;
    if (n !== last) {
      last = n;
      stableSince = Date.now();
    } else if (n >= min && counts.every((c) => c === n) && Date.now() - stableSince >= 300) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `output did not settle at ≥ ${min} equal line counts (${procs.map(count).join(' vs ')})\n${streamsOf(procs)}`,
  );
}

/** Packets in the pcap file at `path` so far (0 while it does not exist), counting only whole records. */
function packetsIn(path: string): number {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch {
    return 0;
  }
  let n = 0;
  new CaptureParser().feed(data, () => void n++);
  return n;
}

/** Polls (at most 10 s) until the pcap file `path` written by `proc` holds `want` packets; throws with its streams. */
async function fileHolds(path: string, want: number, proc: NtkProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (packetsIn(path) >= want) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${path} holds ${packetsIn(path)} packets, not ${want}\n${streamsOf([proc])}`);
}

/** Starts tcpdump and ntk watch on lo with `flags` and `filter`, waits until both listen, runs `traffic`,
 *  then stops both with SIGINT once their output has settled. */
async function captureBoth(
  flags: string[],
  filter: string,
  traffic: () => Promise<void>,
  opts: { min?: number; writeFile?: string } = {},
): Promise<{ tcpdump: NtkResult; ntk: NtkResult }> {
  // Not --immediate-mode: it makes libpcap use TPACKET_V2, whose frame alignment cuts some -s values short by
  // up to 2 bytes. Without it tcpdump hands packets over within its 1 s timeout, which settle() waits for.
  const tcpdump = spawnNtk(['-i', 'lo', '-l', ...flags, filter], { bin: 'tcpdump', stdin: 'ignore' });
  const written = opts.writeFile;
  const ntk = spawnNtk(['watch', '-i', 'lo', ...(written !== undefined ? ['-w', written] : flags), filter], {
    stdin: 'ignore',
  });
  await tcpdump.waitFor('listening on');
  await ntk.waitFor('listening on lo');
  await traffic();
  await settle(written !== undefined ? [tcpdump] : [tcpdump, ntk], opts.min ?? 1, (p) => lines(p.stdout()).length);
  if (written !== undefined) await fileHolds(written, lines(tcpdump.stdout()).length, ntk);
  tcpdump.child.kill('SIGINT');
  ntk.child.kill('SIGINT');
  return { tcpdump: await tcpdump.done, ntk: await ntk.done };
}

describe.runIf(canCapture())('ntk watch on lo, line for line with tcpdump', () => {
  it("prints a TCP session's handshake, data and FIN exactly as tcpdump -nt does", async () => {
    const server = await sink();
    const { local, filter } = await sessionFilter(server);
    const { tcpdump, ntk } = await captureBoth(
      ['-nt'],
      filter,
      () => session('127.0.0.1', server.port, local, 'hello, world\n'),
      {
        min: 7,
      },
    );
    const want = lines(tcpdump.stdout);
    expect(want.length).toBeGreaterThanOrEqual(7);
    expect(want[0]).toMatch(
      /Flags \[S\], seq \d+, win \d+, options \[mss \d+,sackOK,TS val \d+ ecr 0,nop,wscale \d+\], length 0$/,
    );
    expect(want.some((l) => l.includes('Flags [P.]') && l.endsWith('length 13'))).toBe(true);
    expect(want.filter((l) => l.includes('Flags [F.]'))).toHaveLength(2);
    expect(lines(ntk.stdout)).toEqual(want);
    // Interrupted, both write one newline to stdout, then tcpdump's closing counts (pcap_stats) to stderr.
    expect(ntk.stdout).toBe(tcpdump.stdout);
    expect(ntk.stderr).toMatch(
      new RegExp(
        `\n${want.length} packets captured\n\\d+ packets received by filter\n\\d+ packets dropped by kernel\n$`,
      ),
    );
    expect(ntk.stderr).toContain(LISTENING_LO);
    expect(hasStackTrace(ntk.stderr)).toBe(false);
    expect(ntk.code).toBe(tcpdump.code);
  });

  it('prints an IPv6 session the same way', async () => {
    const server = await sink('::1');
    const { local, filter } = await sessionFilter(server, '::1');
    const { tcpdump, ntk } = await captureBoth(['-nt'], filter, () => session('::1', server.port, local, 'six\n'), {
      min: 7,
    });
    expect(lines(tcpdump.stdout)[0]).toMatch(/^IP6 ::1\.\d+ > ::1\.\d+: Flags \[S\]/);
    expect(lines(ntk.stdout)).toEqual(lines(tcpdump.stdout));
  });

  it('cuts packets to -s as tcpdump does (with hex dumps)', async () => {
    const server = await sink();
    const { local, filter } = await sessionFilter(server);
    const { tcpdump, ntk } = await captureBoth(
      ['-nt', '-x', '-s', '60'],
      filter,
      () => session('127.0.0.1', server.port, local, 'x'.repeat(300)),
      { min: 20 },
    );
    expect(tcpdump.stdout).toContain('[|tcp]');
    expect(lines(ntk.stdout)).toEqual(lines(tcpdump.stdout));
    expect(ntk.stderr).toContain('snapshot length 60 bytes');
  });

  it('stops by itself after -c packets', async () => {
    const server = await sink();
    const { local, filter } = await sessionFilter(server);
    const ntk = spawnNtk(['watch', '-i', 'lo', '-nt', '-c', '3', filter], { stdin: 'ignore' });
    await ntk.waitFor('listening on lo');
    await session('127.0.0.1', server.port, local, 'abc');
    const r = await ntk.done;
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(3);
    expect(lines(r.stdout)[0]).toContain('Flags [S]');
    expect(r.stderr).toContain('3 packets captured');
  });

  it('writes a live capture with -w that tcpdump reads back with the same lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntk-watch-live-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'live.pcap');
    const server = await sink();
    const { local, filter } = await sessionFilter(server);
    const { tcpdump } = await captureBoth(['-nt'], filter, () => session('127.0.0.1', server.port, local, 'saved\n'), {
      min: 7,
      writeFile: file,
    });
    const readBack = await runNtk(['-nt', '-r', file], { bin: 'tcpdump' });
    expect(readBack.code).toBe(0);
    expect(lines(readBack.stdout)).toEqual(lines(tcpdump.stdout));
    const ours = await runNtk(['watch', '-nt', '-r', file]);
    expect(lines(ours.stdout)).toEqual(lines(tcpdump.stdout));
  });

  it('lists the interfaces with -D as tcpdump -D does', async () => {
    const [ours, theirs] = await Promise.all([runNtk(['watch', '-D']), runNtk(['-D'], { bin: 'tcpdump' })]);
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
  });

  it('captures on the interface tcpdump picks when -i is not given', async () => {
    const filter = 'tcp port 9';
    const tcpdump = spawnNtk(['-c', '1', filter], { bin: 'tcpdump', stdin: 'ignore' });
    const ntk = spawnNtk(['watch', '-c', '1', filter], { stdin: 'ignore' });
    const want = (await tcpdump.waitFor(/listening on [^\n]+/))[0];
    await ntk.waitFor(want);
    tcpdump.child.kill('SIGINT');
    ntk.child.kill('SIGINT');
    // Interrupted before any packet: only the newline tcpdump writes too.
    expect((await ntk.done).stdout).toBe('\n');
    expect((await tcpdump.done).stdout).toBe('\n');
  });
});

describe.runIf(canCapture())('ntk watch live: failures in one line', () => {
  const oneLine = (r: NtkResult, pattern: RegExp): void => {
    const errs = errorLines(r.stderr);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(pattern);
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(r.stdout).toBe('');
  };

  it('-i nosuchif exits 1', async () => {
    const r = await runNtk(['watch', '-i', 'nosuchif']);
    expect(r.code).toBe(1);
    oneLine(r, /^ntk: watch: nosuchif: No such device exists$/);
  });

  it('a filter libpcap rejects exits 1', async () => {
    for (const filter of [['port', 'foo'], ['tcp and and']]) {
      const r = await runNtk(['watch', '-i', 'lo', ...filter]);
      expect(r.code).toBe(1);
      // libpcap's words, as tcpdump prints them.
      const theirs = await runNtk(['-i', 'lo', ...filter], { bin: 'tcpdump' });
      oneLine(r, /^ntk: watch: /);
      expect(errorLines(r.stderr)).toEqual(
        errorLines(theirs.stderr).map((l) => l.replace(/^tcpdump: /, 'ntk: watch: ')),
      );
    }
  });

  it('without privileges says what is needed, never capabilities for node, and exits 1', async () => {
    // As nobody: no root, no capabilities (from a copy nobody can read when the checkout is out of its reach).
    const r = await runNtk([...AS_NOBODY, ntkForNobody(), 'watch', '-i', 'lo'], {
      bin: 'setpriv',
      env: { HOME: '/nonexistent', XDG_CACHE_HOME: '' },
    });
    expect(r.code).toBe(1);
    oneLine(
      r,
      /^ntk: watch: lo: capturing needs root or the CAP_NET_RAW capability: run as root, or .*setcap cap_net_raw=eip \/usr\/local\/bin\/ntk; \/usr\/local\/bin\/ntk install-capture$/,
    );
    expect(r.stderr).not.toMatch(/node\b|cap_net_admin/);
  });

  describe('privileges once capture is open (as root)', () => {
    const passwd = readFileSync('/etc/passwd', 'utf8');
    const defaultUser = DEFAULT_USERS.map((n) => findAccount(passwd, n)).find((a) => a !== undefined);

    /** Starts `watch -c 1` for one UDP datagram with `args`; returns the process once it listens, and the trigger. */
    async function watchOne(args: string[]) {
      const port = await freeUdpPort();
      const ntk = spawnNtk(['watch', '-i', 'lo', '-n', '-t', '-c', '1', ...args, `udp dst port ${port}`], {
        stdin: 'ignore',
      });
      await ntk.waitFor('listening on lo');
      const send = (): void => {
        const s = createSocket('udp4');
        s.send('x', port, '127.0.0.1', () => s.close());
      };
      return { ntk, send, status: () => readFileSync(`/proc/${ntk.child.pid}/status`, 'utf8') };
    }

    it('prints as the unprivileged user, with no capability left', async () => {
      expect(defaultUser).toBeDefined();
      const { ntk, send, status } = await watchOne([]);
      // "listening on" follows the switch, as in tcpdump.
      const st = status();
      const uid = defaultUser?.uid;
      expect(st).toMatch(new RegExp(`^Uid:\\t${uid}\\t${uid}\\t${uid}\\t${uid}$`, 'm'));
      expect(st).toMatch(new RegExp(`^Gid:\\t${defaultUser?.gid}\\t`, 'm'));
      expect(st).toMatch(/^CapEff:\t0{16}$/m);
      expect(st).toMatch(/^CapPrm:\t0{16}$/m);
      send();
      const r = await ntk.done;
      expect(r.code, r.stderr).toBe(0);
      expect(lines(r.stdout)).toEqual([
        expect.stringMatching(/^IP 127\.0\.0\.1\.\d+ > 127\.0\.0\.1\.\d+: UDP, length 1$/),
      ]);
    });

    it('-Z root keeps root; -Z USER switches to USER; an unknown user is one line, exit 1', async () => {
      const kept = await watchOne(['-Z', 'root']);
      expect(kept.status()).toMatch(/^Uid:\t0\t0\t0\t0$/m);
      expect(kept.status()).not.toMatch(/^CapEff:\t0{16}$/m);
      kept.send();
      expect((await kept.ntk.done).code).toBe(0);

      const named = await watchOne(['-Z', 'nobody']);
      expect(named.status()).toMatch(/^Uid:\t65534\t/m);
      named.send();
      expect((await named.ntk.done).code).toBe(0);

      const r = await runNtk(['watch', '-i', 'lo', '-c', '1', '-Z', 'no-such-user-here']);
      expect(r.code).toBe(1);
      oneLine(r, /^ntk: watch: -Z: no such user "no-such-user-here"$/);
    });

    it('-r: a capture file is parsed as the unprivileged user too', async () => {
      const ntk = spawnNtk(['watch', '-n', '-r', '-'], { stdin: 'pipe' });
      ntk.child.stdin?.write(readFileSync(resolve(__dirname, '../golden/loopback.pcap')));
      // The first packet printed comes after the switch; stdin stays open, so the process is still there.
      await ntk.waitFor(/^\d\d:\d\d:\d\d\.\d{6} IP /m, { stream: 'stdout' });
      expect(readFileSync(`/proc/${ntk.child.pid}/status`, 'utf8')).toMatch(
        new RegExp(`^Uid:\\t${defaultUser?.uid}\\t`, 'm'),
      );
      ntk.child.stdin?.end();
      expect((await ntk.done).code).toBe(0);
    });

    it('-w: the file is created before the switch and written after it', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ntk-priv-w-'));
      onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'out.pcap');
      const { ntk, send, status } = await watchOne(['-w', file]);
      expect(status()).toMatch(new RegExp(`^Uid:\\t${defaultUser?.uid}\\t`, 'm'));
      send();
      const r = await ntk.done;
      expect(r.code, r.stderr).toBe(0);
      expect(statSync(file).uid).toBe(0);
      // pcap file header (24 bytes), one record header (16) and the datagram.
      expect(statSync(file).size).toBeGreaterThan(40);
    });
  });

  it('-p says in one line that promiscuous mode stays on, and captures anyway', async () => {
    const server = await sink();
    const { local, filter } = await sessionFilter(server);
    const ntk = spawnNtk(['watch', '-i', 'lo', '-p', '-nt', '-c', '1', filter], { stdin: 'ignore' });
    await ntk.waitFor('listening on lo');
    await session('127.0.0.1', server.port, local, 'p');
    const r = await ntk.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/promiscuous/);
    expect(lines(r.stdout)).toHaveLength(1);
  });
});
