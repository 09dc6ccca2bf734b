/**
 * The tutorial's RST section: `--rst` ends a session with a RST instead of a FIN (the peer sees `[R.]` on the wire
 * and no TIME_WAIT is left on either side), and a peer's RST mid-session is `connection reset by peer`, exit 1.
 */
import { spawn, spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startServer } from '../helpers/net';
import { errorLines, expectUsageError, runNtk, spawnNtk } from '../helpers/run-ntk';

const canTcpdump = process.getuid?.() === 0 && spawnSync('tcpdump', ['--version']).status === 0;

/** Starts tcpdump on lo for `port`; `lines()` is what it printed so far. */
async function tcpdump(port: number): Promise<{ lines: () => string; stop: () => Promise<void> }> {
  const child = spawn('tcpdump', ['-i', 'lo', '-n', '-l', '--immediate-mode', `tcp port ${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10_000);
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes('listening on')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('close', () => resolve());
      child.kill('SIGINT');
    });
  onTestFinished(stop);
  await ready;
  return { lines: () => out, stop };
}

/** Waits until `check` holds (polling every 20 ms, 5 s at most). */
async function eventually(check: () => boolean, what: () => string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out: ${what()}`);
}

/**
 * The states `ntk sockets` shows on `port`; with `peerPort`, only those of the connection between the two ports
 * (tests running beside this one may leave a TIME_WAIT of their own on a port number the kernel hands out again).
 */
async function statesOn(port: number, peerPort?: number): Promise<string[]> {
  const r = await runNtk(['sockets', '-t', '--json', String(port)]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { state: string; localPort: number; peerPort: number })
    .filter(
      (e) =>
        peerPort === undefined ||
        (e.localPort === port && e.peerPort === peerPort) ||
        (e.localPort === peerPort && e.peerPort === port),
    )
    .map((e) => e.state);
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
    onTestFinished(() => void s.destroy());
  });
}

describe('--rst', () => {
  it.runIf(canTcpdump)(
    'connect --rst: Ctrl-C sends [R.], the peer sees a reset, no TIME_WAIT on either side',
    async () => {
      let peerError = '';
      const srv = await startServer((s) => {
        s.on('error', (e: NodeJS.ErrnoException) => (peerError = e.code ?? ''));
        s.resume();
      });
      const dump = await tcpdump(srv.port);
      const p = spawnNtk(['connect', '--rst', '127.0.0.1', String(srv.port)], { stdin: 'pipe' });
      const clientPort = (await srv.nextConnection()).remotePort;
      p.child.kill('SIGINT');
      const r = await p.done;
      expect(r.code).toBe(130);
      expect(r.stderr).toBe('');
      await eventually(
        () => /Flags \[R\.\]/.test(dump.lines()),
        () => dump.lines(),
      );
      const rst =
        dump
          .lines()
          .split('\n')
          .find((l) => l.includes('Flags [R.]')) ?? '';
      expect(rst).toMatch(new RegExp(`127\\.0\\.0\\.1\\.\\d+ > 127\\.0\\.0\\.1\\.${srv.port}: Flags \\[R\\.\\]`));
      expect(dump.lines()).not.toMatch(/Flags \[F\.?\]/);
      await eventually(
        () => peerError === 'ECONNRESET',
        () => `peer error: ${peerError}`,
      );
      expect(await statesOn(srv.port)).toContain('LISTEN');
      expect(await statesOn(srv.port, clientPort)).not.toContain('TIME_WAIT');
    },
  );

  it('connect --rst -q: after stdin EOF the data goes out, then a RST', async () => {
    let got = '';
    let peerError = '';
    let clientPort = 0;
    const srv = await startServer((s) => {
      clientPort = s.remotePort ?? 0;
      s.on('data', (c: Buffer) => (got += c.toString()));
      s.on('error', (e: NodeJS.ErrnoException) => (peerError = e.code ?? ''));
    });
    const r = await runNtk(['connect', '--rst', '-q', '0.2', '127.0.0.1', String(srv.port)], { stdin: 'hello\n' });
    expect(r.code, r.stderr).toBe(0);
    await eventually(
      () => peerError === 'ECONNRESET',
      () => `peer error: ${peerError}`,
    );
    expect(got).toBe('hello\n');
    expect(clientPort).toBeGreaterThan(0);
    expect(await statesOn(srv.port, clientPort)).not.toContain('TIME_WAIT');
  });

  it('listen --rst -w: the idle session ends with a RST and leaves no TIME_WAIT', async () => {
    const p = spawnNtk(['listen', '--rst', '-w', '0.5', '-s', '127.0.0.1', '0'], { stdin: 'pipe' });
    const port = Number((await p.waitFor(/Listening on \S+ (\d+)/))[1]);
    const client = await dial(port);
    const clientPort = client.localPort ?? 0;
    const reset = new Promise<string>((resolve) => {
      client.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''));
      client.on('end', () => resolve('FIN'));
    });
    expect(await reset).toBe('ECONNRESET');
    const r = await p.done;
    expect(r.code, r.stderr).toBe(0);
    expect(clientPort).toBeGreaterThan(0);
    expect(await statesOn(port, clientPort)).not.toContain('TIME_WAIT');
  });

  it('is refused with -u and with the room', async () => {
    expectUsageError(await runNtk(['connect', '-u', '--rst', '127.0.0.1', '9']), 'connect');
    expectUsageError(await runNtk(['listen', '--chat', '--rst', '0']), 'listen');
  });
});

describe('a peer that resets mid-session', () => {
  it('connect: "connection reset by peer", exit 1', async () => {
    const srv = await startServer((s) => s.once('data', () => s.resetAndDestroy()));
    const r = await runNtk(['connect', '127.0.0.1', String(srv.port)], { stdin: 'x' });
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual(['ntk: connect: connection reset by peer']);
  });

  it('listen: "connection reset by peer", exit 1', async () => {
    const p = spawnNtk(['listen', '-s', '127.0.0.1', '0'], { stdin: 'pipe' });
    const port = Number((await p.waitFor(/Listening on \S+ (\d+)/))[1]);
    const client = await dial(port);
    client.write('hi\n');
    await p.waitFor('hi', { stream: 'stdout' });
    client.resetAndDestroy();
    const r = await p.done;
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      expect.stringMatching(/^Listening on /),
      'ntk: listen: connection reset by peer',
    ]);
  });
});
