/** `ntk listen` as nc -l: the real binary on loopback, port 0. */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readAll, startServer } from '../helpers/net';
import { errorLines, expectUsageError, hasStackTrace, runNtk, spawnNtk, type NtkProcess } from '../helpers/run-ntk';

/** Starts `ntk listen ARGS 0` and returns it with the port the kernel chose (printed even without -v). */
async function listen(
  args: string[],
  opts: Parameters<typeof spawnNtk>[1] = {},
): Promise<{ ntk: NtkProcess; port: number }> {
  const ntk = spawnNtk(['listen', ...args, '0'], opts);
  const m = await ntk.waitFor(/Listening on \S+ (\d+)/);
  return { ntk, port: Number(m[1]) };
}

function dial(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.once('error', reject);
    onTestFinished(() => void s.destroy());
  });
}

describe('ntk listen (TCP)', () => {
  it('prints the chosen port for port 0 without -v, and nothing for a given port', async () => {
    const { ntk } = await listen([], { stdin: 'pipe' });
    expect(ntk.stderr()).toMatch(/^Listening on 0\.0\.0\.0 \d+\n$/);
    ntk.child.kill('SIGTERM');
    expect((await ntk.done).code).toBe(143);
  });

  it('receives a binary file intact from the peer and exits 0 when it closes', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const { ntk, port } = await listen(['-v']);
    const s = await dial(port);
    s.end(data);
    const r = await ntk.done;
    expect(r.code).toBe(0);
    expect(r.out.equals(data)).toBe(true);
    expect(r.stderr).toMatch(/^Connection received on 127\.0\.0\.1 \d+$/m);
  });

  it('sends a binary file intact from stdin, with -N sending FIN at its end', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 5);
    const { ntk, port } = await listen(['-N'], { stdin: data });
    const s = await dial(port);
    const got = await readAll(s);
    expect(got.equals(data)).toBe(true);
    expect((await ntk.done).code).toBe(0);
  });

  it('a peer that half-closes at once still gets what stdin holds, as from nc -l', async () => {
    const { ntk, port } = await listen([], { stdin: 'hello\n' });
    const s = await dial(port);
    s.end();
    expect((await readAll(s)).toString()).toBe('hello\n');
    expect((await ntk.done).code).toBe(0);
  });

  it('accepts -l for nc habits', async () => {
    const { ntk, port } = await listen(['-l']);
    const s = await dial(port);
    s.end('hello\n');
    const r = await ntk.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hello\n');
  });

  it('with -k takes one peer after another and keeps listening', async () => {
    const { ntk, port } = await listen(['-k', '-v'], { stdin: 'pipe' });
    for (const word of ['one', 'two', 'three']) {
      const s = await dial(port);
      s.end(`${word}\n`);
      await ntk.waitFor(`${word}\n`, { stream: 'stdout' });
      await new Promise((r) => s.once('close', r));
    }
    expect(ntk.stderr().match(/Connection received on 127\.0\.0\.1/g)).toHaveLength(3);
    expect(ntk.child.exitCode).toBeNull();
    ntk.child.kill('SIGTERM');
    expect((await ntk.done).code).toBe(143);
  });

  it('with -k survives a peer that resets its connection', async () => {
    const { ntk, port } = await listen(['-k'], { stdin: 'pipe' });
    const bad = await dial(port);
    bad.write('x');
    await ntk.waitFor('x', { stream: 'stdout' });
    bad.resetAndDestroy();
    const good = await dial(port);
    good.end('after\n');
    await ntk.waitFor('after\n', { stream: 'stdout' });
    expect(ntk.child.exitCode).toBeNull();
  });

  it('refuses a peer outside --allow and takes the next one', async () => {
    const { ntk, port } = await listen(['--allow', '127.0.0.1/32'], { stdin: 'pipe' });
    const denied = await dial(port, '127.0.0.2');
    expect((await readAll(denied).catch(() => Buffer.alloc(0))).length).toBe(0);
    await ntk.waitFor(/refused 127\.0\.0\.2 \d+ \(not in --allow\)/);
    const s = await dial(port);
    s.end('allowed\n');
    const r = await ntk.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('allowed\n');
  });

  it('ends the session after -w seconds of silence', async () => {
    const { ntk, port } = await listen(['-w', '0.3'], { stdin: 'pipe' });
    const s = await dial(port);
    await readAll(s);
    expect((await ntk.done).code).toBe(0);
  });

  it('diagnoses a port in use: one line naming the holder in LISTEN, exit 1', async () => {
    const held = await startServer(() => {}, { host: '127.0.0.1' });
    const r = await runNtk(['listen', '-s', '127.0.0.1', String(held.port)]);
    expect(r.code).toBe(1);
    const lines = errorLines(r.stderr);
    expect(lines[0]).toBe(`ntk: listen: bind 127.0.0.1:${held.port} failed: Address already in use`);
    expect(r.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${held.port}\\s+LISTEN`));
    expect(r.stderr).toMatch(/held by .*pid \d+/);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });

  it('stdout closed early (ntk listen … | head): ends quietly, exit 0', async () => {
    const { ntk, port } = await listen([], { stdin: 'pipe', timeoutMs: 20_000 });
    const s = await dial(port);
    s.on('error', () => {});
    s.write(Buffer.alloc(8 * 1024 * 1024, 0x62));
    await ntk.waitFor('b', { stream: 'stdout' });
    ntk.child.stdout?.destroy();
    const r = await ntk.done;
    expect(r.code).toBe(0);
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(errorLines(r.stderr)).toHaveLength(1); // only the Listening line
  });

  it('-k closes peers past --max-waiting, and says so with -v', async () => {
    const { ntk, port } = await listen(['-k', '-v', '--max-waiting', '1'], { stdin: 'pipe' });
    await dial(port);
    await ntk.waitFor('Connection received on 127.0.0.1');
    await dial(port); // waits its turn
    const third = await dial(port);
    const m = await ntk.waitFor(/ntk: listen: closed 127\.0\.0\.1 (\d+): 1 peers already waiting \(--max-waiting\)/);
    expect(Number(m[1])).toBe(third.localPort);
  });

  it('exits 143 on SIGTERM while waiting for a peer', async () => {
    const { ntk } = await listen([], { stdin: 'pipe' });
    ntk.child.kill('SIGTERM');
    const r = await ntk.done;
    expect(r.code).toBe(143);
    expect(errorLines(r.stderr)).toHaveLength(1); // only the Listening line
  });
});

describe('ntk listen -u', () => {
  async function udpPeer(): Promise<{ send(text: string, port: number): void; next(): Promise<string>; port: number }> {
    const sock = createSocket('udp4');
    const got: string[] = [];
    const waiting: ((m: string) => void)[] = [];
    sock.on('message', (m) => {
      const w = waiting.shift();
      if (w) w(m.toString());
      else got.push(m.toString());
    });
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    onTestFinished(() => void sock.close());
    return {
      port: sock.address().port,
      send: (text, port) => sock.send(text, port, '127.0.0.1'),
      next: () => {
        const m = got.shift();
        return m !== undefined ? Promise.resolve(m) : new Promise((r) => waiting.push(r));
      },
    };
  }

  it('prints datagrams and sends stdin back to the sender', async () => {
    const { ntk, port } = await listen(['-u', '-v'], { stdin: 'pipe' });
    const peer = await udpPeer();
    peer.send('ping\n', port);
    await ntk.waitFor('ping\n', { stream: 'stdout' });
    await ntk.waitFor(`Connection received on 127.0.0.1 ${peer.port}`);
    ntk.child.stdin?.write('pong\n');
    expect(await peer.next()).toBe('pong\n');
  });

  it('without -k ignores other senders; with -k replies go to the last sender', async () => {
    const single = await listen(['-u'], { stdin: 'pipe' });
    const a = await udpPeer();
    const b = await udpPeer();
    a.send('from a\n', single.port);
    await single.ntk.waitFor('from a\n', { stream: 'stdout' });
    b.send('from b\n', single.port);
    a.send('a again\n', single.port);
    await single.ntk.waitFor('a again\n', { stream: 'stdout' });
    expect(single.ntk.stdout()).toBe('from a\na again\n');

    const keep = await listen(['-u', '-k'], { stdin: 'pipe' });
    a.send('1\n', keep.port);
    await keep.ntk.waitFor('1\n', { stream: 'stdout' });
    b.send('2\n', keep.port);
    await keep.ntk.waitFor('2\n', { stream: 'stdout' });
    keep.ntk.child.stdin?.write('reply\n');
    expect(await b.next()).toBe('reply\n');
  });

  it('diagnoses a UDP port in use, exit 1', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    onTestFinished(() => void sock.close());
    const r = await runNtk(['listen', '-u', '-s', '127.0.0.1', String(sock.address().port)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ntk: listen: bind 127\.0\.0\.1:\d+ failed: Address already in use$/m);
  });
});

describe('ntk listen usage errors: one line, exit 2', () => {
  const cases: string[][] = [
    ['listen'],
    ['listen', '-1'],
    ['listen', '70000'],
    ['listen', '--allow', '10.0.0.0/33', '1567'],
    ['listen', '--chat', '--broker', '1567'],
    ['listen', '-u', '--chat', '1567'],
    ['listen', '--max-queue', '10', '1567'],
  ];
  for (const args of cases) {
    it(`ntk ${args.join(' ')}`, async () => {
      expectUsageError(await runNtk(args), 'listen');
    });
  }

  it('shows examples in --help', async () => {
    const r = await runNtk(['listen', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('--chat');
  });
});
