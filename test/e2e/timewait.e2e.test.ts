/**
 * The tutorial's TIME_WAIT scenario: a session from a fixed source port ends with this side closing first, so
 * the port sits in TIME_WAIT for 2MSL; connecting from it again is refused with the socket, state and timer.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer } from '../helpers/net';
import { canNetns, createTestHost, type TestHost } from '../helpers/netns';
import { errorLines, hasStackTrace, runNtk, spawnNtk } from '../helpers/run-ntk';

function expectTimeWait(stderr: string, local: string, remote: string): void {
  const lines = errorLines(stderr);
  expect(hasStackTrace(stderr)).toBe(false);
  expect(lines).toHaveLength(3);
  expect(lines[0]).toBe(`ntk: connect: bind ${local} failed: Address already in use`);
  const m = new RegExp(
    `^  ${esc(local)} -> ${esc(remote)}  TIME_WAIT  (\\d+) s left of 2MSL \\(this side closed first\\)$`,
  ).exec(lines[1] ?? '');
  expect(m, lines[1]).not.toBeNull();
  const secs = Number(m?.[1]);
  expect(secs).toBeGreaterThanOrEqual(1);
  expect(secs).toBeLessThanOrEqual(60);
  expect(lines[2]).toMatch(/^ {2}wait \d+ s, pick another -p(, or pass --reuse)?$/);
}

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('connect -p: TIME_WAIT on loopback', () => {
  it('after Ctrl-C (a FIN, not a RST) the port is in TIME_WAIT and a second connect explains it', async () => {
    let peerSawFin = false;
    let peerSawReset = false;
    const srv = await startServer((s) => {
      s.on('end', () => (peerSawFin = true));
      s.on('error', () => (peerSawReset = true));
      s.resume();
    });
    const src = await freePort();
    const first = spawnNtk(['connect', '-p', String(src), '127.0.0.1', String(srv.port)], { stdin: 'pipe' });
    await srv.nextConnection();
    first.child.kill('SIGINT');
    const r1 = await first.done;
    expect(r1.code).toBe(130);
    expect(r1.stderr).toBe('');
    await new Promise((res) => setTimeout(res, 200));
    expect(peerSawFin).toBe(true);
    expect(peerSawReset).toBe(false);

    const second = await runNtk(['connect', '-p', String(src), '127.0.0.1', String(srv.port)]);
    expect(second.code).toBe(1);
    expectTimeWait(second.stderr, `127.0.0.1:${src}`, `127.0.0.1:${srv.port}`);
  });

  it('after stdin EOF with -N, and --reuse lets the kernel take the slot (saying so with -v)', async () => {
    const srv = await startServer((s) => s.resume());
    const src = await freePort();
    const args = ['-N', '-p', String(src), '127.0.0.1', String(srv.port)];
    const r1 = await runNtk(['connect', ...args], { stdin: 'hello\n' });
    expect(r1.code).toBe(0);

    const r2 = await runNtk(['connect', ...args], { stdin: 'again\n' });
    expect(r2.code).toBe(1);
    expectTimeWait(r2.stderr, `127.0.0.1:${src}`, `127.0.0.1:${srv.port}`);
    expect(r2.stderr).toContain('or pass --reuse');

    const r3 = await runNtk(['connect', '-v', '--reuse', ...args], { stdin: 'reused\n' });
    expect(r3.code).toBe(0);
    expect(r3.stderr).toContain(`reuse a TIME_WAIT slot (127.0.0.1 port ${srv.port})`);
    expect(r3.stderr).toContain(`Connection to 127.0.0.1 ${srv.port} port [tcp/*] succeeded!`);
  });

  it('a port held by a listening socket names the socket and its owner', async () => {
    const holder = await startServer();
    const srv = await startServer();
    const r = await runNtk(['connect', '-p', String(holder.port), '127.0.0.1', String(srv.port)]);
    expect(r.code).toBe(1);
    const lines = errorLines(r.stderr);
    expect(lines[0]).toBe(`ntk: connect: bind 127.0.0.1:${holder.port} failed: Address already in use`);
    expect(lines[1]).toBe(`  127.0.0.1:${holder.port}  LISTEN  held by pid ${process.pid} (${procComm(process.pid)})`);
    expect(lines[2]).toBe('  pick another -p, or end the program that holds it');
  });

  it("another program's TIME_WAIT (nc sets no SO_REUSEADDR) fails the bind itself, even with --reuse", async () => {
    expect(spawnSync('nc', ['-h']).error, 'netcat-openbsd (nc) must be installed by scripts/setup').toBeUndefined();
    const srv = await startServer((s) => s.resume());
    const src = await freePort();
    // Asynchronously: the server lives in this process and must keep answering.
    const nc = spawn('nc', ['-N', '-p', String(src), '127.0.0.1', String(srv.port)], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    nc.stdin.end('from nc\n');
    const ncStatus = await new Promise((res) => nc.once('exit', res));
    expect(ncStatus).toBe(0);
    const viaKernel = await runNtk(['connect', '--reuse', '-p', String(src), '127.0.0.1', String(srv.port)]);
    expect(viaKernel.code).toBe(1);
    expectTimeWait(viaKernel.stderr, `127.0.0.1:${src}`, `127.0.0.1:${srv.port}`);
    const viaTable = await runNtk(['connect', '-p', String(src), '127.0.0.1', String(srv.port)]);
    expect(viaTable.code).toBe(1);
    expectTimeWait(viaTable.stderr, `127.0.0.1:${src}`, `127.0.0.1:${srv.port}`);
  });
});

function procComm(pid: number): string {
  return spawnSync('cat', [`/proc/${pid}/comm`])
    .stdout.toString()
    .trim();
}

describe.runIf(canNetns())('connect across a veth pair to a host in a network namespace', () => {
  let host: TestHost;
  let server: ChildProcess;
  const port = 7007;
  const dropped = 7008;

  beforeAll(async () => {
    host = createTestHost(10);
    // The test host: a TCP server that reads to EOF and closes, and a firewall that drops SYNs to one port.
    const script = `require('net').createServer(s=>{s.resume();s.on('end',()=>s.end('bye\\n'))}).listen(${port},'${host.remote}',()=>console.log('ready'))`;
    server = spawn('ip', ['netns', 'exec', host.ns, process.execPath, '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((res, rej) => {
      server.stdout?.once('data', () => res());
      server.once('exit', (c) => rej(new Error(`test host server exited ${c}`)));
    });
    host.exec([
      'nft',
      'add table inet t; add chain inet t in { type filter hook input priority 0; }; add rule inet t in tcp dport ' +
        dropped +
        ' drop',
    ]);
  });
  afterAll(() => {
    if (server?.pid) process.kill(server.pid, 'SIGKILL');
    host?.destroy();
  });

  it('leaves TIME_WAIT on this side and explains the second bind', async () => {
    const src = await freePort('0.0.0.0');
    const r1 = await runNtk(['connect', '-N', '-p', String(src), host.remote, String(port)], { stdin: 'hi\n' });
    expect(r1.code).toBe(0);
    expect(r1.stdout).toBe('bye\n');
    const r2 = await runNtk(['connect', '-N', '-p', String(src), host.remote, String(port)], { stdin: 'hi\n' });
    expect(r2.code).toBe(1);
    expectTimeWait(r2.stderr, `${host.local}:${src}`, `${host.remote}:${port}`);
  });

  it('-w bounds a connect whose SYNs are dropped', async () => {
    const r = await runNtk(['connect', '-w', '1', host.remote, String(dropped)]);
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      `ntk: connect: connect to ${host.remote} port ${dropped} (tcp) failed: Connection timed out`,
    ]);
  });

  it('an address nobody answers ARP for is "No route to host"', async () => {
    const r = await runNtk(['connect', '10.250.10.3', '80'], { timeoutMs: 20_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No route to host');
  });
});
