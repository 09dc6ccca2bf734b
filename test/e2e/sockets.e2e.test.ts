/**
 * `ntk sockets` against `ss -tano` at the same moment: a listener, an established pair, a TIME_WAIT and a
 * CLOSE_WAIT made on purpose on loopback (other processes use the machine, so both are filtered to our ports).
 * The owners are known without ss -p: every socket made here belongs to this process alone (Node opens them
 * close-on-exec). ss -p would also open /proc/PID/attr/current of every process on the machine, an open that
 * waits for that process's exec lock.
 */
import { execFile, spawnSync } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { expectUsageError, runNtk, spawnNtk } from '../helpers/run-ntk';

interface Row {
  state: string;
  local: string;
  peer: string;
  timerSecs?: number;
}

const canSs = spawnSync('ss', ['-V']).status === 0;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * ss's view of the sockets on `ports` (local or peer), with the TIME_WAIT timer. ss filters by port itself:
 * other tests leave thousands of loopback sockets, and a whole table can outgrow any output buffer. It runs
 * asynchronously with a deadline, so a slow ss fails the test with its own message.
 */
async function ssRows(ports: number[]): Promise<Row[]> {
  const filter = ports.flatMap((p, i) => [...(i ? ['or'] : []), 'sport', '=', `:${p}`, 'or', 'dport', '=', `:${p}`]);
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile('ss', ['-tanoH', ...filter], { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 20_000 }, (err, out) =>
      err ? reject(new Error(`ss failed: ${err.message}`)) : resolve(out),
    ),
  );
  const rows: Row[] = [];
  for (const line of stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const [state = '', , , local = '', peer = ''] = f;
    const rest = f.slice(5).join(' ');
    const port = (ep: string): number => Number(ep.slice(ep.lastIndexOf(':') + 1));
    if (!ports.includes(port(local)) && !ports.includes(port(peer))) continue;
    const tw = /timer:\(timewait,(?:(\d+)min)?(?:(\d+)sec)?(?:(\d+)ms)?/.exec(rest);
    const timerSecs = tw ? Number(tw[1] ?? 0) * 60 + Number(tw[2] ?? 0) + Number(tw[3] ?? 0) / 1000 : undefined;
    rows.push({ state: ssState(state), local, peer, timerSecs });
  }
  return rows;
}

/** ss writes states with dashes and shortened (ESTAB); ntk uses the kernel's names. */
function ssState(s: string): string {
  const map: Record<string, string> = {
    ESTAB: 'ESTABLISHED',
    'FIN-WAIT-1': 'FIN_WAIT1',
    'FIN-WAIT-2': 'FIN_WAIT2',
    'SYN-RECV': 'SYN_RECV',
  };
  return map[s] ?? s.replace(/-/g, '_');
}

async function ntkRows(ports: number[]): Promise<Array<Row & { pids: number[] }>> {
  const r = await runNtk(['sockets', '-t', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const rows: Array<Row & { pids: number[] }> = [];
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const o = JSON.parse(line) as {
      state: string;
      localAddress: string;
      localPort: number;
      peerAddress: string;
      peerPort: number;
      timer: string | null;
      timerMs: number;
      processes: Array<{ pid: number }>;
    };
    if (!ports.includes(o.localPort) && !ports.includes(o.peerPort)) continue;
    const ep = (a: string, p: number): string => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);
    rows.push({
      state: o.state,
      local: ep(o.localAddress, o.localPort),
      peer: o.peerPort === 0 ? ep(o.peerAddress, 0).replace(/0$/, '*') : ep(o.peerAddress, o.peerPort),
      pids: o.processes.map((p) => p.pid).sort(),
      timerSecs: o.timer === 'timewait' ? o.timerMs / 1000 : undefined,
    });
  }
  return rows;
}

const key = (r: Row): string => `${r.state} ${r.local} ${r.peer}`;

describe.runIf(canSs)('ntk sockets', () => {
  it('shows the same sockets, states, peers and timers as ss -tano (LISTEN, ESTABLISHED, TIME_WAIT, CLOSE_WAIT), owned by this process', async () => {
    const kept: Socket[] = [];
    // A listener with an established pair.
    const server = createServer((s) => kept.push(s));
    const port = await listen(server);
    kept.push(await dial(port));
    // CLOSE_WAIT on the server side: the client's FIN arrives and the server (allowHalfOpen) does not close.
    let finSeen = (): void => {};
    const finArrived = new Promise<void>((resolve) => (finSeen = resolve));
    const halfOpen = createServer({ allowHalfOpen: true }, (s) => {
      kept.push(s);
      s.once('end', () => finSeen());
      s.resume();
    });
    const cwPort = await listen(halfOpen);
    const cwClient = await dial(cwPort);
    cwClient.end();
    // TIME_WAIT on the client side: it closes first, the server answers with its own FIN.
    const twServer = createServer((s) => s.resume());
    const twPort = await listen(twServer);
    const twClient = await dial(twPort);
    await new Promise<void>((resolve) => {
      twClient.once('close', () => resolve());
      twClient.end();
    });
    onTestFinished(() => {
      for (const s of [...kept, cwClient]) s.destroy();
      for (const s of [server, halfOpen, twServer]) s.close();
    });
    await finArrived;
    const ports = [port, cwPort, twPort];
    // Both FINs have been read; the ACK of the first may still be on its way to the client (FIN_WAIT1 → 2).
    const wanted = ['LISTEN', 'ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT', 'FIN_WAIT2'];
    let before = await ssRows(ports);
    for (let i = 0; i < 100 && !wanted.every((w) => before.some((r) => r.state === w)); i++) {
      await new Promise((r) => setTimeout(r, 20));
      before = await ssRows(ports);
    }
    expect(before.map((r) => r.state)).toEqual(expect.arrayContaining(wanted));

    const ours = await ntkRows(ports);
    const after = await ssRows(ports);
    const states = ours.map((r) => r.state);
    for (const s of wanted) expect(states).toContain(s);
    // Other programs on the machine may touch our ports (a scan's SYN) between the readings: the sockets ss saw
    // in both readings must all be in ours, and ours must all be in one of ss's.
    const stable = before.map(key).filter((k) => after.map(key).includes(k));
    expect(stable.length).toBeGreaterThanOrEqual(6);
    for (const k of stable) expect(ours.map(key)).toContain(k);
    for (const k of ours.map(key)) expect([...before, ...after].map(key)).toContain(k);
    // Every socket made here is this process's alone; a TIME_WAIT belongs to no process.
    for (const r of ours.filter((o) => stable.includes(key(o))))
      expect(r.pids, key(r)).toEqual(r.state === 'TIME_WAIT' ? [] : [process.pid]);
    // TIME_WAIT's seconds left: between ss's reading after and before ours, within 1 s.
    const tw = ours.find((r) => r.state === 'TIME_WAIT');
    const twBefore = before.find((r) => r.state === 'TIME_WAIT')?.timerSecs ?? NaN;
    const twAfter = after.find((r) => r.state === 'TIME_WAIT')?.timerSecs ?? NaN;
    expect(tw?.timerSecs).toBeGreaterThanOrEqual(twAfter - 1);
    expect(tw?.timerSecs).toBeLessThanOrEqual(twBefore + 1);
  });

  it('lines up its columns, filters by port and state, and -l keeps listeners', async () => {
    const server = createServer((s) => s.resume());
    const port = await listen(server);
    const client = await dial(port);
    onTestFinished(() => {
      client.destroy();
      server.close();
    });
    const r = await runNtk(['sockets', '-n', String(port)]);
    expect(r.code, r.stderr).toBe(0);
    const all = r.stdout.trimEnd().split('\n');
    expect(all[0]).toMatch(/^Netid State\s+Recv-Q Send-Q Local Address:Port\s+Peer Address:Port\s+Timer\s+Process$/);
    // The header, the LISTEN socket and both ends of our pair (another program's connection may come and go).
    const ends = [`127.0.0.1:${port}`, `127.0.0.1:${client.localPort}`];
    const lines = [
      all[0] ?? '',
      ...all.slice(1).filter((l) => !/ESTABLISHED/.test(l) || ends.every((e) => l.includes(e))),
    ];
    expect(lines).toHaveLength(4);
    const col = (lines[0] ?? '').indexOf('Local Address:Port');
    for (const l of lines.slice(1)) expect(l.slice(col)).toMatch(/^127\.0\.0\.1:\d+ /);
    expect(
      lines
        .slice(1)
        .some((l) =>
          new RegExp(`^tcp\\s+LISTEN\\s+0\\s+0 127\\.0\\.0\\.1:${port}\\s+0\\.0\\.0\\.0:\\*\\s+${process.pid}/`).test(
            l,
          ),
        ),
    ).toBe(true);

    const listeners = await runNtk(['sockets', '-l', '-n', String(port)]);
    expect(listeners.stdout.trimEnd().split('\n')).toHaveLength(2);
    const estab = await runNtk(['sockets', '--json', String(port), 'established']);
    const objs = estab.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { state: string; localPort: number; peerPort: number })
      .filter((o) => o.localPort === client.localPort || o.peerPort === client.localPort);
    expect(objs.map((o) => o.state)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
  });

  it('refreshes with --watch until interrupted', async () => {
    const p = spawnNtk(['sockets', '-n', '--watch', '0.2', 'udp']);
    await p.waitFor(/(Every 0.2s.*\n[\s\S]*){3}/, { stream: 'stdout' });
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code).toBe(0);
  });

  it('rejects a bad filter or interval with a usage error', async () => {
    expectUsageError(await runNtk(['sockets', 'nonsense/']), 'sockets');
    expectUsageError(await runNtk(['sockets', '--watch', '0']), 'sockets');
    expectUsageError(await runNtk(['sockets', '70000']), 'sockets');
  });
});
