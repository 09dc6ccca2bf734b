/**
 * `ntk watch -- connect|listen …` and `--watch` on loopback: the command's own packets, every one, in order,
 * printed as tcpdump prints them (checked against a tcpdump running alongside) and each annotated; the summary
 * names the TIME_WAIT holder, and the connect that follows explains the TIME_WAIT.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { canCapture } from '../helpers/can-capture';
import { freePort, startServer } from '../helpers/net';
import { NTK_BIN, runNtk, spawnNtk, type NtkProcess } from '../helpers/run-ntk';

/** Lines that carry a packet: tcpdump's text, then `  # ` and the annotation. */
function packetLines(stderr: string): Array<{ line: string; note: string }> {
  return stderr
    .split('\n')
    .filter((l) => /^(.* )?IP6? .* {2}# /.test(l))
    .map((l) => {
      const i = l.indexOf('  # ');
      return { line: l.slice(0, i), note: l.slice(i + 4) };
    });
}

/** Asserts that `notes` contains each of `wanted` (regexps), in this order. */
function expectInOrder(notes: string[], wanted: RegExp[]): void {
  let at = 0;
  for (const w of wanted) {
    const i = notes.findIndex((n, k) => k >= at && w.test(n));
    expect(i, `${String(w)} after note ${at} in:\n${notes.join('\n')}`).toBeGreaterThanOrEqual(0);
    at = i + 1;
  }
}

/** Starts tcpdump on lo for `filter`, line-buffered, without timestamps; resolves once it listens. */
async function startTcpdump(filter: string): Promise<{ stop(expected?: number): Promise<string[]> }> {
  // A 64 MiB buffer (-B, in KiB), so that tcpdump itself keeps up with a bulk transfer.
  const child: ChildProcess = spawn('tcpdump', ['-i', 'lo', '-B', '65536', '-n', '-t', '-l', filter], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10_000);
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes('listening on')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  return {
    /** Stops tcpdump once it printed `expected` lines (it may lag behind), or after 5 s. */
    stop: async (expected = 0) => {
      for (let i = 0; i < 100 && out.split('\n').length - 1 < expected; i++)
        await new Promise((r) => setTimeout(r, 50));
      const closed = new Promise((r) => child.once('close', r));
      child.kill('SIGINT');
      await closed;
      return out.split('\n').filter((l) => l !== '');
    },
  };
}

/** `ntk listen 0` with stdin open; resolves with it and its port. */
async function listen(args: string[] = []): Promise<{ p: NtkProcess; port: number }> {
  const p = spawnNtk(['listen', '-v', ...args, '0'], { stdin: 'pipe' });
  const m = await p.waitFor(/Listening on 0\.0\.0\.0 (\d+)/);
  return { p, port: Number(m[1]) };
}

describe.runIf(canCapture())('ntk watch follows its own session on loopback', () => {
  it('a line each way, Ctrl-C on the connect side: every packet, annotated, and the connect side holds TIME_WAIT', async () => {
    const { p: server, port } = await listen();
    const src = await freePort();
    const dump = await startTcpdump(
      `src host 127.0.0.1 and dst host 127.0.0.1 and tcp port ${src} and tcp port ${port}`,
    );
    const client = spawnNtk(['watch', '-t', '--', 'connect', '-p', String(src), '127.0.0.1', String(port)], {
      stdin: 'pipe',
    });
    await client.waitFor('# handshake 3/3');
    client.child.stdin?.write('hello\n');
    await server.waitFor('hello', { stream: 'stdout' });
    server.child.stdin?.write('back\n');
    await client.waitFor('back', { stream: 'stdout' });
    await client.waitFor('# data: 5 bytes received');
    client.child.kill('SIGINT');
    await client.waitFor(/holds TIME_WAIT until/);
    const r = await client.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toBe('back\n');

    const lines = packetLines(r.stderr);
    const notes = lines.map((l) => l.note);
    expectInOrder(notes, [
      /^handshake 1\/3: SYN, we open \(mss 65495, wscale 10\)$/,
      /^handshake 2\/3: SYN-ACK after [\d.]+ m?s/,
      /^handshake 3\/3: established \(rtt [\d.]+ m?s\)$/,
      /^data: 6 bytes sent$/,
      /^peer acknowledges 6 bytes$/,
      /^data: 5 bytes received$/,
      /^close 1\/4: we send FIN first \(Ctrl-C\)/,
      /^close 2(\+3)?\/4: peer ACKs our FIN/,
      new RegExp(`^close 4/4: 127\\.0\\.0\\.1:${src} enters TIME_WAIT for 60 s \\(2MSL\\)$`),
    ]);
    // The summary, after the last packet.
    const summary = r.stderr.slice(r.stderr.lastIndexOf('# close 4/4'));
    expect(summary).toMatch(
      new RegExp(`session 127\\.0\\.0\\.1:${src} > 127\\.0\\.0\\.1:${port} \\(we connected\\): summary`),
    );
    expect(summary).toMatch(/handshake rtt [\d.]+ m?s/);
    expect(summary).toMatch(/sent 6 bytes in \d+ segments, received 5 bytes in \d+ segments/);
    expect(summary).toMatch(/retransmissions: none/);
    expect(summary).toMatch(
      new RegExp(`we closed first: 127\\.0\\.0\\.1:${src} holds TIME_WAIT until \\d\\d:\\d\\d:\\d\\d \\(60 s, 2MSL\\)`),
    );

    // Exactly what tcpdump saw of the 4-tuple, in the same order and the same words.
    const seen = await dump.stop(lines.length);
    expect(lines.map((l) => l.line)).toEqual(seen);

    // The tutorial's next step: the same source port again is refused, and connect says why.
    const again = await runNtk(['connect', '-p', String(src), '127.0.0.1', String(port)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      new RegExp(
        `127\\.0\\.0\\.1:${src} -> 127\\.0\\.0\\.1:${port}  TIME_WAIT  \\d+ s left of 2MSL \\(this side closed first\\)`,
      ),
    );
  });

  it('-N: our FIN on stdin EOF, then still receiving until the peer closes', async () => {
    // A peer that answers after our FIN (a half-closed connection), then closes.
    const srv = await startServer(
      (s) => {
        s.resume();
        s.on('end', () => s.end('bye\n'));
      },
      { allowHalfOpen: true },
    );
    const res = await runNtk(['connect', '--watch', '-N', '127.0.0.1', String(srv.port)], { stdin: 'hello\n' });
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('bye\n');
    const notes = packetLines(res.stderr).map((l) => l.note);
    expectInOrder(notes, [
      /^handshake 1\/3/,
      /^data: 6 bytes sent$/,
      /^close 1\/4: we send FIN first \(stdin ended\), still receiving$/,
      /^data: 4 bytes received \(we sent FIN, still receiving\)/,
      /^close 3\/4: peer sends its FIN/,
      /^close 4\/4: 127\.0\.0\.1:\d+ enters TIME_WAIT/,
    ]);
  });

  it('the listen side closes first: we are in CLOSE_WAIT, and the other side holds TIME_WAIT', async () => {
    const { p: server, port } = await listen(['-N']);
    const client = spawnNtk(['watch', '--', 'connect', '127.0.0.1', String(port)], { stdin: 'pipe' });
    await client.waitFor('# handshake 3/3');
    await server.waitFor('Connection received');
    server.child.stdin?.end('so long\n');
    await client.waitFor(/holds TIME_WAIT until/);
    client.child.stdin?.end();
    const r = await client.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('so long\n');
    const notes = packetLines(r.stderr).map((l) => l.note);
    expectInOrder(notes, [
      /^data: 8 bytes received$/,
      /^close 1\/4: peer sends FIN first: we are in CLOSE_WAIT until we close$/,
      new RegExp(`^close 4/4: 127\\.0\\.0\\.1:${port} enters TIME_WAIT for 60 s`),
    ]);
    expect(r.stderr).toMatch(new RegExp(`the peer closed first: 127\\.0\\.0\\.1:${port} holds TIME_WAIT until`));
  });

  it('a refused port: the SYN, then the RST that closes it', async () => {
    const port = await freePort();
    const r = await runNtk(['watch', '--', 'connect', '127.0.0.1', String(port)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/connect to 127\.0\.0\.1 port \d+ \(tcp\) failed: Connection refused/);
    const notes = packetLines(r.stderr).map((l) => l.note);
    expect(notes).toEqual([
      expect.stringMatching(/^handshake 1\/3: SYN, we open/),
      'RST: port closed (connection refused)',
    ]);
    expect(r.stderr).toMatch(/refused: the port is closed/);
  });

  it('ntk watch -- listen: the peer opens, we answer', async () => {
    const port = await freePort();
    const server = spawnNtk(['watch', '--', 'listen', String(port)], { stdin: 'pipe' });
    await server.waitFor('following the session');
    const client = spawnNtk(['connect', '-N', '127.0.0.1', String(port)], { stdin: 'hi\n' });
    await server.waitFor('hi', { stream: 'stdout' });
    const rc = await client.done;
    expect(rc.code).toBe(0);
    const r = await server.done;
    expect(r.code).toBe(0);
    const notes = packetLines(r.stderr).map((l) => l.note);
    expectInOrder(notes, [
      /^handshake 1\/3: SYN, peer opens/,
      /^handshake 2\/3: we answer SYN-ACK after/,
      /^handshake 3\/3: established/,
      /^data: 3 bytes received$/,
      /^close 1\/4: peer sends FIN first/,
      /^close 4\/4: 127\.0\.0\.1:\d+ enters TIME_WAIT/,
    ]);
    expect(r.stderr).toMatch(/\(we accepted\): summary/);
    expect(r.stderr).toMatch(/the peer closed first: 127\.0\.0\.1:\d+ holds TIME_WAIT/);
  });

  it('usage: a filter and -r do not go with -- COMMAND; --json needs one', async () => {
    const a = await runNtk(['watch', '-r', 'x.pcap', '--', 'connect', '127.0.0.1', '1']);
    expect(a.code).toBe(2);
    const b = await runNtk(['watch', '--json']);
    expect(b.code).toBe(2);
    const c = await runNtk(['connect', '--keepalive', '0', '127.0.0.1', '1']);
    expect(c.code).toBe(2);
  });

  it('--json: one object per packet and one per summary', async () => {
    const srv = await startServer((sock) => {
      sock.resume();
      sock.on('end', () => sock.end());
    });
    const r = await runNtk(['watch', '--json', '--', 'connect', '-N', '127.0.0.1', String(srv.port)], {
      stdin: 'hey\n',
    });
    expect(r.code).toBe(0);
    const objects = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const packets = objects.filter((o) => o.type === 'packet');
    expect(packets[0]).toMatchObject({
      dir: 'out',
      event: 'handshake',
      text: expect.stringMatching(/^handshake 1\/3/),
    });
    expect(packets[0]?.line).toMatch(/Flags \[S\]/);
    expect(typeof packets[0]?.ts).toBe('number');
    expect(packets.some((p) => p.event === 'data' && p.text === 'data: 4 bytes sent')).toBe(true);
    const summary = objects.find((o) => o.type === 'summary');
    expect(summary).toMatchObject({ role: 'connect', end: 'fin', closed_first: 'us', sent: { bytes: 4 } });
    expect((summary?.time_wait as { holder: string }).holder).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('watch --own: a connect in another process is followed from its SYN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntk-own-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const env = { NTK_RUNTIME_DIR: dir };
    const watcher = spawnNtk(['watch', '--own', '-i', 'lo'], { env });
    await watcher.waitFor("following ntk's sessions on lo");
    const srv = await startServer((sock) => {
      sock.resume();
      sock.on('end', () => sock.end());
    });
    const c = await runNtk(['connect', '-N', '127.0.0.1', String(srv.port)], { env, stdin: 'one line\n' });
    expect(c.code).toBe(0);
    await watcher.waitFor(/# close 4\/4: .* enters TIME_WAIT/, { stream: 'stdout' });
    await watcher.waitFor(/holds TIME_WAIT until/, { stream: 'stdout' });
    watcher.child.kill('SIGINT');
    const r = await watcher.done;
    expect(r.code).toBe(0);
    const first = r.stdout.split('\n')[0] ?? '';
    expect(first).toMatch(
      new RegExp(
        `IP 127\\.0\\.0\\.1\\.\\d+ > 127\\.0\\.0\\.1\\.${srv.port}: Flags \\[S\\], .*  # handshake 1/3: SYN, we open`,
      ),
    );
    expect(r.stdout).toMatch(/# data: 9 bytes sent/);
  });

  it('without capture rights, --watch says so in one line and the session does not run', async () => {
    if (spawnSync('capsh', ['--version']).status !== 0) return;
    let connections = 0;
    const srv = await startServer(() => connections++);
    const r = spawnSync(
      'capsh',
      ['--drop=cap_net_raw', '--', '-c', `${NTK_BIN} connect --watch 127.0.0.1 ${srv.port}`],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ntk: watch: lo: capturing needs root or the CAP_NET_RAW capability/);
    expect(connections).toBe(0);
  });

  it('completeness: during a bulk transfer every packet tcpdump sees of the 4-tuple is printed by ntk too', async () => {
    const srv = await startServer((sock) => {
      sock.resume();
      sock.on('end', () => sock.end());
    });
    const src = await freePort();
    const dump = await startTcpdump(
      `src host 127.0.0.1 and dst host 127.0.0.1 and tcp port ${src} and tcp port ${srv.port}`,
    );
    const size = 32 * 1024 * 1024;
    const r = await runNtk(['watch', '-t', '--', 'connect', '-N', '-p', String(src), '127.0.0.1', String(srv.port)], {
      stdin: Buffer.alloc(size),
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(0);
    const ours = packetLines(r.stderr).map((l) => l.line);
    const seen = await dump.stop(ours.length);
    // Two capture sockets may see packets handled on different CPUs in a different order: compare as multisets.
    const count = new Map<string, number>();
    for (const l of ours) count.set(l, (count.get(l) ?? 0) + 1);
    const missing = seen.filter((l) => {
      const n = count.get(l) ?? 0;
      count.set(l, n - 1);
      return n <= 0;
    });
    expect(missing, `ntk printed ${ours.length} packets, tcpdump saw ${seen.length}`).toEqual([]);
    expect(ours.length).toBeGreaterThanOrEqual(seen.length);
    expect(r.stderr).toMatch(new RegExp(`sent ${size} bytes in \\d+ segments`));
  });

  it('listen -k under watch: every peer it accepts is followed, each with its summary', async () => {
    const port = await freePort();
    const server = spawnNtk(['watch', '--', 'listen', '-k', String(port)], { stdin: 'pipe' });
    await server.waitFor('following the session');
    for (const text of ['first\n', 'second\n']) {
      const c = await runNtk(['connect', '-N', '127.0.0.1', String(port)], { stdin: text });
      expect(c.code).toBe(0);
    }
    await server.waitFor(/summary[\s\S]*summary/);
    server.child.kill('SIGINT');
    const r = await server.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toBe('first\nsecond\n');
    const summaries = r.stderr.match(/^session 127\.0\.0\.1:\d+ > 127\.0\.0\.1:\d+ \(we accepted\): summary$/gm) ?? [];
    expect(summaries).toHaveLength(2);
    const notes = packetLines(r.stderr).map((l) => l.note);
    expect(notes.filter((n) => n.startsWith('handshake 1/3: SYN, peer opens'))).toHaveLength(2);
    expect(notes).toContain('data: 6 bytes received');
    expect(notes).toContain('data: 7 bytes received');
  });
});
