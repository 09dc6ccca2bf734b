/**
 * Sessions followed against a host in a network namespace of our own, firewalled with nftables so that what
 * the tutorial shows by hand really happens: SYNs retransmitted with growing intervals, a data segment
 * retransmitted while the path drops it, keep-alive probes to a peer gone silent, and a scan's proof per port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCapture } from '../helpers/can-capture';
import { canNetns, createTestHost, startInHost, type TestHost } from '../helpers/netns';
import { runNtk, spawnNtk } from '../helpers/run-ntk';

const OPEN = 7001;
const DROPPED = 7002;
const UNREACHABLE = 7003;
const SINK = 7004;
const QUIET = 7005;
const CLOSED = 7009;
const RESET = 7010;

/** The test host's listeners: connections are kept open and whatever arrives is read and dropped. */
const SERVER = `
const net = require('node:net');
const ports = JSON.parse(process.argv[1]);
let pending = ports.length;
for (const p of ports) net.createServer((s) => { s.on('error', () => {}); s.resume(); }).listen(p, '0.0.0.0', () => { if (--pending === 0) console.log('ready'); });
`;

function notesOf(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => /^(.* )?IP6? .* {2}# /.test(l))
    .map((l) => l.slice(l.indexOf('  # ') + 4));
}

async function nft(host: TestHost, rules: string): Promise<void> {
  const p = spawn('ip', ['netns', 'exec', host.ns, 'nft', '-f', '-'], { stdio: ['pipe', 'inherit', 'inherit'] });
  p.stdin?.end(rules);
  const code = await new Promise((r) => p.on('close', r));
  if (code !== 0) throw new Error(`nft failed (${String(code)})`);
}

describe.runIf(canNetns() && canCapture())('ntk watch follows sessions with a host in a namespace', () => {
  let host: TestHost;
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    host = createTestHost(70);
    await nft(
      host,
      [
        'table inet ntkwatch {',
        '  chain input {',
        '    type filter hook input priority 0; policy accept;',
        `    tcp dport ${DROPPED} drop`,
        `    tcp dport ${UNREACHABLE} reject with icmp type host-unreachable`,
        `    tcp dport ${RESET} reject with tcp reset`,
        '  }',
        '}',
      ].join('\n'),
    );
    server = await startInHost(host, SERVER, [OPEN, SINK, QUIET]);
  });

  afterAll(() => {
    if (server?.pid) process.kill(server.pid, 'SIGKILL');
    host?.destroy();
  });

  it('a firewalled port: the SYN retransmitted at growing intervals until -w gives up', async () => {
    const r = await runNtk(['watch', '--', 'connect', '-w', '8', host.remote, String(DROPPED)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/timed out/);
    const notes = notesOf(r.stderr);
    expect(notes[0]).toMatch(/^handshake 1\/3: SYN, we open/);
    const intervals = notes.slice(1).map((n) => {
      const m = /^retransmission #(\d+) of SYN after ([\d.]+) s/.exec(n);
      expect(m, n).not.toBeNull();
      return Number(m?.[2]);
    });
    // An initial RTO of 1 s, doubled each time (RFC 6298 §5.5); Linux 6.5+ first retries a few times at the
    // same interval (tcp_syn_linear_timeouts). Either way the intervals never shrink and end up doubling.
    expect(intervals.length).toBeGreaterThanOrEqual(3);
    expect(intervals[0]).toBeGreaterThan(0.8);
    for (let i = 1; i < intervals.length; i++) expect(intervals[i]).toBeGreaterThan((intervals[i - 1] as number) * 0.8);
    expect(intervals[intervals.length - 1]).toBeGreaterThan((intervals[0] as number) * 1.6);
    expect(notes.some((n) => n.endsWith('(×2 backoff)'))).toBe(true);
    expect(r.stderr).toMatch(new RegExp(`no answer: SYN sent ${intervals.length + 1} times`));
  });

  it('scan --watch: the exchange that decided each port', async () => {
    const ports = [OPEN, DROPPED, UNREACHABLE, CLOSED, RESET];
    const r = await runNtk(['scan', '--watch', '-n', '-w', '2', host.remote, ports.join(',')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${OPEN}/tcp open: SYN → SYN-ACK → ACK (ours) → RST (ours)`);
    expect(r.stderr).toMatch(new RegExp(`${DROPPED}/tcp filtered: SYN( ×\\d)?, silence`));
    expect(r.stderr).toContain(`${UNREACHABLE}/tcp unreachable: SYN → ICMP host unreachable`);
    expect(r.stderr).toContain(`${CLOSED}/tcp closed: SYN → RST`);
    expect(r.stderr).toContain(`${RESET}/tcp closed: SYN → RST`);
  });

  it('data retransmission: a segment dropped on the way is sent again, its interval said', async () => {
    const c = spawnNtk(['watch', '--', 'connect', host.remote, String(SINK)], { stdin: 'pipe' });
    await c.waitFor('# handshake 3/3');
    c.child.stdin?.write('first\n');
    await c.waitFor('# peer acknowledges 6 bytes');
    // The path drops everything to the port for a moment.
    await nft(
      host,
      `table inet ntkloss {\n chain input {\n type filter hook input priority -10; policy accept;\n tcp dport ${SINK} drop\n }\n}`,
    );
    c.child.stdin?.write('second\n');
    await c.waitFor('# retransmission #1 of data (7 bytes)');
    await nft(host, 'delete table inet ntkloss');
    await c.waitFor('# peer acknowledges 7 bytes', { timeoutMs: 15_000 });
    c.child.kill('SIGINT');
    const r = await c.done;
    expect(r.code).toBe(130);
    const notes = notesOf(r.stderr);
    const re = notes.filter((n) => n.startsWith('retransmission'));
    expect(re[0]).toMatch(/^retransmission #1 of data \(7 bytes\) after [\d.]+ s$/);
    expect(r.stderr).toMatch(/retransmissions: [1-9]\d* by us/);
  });

  it('--keepalive 1: probes answered, then a peer gone silent ends the session within seconds', async () => {
    const c = spawnNtk(['connect', '--watch', '--keepalive', '1', host.remote, String(QUIET)], {
      stdin: 'pipe',
      timeoutMs: 40_000,
    });
    await c.waitFor('# keep-alive answer: the peer is alive', { timeoutMs: 15_000 });
    // The peer loses power: nothing it receives is answered any more.
    await nft(host, 'table inet ntkdead {\n chain input {\n type filter hook input priority -20; policy drop;\n }\n}');
    const started = Date.now();
    const r = await c.done;
    await nft(host, 'delete table inet ntkdead');
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.stderr).toMatch(
      /connection to \S+: the peer stopped answering: [3-9] keep-alive probes unanswered, 1 s apart/,
    );
    const probes = notesOf(r.stderr).filter((n) => n.startsWith('keep-alive probe'));
    expect(probes.length).toBeGreaterThanOrEqual(3);
  });
});
