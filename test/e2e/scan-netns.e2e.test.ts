/**
 * `ntk scan` against a host in a network namespace of our own, firewalled with nftables so that dropped
 * (filtered) and rejected (unreachable) ports are really observed; the results must equal the truth exactly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canNetns, createTestHost, startInHost, type TestHost } from '../helpers/netns';
import { NTK_BIN, runNtk, spawnNtk } from '../helpers/run-ntk';

const LO = 20001;
const HI = 20300;
const TCP_OPEN = [20010, 20020, 20100, 20150, 20299];
const TCP_DROPPED = Array.from({ length: 60 }, (_, i) => 20200 + i).concat([20020]); // one open port dropped too
const TCP_REJECTED = [20005, 20006]; // answered with ICMP host unreachable
const UDP_ECHO = [20030, 20031, 20130];
const UDP_SILENT = [20040]; // bound, never answers
const UDP_DROPPED = [20050, 20051, 20031]; // one echo port dropped too

/** The listeners of the test host: TCP servers, UDP echo servers and a silent UDP socket. */
const SERVER = `
const net = require('node:net'); const dgram = require('node:dgram');
const [tcp, echo, silent] = JSON.parse(process.argv[1]);
let pending = tcp.length + echo.length + silent.length;
const ready = () => { if (--pending === 0) console.log('ready'); };
for (const p of tcp) net.createServer((s) => s.on('error', () => {})).listen(p, '0.0.0.0', ready);
for (const p of echo) { const s = dgram.createSocket('udp4'); s.on('message', (m, r) => s.send('pong', r.port, r.address)); s.bind(p, ready); }
for (const p of silent) { const s = dgram.createSocket('udp4'); s.bind(p, ready); }
`;

function set(ports: number[]): string {
  return `{ ${ports.join(', ')} }`;
}

describe.runIf(canNetns())('ntk scan of a firewalled host in a namespace', () => {
  let host: TestHost;
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    host = createTestHost(20);
    // Lift ICMP error rate limits inside the namespace, so a fast UDP scan hears every port unreachable.
    host.exec(['sysctl', '-q', '-w', 'net.ipv4.icmp_ratelimit=0']);
    host.exec(['sysctl', '-q', '-w', 'net.ipv4.icmp_msgs_per_sec=100000']);
    host.exec(['sysctl', '-q', '-w', 'net.ipv4.icmp_msgs_burst=100000']);
    const rules = [
      'table inet ntktest {',
      '  chain input {',
      '    type filter hook input priority 0; policy accept;',
      `    tcp dport ${set(TCP_DROPPED)} drop`,
      `    tcp dport ${set(TCP_REJECTED)} reject with icmp type host-unreachable`,
      `    udp dport ${set(UDP_DROPPED)} drop`,
      '  }',
      '}',
    ].join('\n');
    const nft = spawn('ip', ['netns', 'exec', host.ns, 'nft', '-f', '-'], { stdio: ['pipe', 'inherit', 'inherit'] });
    nft.stdin?.end(rules);
    const code = await new Promise((r) => nft.on('close', r));
    if (code !== 0) throw new Error(`nft failed (${String(code)})`);
    server = await startInHost(host, SERVER, [TCP_OPEN, UDP_ECHO, UDP_SILENT]);
  });

  afterAll(() => {
    if (server?.pid) process.kill(server.pid, 'SIGKILL');
    host?.destroy();
  });

  function truthTcp(p: number): string {
    if (TCP_DROPPED.includes(p)) return 'filtered';
    if (TCP_REJECTED.includes(p)) return 'unreachable';
    return TCP_OPEN.includes(p) ? 'open' : 'closed';
  }

  function truthUdp(p: number): string {
    if (UDP_DROPPED.includes(p) || UDP_SILENT.includes(p)) return 'open|filtered';
    return UDP_ECHO.includes(p) ? 'open' : 'closed';
  }

  it('TCP: open, closed, filtered (dropped) and unreachable (rejected) exactly', async () => {
    const r = await runNtk(['scan', '-n', '--json', '-w', '1', host.remote, `${LO}-${HI}`]);
    const objects = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { port: number; state: string; reason: string });
    const summary = objects.pop();
    const ports = Array.from({ length: HI - LO + 1 }, (_, i) => LO + i);
    expect(objects.map((o) => `${o.port} ${o.state}`)).toEqual(ports.map((p) => `${p} ${truthTcp(p)}`));
    expect(objects.find((o) => o.port === 20005)?.reason).toBe('host-unreach');
    expect(summary).toMatchObject({ open: 4, filtered: 61, unreachable: 2, closed: 300 - 4 - 61 - 2 });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/4 open, 233 closed, 61 filtered, 2 unreachable/);
  });

  it('TCP -v: nc lines name the failure', async () => {
    const r = await runNtk(['scan', '-n', '-v', '-w', '0.5', host.remote, '20004-20006,20010,20200']);
    const lines = r.stderr.trim().split('\n');
    expect(lines.slice(0, -1)).toEqual([
      `ntk: connect to ${host.remote} port 20004 (tcp) failed: Connection refused`,
      `ntk: connect to ${host.remote} port 20005 (tcp) failed: No route to host`,
      `ntk: connect to ${host.remote} port 20006 (tcp) failed: No route to host`,
      `Connection to ${host.remote} 20010 port [tcp/*] succeeded!`,
      `ntk: connect to ${host.remote} port 20200 (tcp) failed: Connection timed out`,
    ]);
  });

  it('UDP: open (reply), closed (port unreachable), open|filtered (silence or dropped) exactly', async () => {
    const lo = 20001;
    const hi = 20160;
    const r = await runNtk(['scan', '-u', '-n', '--json', '-w', '0.5', '--retries', '1', host.remote, `${lo}-${hi}`]);
    const objects = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { port: number; state: string });
    const summary = objects.pop();
    const ports = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
    expect(objects.map((o) => `${o.port} ${o.state}`)).toEqual(ports.map((p) => `${p} ${truthUdp(p)}`));
    expect(summary).toMatchObject({ proto: 'udp', open: 2, 'open|filtered': 4, closed: 160 - 6 });
    expect(r.code).toBe(0);
  });

  it('UDP: paces and retries when the host rate-limits its ICMP errors', async () => {
    // 20 port unreachables per second after a burst of 6 (XRLIM_BURST_FACTOR): a fast first round hears few.
    host.exec(['sysctl', '-q', '-w', 'net.ipv4.icmp_ratelimit=50']);
    try {
      const r = await runNtk(['scan', '-u', '-n', '--json', '-w', '0.3', host.remote, '20001-20049']);
      const objects = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { port: number; state: string });
      const summary = objects.pop();
      expect(objects.map((o) => `${o.port} ${o.state}`)).toEqual(
        Array.from({ length: 49 }, (_, i) => `${20001 + i} ${truthUdp(20001 + i)}`),
      );
      expect(summary).toMatchObject({ open: 1, 'open|filtered': 2, closed: 46 });
    } finally {
      host.exec(['sysctl', '-q', '-w', 'net.ipv4.icmp_ratelimit=0']);
    }
  });

  it('Ctrl-C ends a scan that waits on dropped ports: exit 130, what it has and a summary marked interrupted', async () => {
    // 20199 is closed: its -v line, first in port order, says the scan is under way.
    const p = spawnNtk(['scan', '-n', '-v', '--json', '-w', '30', host.remote, '20199-20259']);
    await p.waitFor(/port 20199 \(tcp\) failed: Connection refused/);
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code).toBe(130);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ port: 20199, state: 'closed' });
    expect(lines.at(-1)).toMatchObject({ type: 'summary', probes: 1, closed: 1, interrupted: true });
    expect(r.stderr).toMatch(/^ntk: connect to \S+ port 20199 \(tcp\) failed: Connection refused\n/);
    expect(r.stderr).toMatch(
      /\n(ntk: scan: 1 host, 61 tcp ports: 0 open, 1 closed, 0 filtered \(interrupted after \d+\.\d\d s\))\n$/,
    );
  });

  /** Parses --json output into port → state, and the summary. */
  function states(stdout: string): {
    state: Map<number, string>;
    reasons: Map<number, string>;
    summary: Record<string, unknown>;
  } {
    const objects = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = objects.pop() as Record<string, unknown>;
    const state = new Map(objects.map((o) => [o.port as number, o.state as string]));
    const reasons = new Map(objects.map((o) => [o.port as number, o.reason as string]));
    expect(objects.map((o) => o.port)).toEqual(
      Array.from({ length: objects.length }, (_, i) => (objects[0]?.port as number) + i),
    );
    return { state, reasons, summary };
  }

  it("all 65535 ports of the namespace's loopback: exactly the truth, and no port that connected to itself", async () => {
    const r = await spawnNtk(['scan', '-n', '--json', '127.0.0.1', '-'], { netns: host.ns, timeoutMs: 60_000 }).done;
    expect(r.code).toBe(0);
    const { state, reasons, summary } = states(r.stdout);
    expect(state.size).toBe(65535);
    const wrong: string[] = [];
    for (let p = 1; p <= 65535; p++)
      if (state.get(p) !== truthTcp(p)) wrong.push(`${p}: ${state.get(p)} (truth ${truthTcp(p)})`);
    expect(wrong).toEqual([]);
    expect(summary).toMatchObject({ probes: 65535, open: 4, filtered: 61, unreachable: 2, closed: 65535 - 67 });
    // Probes from ephemeral port P to port P do connect to themselves on loopback; they are reported closed.
    expect([...reasons.values()].filter((x) => x !== 'conn-refused' && x !== 'self-connect')).toHaveLength(67);
  });

  it('completes with the same results under ulimit -n 256', async () => {
    const r = await spawnNtk(['-c', `ulimit -n 256 && exec "${NTK_BIN}" scan -n --json 127.0.0.1 -`], {
      netns: host.ns,
      bin: 'bash',
      timeoutMs: 60_000,
    }).done;
    expect(r.stderr).not.toMatch(/Too many open files|EMFILE/);
    expect(r.code).toBe(0);
    const { state } = states(r.stdout);
    const wrong: string[] = [];
    for (let p = 1; p <= 65535; p++) if (state.get(p) !== truthTcp(p)) wrong.push(`${p}: ${state.get(p)}`);
    expect(wrong).toEqual([]);
  });

  it('shards of a namespace scan add up to the whole', async () => {
    let open = 0;
    let filtered = 0;
    let probes = 0;
    for (let i = 0; i < 2; i++) {
      const r = await runNtk([
        'scan',
        '-n',
        '--json',
        '-w',
        '0.5',
        '--shard',
        `${i}/2`,
        host.remote,
        '20001-20020,20200-20210',
      ]);
      const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as Record<string, number>;
      open += summary.open ?? 0;
      filtered += summary.filtered ?? 0;
      probes += summary.probes ?? 0;
    }
    expect({ open, filtered, probes }).toEqual({ open: 1, filtered: 12, probes: 31 });
  });
});
