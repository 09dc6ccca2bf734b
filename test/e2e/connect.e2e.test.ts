import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort, readAll, startServer } from '../helpers/net';
import { errorLines, hasStackTrace, NTK_BIN, runNtk, spawnNtk } from '../helpers/run-ntk';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('connect: data path', () => {
  it('sends stdin to the peer and the peer to stdout, binary-safe, in order', async () => {
    const upload = randomBytes(3 * 1024 * 1024 + 17);
    const download = randomBytes(2 * 1024 * 1024 + 5);
    let received: Promise<Buffer> | undefined;
    const srv = await startServer(
      (s) => {
        s.write(download);
        received = readAll(s);
        void received.then(() => s.end());
      },
      { allowHalfOpen: true },
    );
    const r = await runNtk(['connect', '-N', '127.0.0.1', String(srv.port)], { stdin: upload });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(sha(r.out)).toBe(sha(download));
    expect(received).toBeDefined();
    expect(sha(await (received as Promise<Buffer>))).toBe(sha(upload));
  });

  it('-N half-closes: the peer sees EOF and can still answer', async () => {
    const srv = await startServer(
      async (s) => {
        const got = await readAll(s);
        s.end(`got ${got.length} bytes\n`);
      },
      { allowHalfOpen: true },
    );
    const r = await runNtk(['connect', '-N', '127.0.0.1', String(srv.port)], { stdin: 'hello\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('got 6 bytes\n');
  });

  it('without -N keeps the write side open after stdin EOF; -q 0 quits at once', async () => {
    const srv = await startServer();
    const p = spawnNtk(['connect', '-q', '0', '127.0.0.1', String(srv.port)], { stdin: 'x' });
    const conn = await srv.nextConnection();
    let sawEnd = false;
    conn.on('end', () => (sawEnd = true));
    conn.resume();
    const r = await p.done;
    expect(r.code).toBe(0);
    await new Promise((res) => setTimeout(res, 100));
    expect(sawEnd).toBe(true);
  });

  it('-w closes an idle session', async () => {
    const srv = await startServer();
    const p = spawnNtk(['connect', '-w', '1', '127.0.0.1', String(srv.port)], { stdin: 'pipe' });
    await srv.nextConnection();
    const r = await p.done;
    expect(r.code).toBe(0);
  });

  it('a slow stdout never makes ntk buffer without bound, and every byte arrives', async () => {
    const total = 256 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const srv = await startServer((s) => {
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          sent += chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
    const child = spawn(process.env.NTK_BIN ?? 'bin/ntk', ['connect', '127.0.0.1', String(srv.port)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    onTestFinished(() => void child.kill('SIGKILL'));
    child.stdout.pause(); // nobody reads stdout for a while
    await new Promise((res) => setTimeout(res, 2000));
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(execFileSync('cat', [`/proc/${child.pid}/status`]).toString())?.[1]);
    expect(rssKb).toBeGreaterThan(0);
    expect(rssKb).toBeLessThan(160 * 1024); // far below the 256 MiB the peer wants to send
    let count = 0;
    child.stdout.on('data', (c: Buffer) => (count += c.length));
    child.stdout.resume();
    const code = await new Promise((res) => child.on('close', res));
    expect(code).toBe(0);
    expect(count).toBe(total);
  });

  it('-z connects and closes; -v says so like nc, with * for an unnamed port', async () => {
    const srv = await startServer();
    const r = await runNtk(['connect', '-z', '-v', '127.0.0.1', String(srv.port)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`Connection to 127.0.0.1 ${srv.port} port [tcp/*] succeeded!\n`);
  });

  it('-v names the service from /etc/services', async () => {
    // 8080 (http-alt) may be taken: fall back to another named port that is free.
    const named = [8080, 9418, 5432, 3306, 6379];
    let srv;
    for (const port of named) {
      try {
        srv = await startServer(() => {}, { port });
        break;
      } catch {
        // taken, try the next
      }
    }
    if (!srv) throw new Error('no named port free on 127.0.0.1');
    const r = await runNtk(['connect', '-zv', '127.0.0.1', String(srv.port)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`^Connection to 127\\.0\\.0\\.1 ${srv.port} port \\[tcp/[a-z][\\w-]*\\] succeeded!\\n$`),
    );
    expect(r.stderr).not.toContain('[tcp/*]');
  });

  it('-s and -p pick the source address and port the peer sees', async () => {
    const srv = await startServer((s) => s.end(`${s.remoteAddress} ${s.remotePort}\n`));
    const src = await freePort('127.0.0.2');
    const r = await runNtk(['connect', '-s', '127.0.0.2', '-p', String(src), '127.0.0.1', String(srv.port)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`127.0.0.2 ${src}\n`);
  });

  it('connects over IPv6 loopback with -6', async () => {
    const srv = await startServer((s) => s.end('six\n'), { host: '::1' });
    const r = await runNtk(['connect', '-6', '::1', String(srv.port)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('six\n');
  });

  it('UDP: each stdin read is a datagram, replies go to stdout', async () => {
    const server = createSocket('udp4');
    await new Promise<void>((res) => server.bind(0, '127.0.0.1', res));
    onTestFinished(() => void server.close());
    server.on('message', (msg, rinfo) =>
      server.send(Buffer.concat([Buffer.from('echo:'), msg]), rinfo.port, rinfo.address),
    );
    const port = server.address().port;
    const p = spawnNtk(['connect', '-u', '127.0.0.1', String(port)], { stdin: 'pipe' });
    p.child.stdin?.write('ping\n');
    await p.waitFor('echo:ping\n', { stream: 'stdout' });
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code).toBe(130);
  });

  it('UDP to a closed port reports the ICMP refusal', async () => {
    const port = await freePort();
    const r = await runNtk(['connect', '-u', '-z', '-w', '2', '127.0.0.1', String(port)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Connection refused');
  });
});

describe('connect: failures in words, exit 1', () => {
  it('refused', async () => {
    const port = await freePort();
    const r = await runNtk(['connect', '127.0.0.1', String(port)]);
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      `ntk: connect: connect to 127.0.0.1 port ${port} (tcp) failed: Connection refused`,
    ]);
  });
  it('name not resolved', async () => {
    const r = await runNtk(['connect', 'no-such-host.invalid', '80']);
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^ntk: connect: cannot resolve no-such-host\.invalid: /);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });
  it('source address that is not ours', async () => {
    const srv = await startServer();
    const r = await runNtk(['connect', '-s', '192.0.2.1', '127.0.0.1', String(srv.port)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Cannot assign requested address');
  });
});

describe('connect: ending when the other side stops', () => {
  it('stdout closed early (ntk connect … | head): ends quietly, exit 0', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const srv = await startServer((s) => {
      // Sends until ntk goes away.
      const more = (): void => {
        while (!s.destroyed && s.write(chunk));
      };
      s.on('drain', more);
      more();
    });
    const p = spawnNtk(['connect', '127.0.0.1', String(srv.port)], { stdin: 'pipe', timeoutMs: 20_000 });
    await p.waitFor('a', { stream: 'stdout' });
    p.child.stdout?.destroy();
    const r = await p.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('a stdout that fails otherwise (a full disk: /dev/full) is reported in one line, exit 1', async () => {
    const srv = await startServer((s) => s.end('hello\n'));
    const full = openSync('/dev/full', 'w');
    onTestFinished(() => closeSync(full));
    const child = spawn(NTK_BIN, ['connect', '127.0.0.1', String(srv.port)], { stdio: ['ignore', full, 'pipe'] });
    onTestFinished(() => void child.kill('SIGKILL'));
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(code).toBe(1);
    expect(errorLines(stderr)).toHaveLength(1);
    expect(stderr).toMatch(/^ntk: connect: writing to stdout failed: /);
  });

  it('-w ends an idle session even when the peer does not read what is queued for it', async () => {
    const srv = await startServer((s) => s.pause());
    const p = spawnNtk(['connect', '-w', '1', '127.0.0.1', String(srv.port)], { stdin: 'pipe', timeoutMs: 20_000 });
    p.child.stdin?.write(Buffer.alloc(32 * 1024 * 1024));
    await srv.nextConnection();
    const r = await p.done;
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
  });

  it('Ctrl-C ends the session even when the peer does not read what is queued for it, exit 130', async () => {
    const srv = await startServer((s) => s.pause());
    const p = spawnNtk(['connect', '127.0.0.1', String(srv.port)], { stdin: 'pipe', timeoutMs: 20_000 });
    const stdin = p.child.stdin;
    stdin?.write(Buffer.alloc(32 * 1024 * 1024));
    await srv.nextConnection();
    // Until the send buffers are full: the test's own pipe to ntk stops draining.
    let last = -1;
    for (let i = 0; i < 100 && stdin && stdin.writableLength !== last; i++) {
      last = stdin.writableLength;
      await new Promise((res) => setTimeout(res, 100));
    }
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.signal).toBeNull();
    expect(r.code).toBe(130);
  });

  it('-u -z: Ctrl-C while waiting for an ICMP answer ends it, exit 130', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((res) => silent.bind(0, '127.0.0.1', res));
    onTestFinished(() => void silent.close());
    const probed = new Promise<void>((res) => silent.once('message', () => res()));
    const p = spawnNtk(['connect', '-u', '-z', '-w', '30', '127.0.0.1', String(silent.address().port)], {
      timeoutMs: 20_000,
    });
    await probed;
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toBe('');
  });
});
