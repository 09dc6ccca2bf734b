/**
 * `ntk scan` against real listeners on loopback, in port blocks where nothing else listens. Scans of every port
 * run in scan-netns.e2e.test.ts, on a namespace's own loopback, where no other program opens listeners meanwhile.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { serviceName } from '../../src/lib/services';
import { readSockTable } from '../../src/lib/socktable';
import { freePort, scanBlockBase, startServer } from '../helpers/net';
import { errorLines, hasStackTrace, runNtk, spawnNtk } from '../helpers/run-ntk';

const dir = mkdtempSync(join(tmpdir(), 'ntk-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Ports in LISTEN on 127.0.0.1 or a wildcard address right now (any program's). */
function listening(): Set<number> {
  return new Set(
    readSockTable('tcp')
      .filter(
        (e) => e.state === 'LISTEN' && ['127.0.0.1', '0.0.0.0', '::', '::ffff:127.0.0.1'].includes(e.localAddress),
      )
      .map((e) => e.localPort),
  );
}

/** The line a scan without -n prints for open port `p` of 127.0.0.1: with its service name, when it has one. */
function openLine(p: number): string {
  const name = serviceName(p, 'tcp');
  return `127.0.0.1 ${p}/tcp open${name === undefined ? '' : ` ${name}`}\n`;
}

/** Five listeners and a block of consecutive ports around them where nothing else listens. */
async function fixture(): Promise<{ open: number[]; lo: number; hi: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = scanBlockBase(10);
    const busy = listening();
    const ports = Array.from({ length: 10 }, (_, i) => base + i);
    if (ports.some((p) => busy.has(p))) continue;
    const open: number[] = [];
    try {
      for (const p of [base + 1, base + 2, base + 5, base + 7, base + 8])
        open.push((await startServer(() => {}, { port: p })).port);
    } catch {
      continue; // taken meanwhile: try another block (the servers started close when the test ends)
    }
    return { open, lo: base, hi: base + 9 };
  }
  throw new Error('no free block of 10 ports');
}

describe('ntk scan on loopback', () => {
  it('-z -v -n prints nc lines in port order on stderr', async () => {
    const { open, lo, hi } = await fixture();
    const r = await runNtk(['scan', '-z', '-v', '-n', '127.0.0.1', `${lo}-${hi}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const lines = errorLines(r.stderr);
    const expected = [];
    for (let p = lo; p <= hi; p++) {
      expected.push(
        open.includes(p)
          ? `Connection to 127.0.0.1 ${p} port [tcp/*] succeeded!`
          : `ntk: connect to 127.0.0.1 port ${p} (tcp) failed: Connection refused`,
      );
    }
    expect(lines.slice(0, -1)).toEqual(expected);
    expect(lines.at(-1)).toMatch(/^ntk: scan: 1 host, 10 tcp ports: 5 open, 5 closed, 0 filtered \(\d+\.\d\d s\)$/);
  });

  it('prints the open ports on stdout and the summary on stderr; exit 1 when none is open', async () => {
    const { open, lo, hi } = await fixture();
    const r = await runNtk(['scan', '127.0.0.1', `${lo}-${hi}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(open.map(openLine).join(''));
    expect(errorLines(r.stderr)).toHaveLength(1);
    const none = await runNtk(['scan', '-n', '127.0.0.1', `${lo},${lo + 3}`]);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/0 open, 2 closed/);
  });

  it('--shard slices are disjoint, their union is the whole scan, and --merge checks and joins them', async () => {
    const { open, lo, hi } = await fixture();
    const spec = ['-n', '--json', '127.0.0.1', '127.0.0.2', `${lo}-${hi}`];
    const whole = await runNtk(['scan', ...spec]);
    const files: string[] = [];
    const seen = new Map<string, number>();
    for (let i = 0; i < 3; i++) {
      const r = await runNtk(['scan', '--shard', `${i}/3`, ...spec]);
      const path = join(dir, `shard${i}.ndjson`);
      writeFileSync(path, r.stdout);
      files.push(path);
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.at(-1)).toMatchObject({ type: 'summary', shard: `${i}/3`, hosts: 2, port_count: 10 });
      for (const o of lines.slice(0, -1)) {
        const key = `${String(o.host)} ${String(o.port)}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    }
    expect(seen.size).toBe(20);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);

    const merged = await runNtk(['scan', '--merge', '--json', ...files]);
    expect(merged.code).toBe(0);
    const strip = (text: string): unknown[] =>
      text
        .trim()
        .split('\n')
        .map((l) => {
          const o = JSON.parse(l) as Record<string, unknown>;
          delete o.rtt_ms;
          delete o.seconds;
          return o;
        });
    expect(strip(merged.stdout)).toEqual(strip(whole.stdout));

    const plain = await runNtk(['scan', '--merge', ...files]);
    expect(plain.stdout).toBe(open.map((p) => `127.0.0.1 ${p}/tcp open\n`).join(''));
    const missing = await runNtk(['scan', '--merge', files[0] as string, files[2] as string]);
    expect(missing.code).toBe(1);
    expect(errorLines(missing.stderr)).toEqual(['ntk: scan: shards missing: 1/3']);
  });

  it('stdout closed early (ntk scan --json … | head): stops its probes and ends quietly, exit 0', async () => {
    const { lo, hi } = await fixture();
    // 256 addresses × 10 ports: far more NDJSON than a pipe holds.
    const p = spawnNtk(['scan', '--json', '-n', '127.0.0.0/24', `${lo}-${hi}`], { timeoutMs: 30_000 });
    await p.waitFor('{', { stream: 'stdout' });
    p.child.stdout?.destroy();
    const r = await p.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('reports a HOST that does not resolve in one line and scans the others', async () => {
    const { open, lo, hi } = await fixture();
    const r = await runNtk(['scan', 'no-such-host.invalid', '127.0.0.1', `${lo}-${hi}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(open.map(openLine).join(''));
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ntk: scan: cannot resolve no-such-host\.invalid: /);
  });

  it('closes probes with a RST (no TIME_WAIT left), or politely with --fin', async () => {
    const server = await startServer();
    // TIME_WAITs towards the server's port that were not there `before`: a test that ran earlier may have left
    // one towards a server of its own that had the same port number.
    const timeWaits = (): string[] =>
      readSockTable('tcp')
        .filter((e) => e.state === 'TIME_WAIT' && e.remotePort === server.port)
        .map((e) => `${e.localAddress}:${e.localPort}`);
    const since = (before: string[]): number => timeWaits().filter((k) => !before.includes(k)).length;
    let before = timeWaits();
    expect((await runNtk(['scan', '-n', '127.0.0.1', String(server.port)])).code).toBe(0);
    expect(since(before)).toBe(0);
    before = timeWaits();
    expect((await runNtk(['scan', '-n', '--fin', '127.0.0.1', String(server.port)])).code).toBe(0);
    // The scanner closed first, so the TIME_WAIT is its own (RFC 9293 §3.6), once per probe (scan and check).
    for (let i = 0; i < 50 && since(before) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(since(before)).toBeGreaterThan(0);
  });

  it('scans IPv6 loopback, and names with -4', async () => {
    const server = await startServer(() => {}, { host: '::1' });
    const free = await freePort('::1');
    const r = await runNtk(['scan', '-n', '::1', `${server.port},${free}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`::1 ${server.port}/tcp open\n`);
    const v4 = await startServer();
    const v = await runNtk(['scan', '-4', '-v', 'localhost', String(v4.port)]);
    expect(v.code).toBe(0);
    // Without -n the port's service name is looked up; an ephemeral port rarely has one.
    const svc = serviceName(v4.port, 'tcp') ?? '*';
    expect(errorLines(v.stderr)[0]).toBe(`Connection to localhost (127.0.0.1) ${v4.port} port [tcp/${svc}] succeeded!`);
  });

  it('scans an address block', async () => {
    const server = await startServer();
    const r = await runNtk(['scan', '-n', '--json', '127.0.0.0/30', String(server.port)]);
    const objects = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { host: string; state: string });
    expect(objects.pop()).toMatchObject({ type: 'summary', hosts: 4, probes: 4, open: 1 });
    expect(objects.map((o) => o.host)).toEqual(['127.0.0.0', '127.0.0.1', '127.0.0.2', '127.0.0.3']);
    expect(objects.filter((o) => o.state === 'open').map((o) => o.host)).toEqual(['127.0.0.1']);
  });

  it('UDP: a reply is open, ICMP port unreachable closed, silence open|filtered', async () => {
    const echo = createSocket('udp4');
    const silent = createSocket('udp4');
    onTestFinished(() => {
      echo.close();
      silent.close();
    });
    echo.on('message', (_m, from) => echo.send('pong', from.port, from.address));
    await new Promise<void>((r) => echo.bind(0, '127.0.0.1', r));
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    const e = echo.address().port;
    const s = silent.address().port;
    const closed: number[] = [];
    while (closed.length < 3) {
      const probe = createSocket('udp4');
      await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
      const p = probe.address().port;
      await new Promise<void>((r) => probe.close(() => r()));
      if (p !== e && p !== s && !closed.includes(p)) closed.push(p);
    }
    const ports = [e, s, ...closed].sort((a, b) => a - b);
    const r = await runNtk(['scan', '-u', '-n', '--json', '-w', '0.5', '127.0.0.1', ports.join(',')]);
    expect(r.code).toBe(0);
    const objects = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { port: number; state: string });
    expect(objects.pop()).toMatchObject({ type: 'summary', proto: 'udp', open: 1, 'open|filtered': 1, closed: 3 });
    expect(objects.map((o) => [o.port, o.state])).toEqual(
      ports.map((p) => [p, p === e ? 'open' : p === s ? 'open|filtered' : 'closed']),
    );
  });
});

describe('ntk scan usage errors: one line, exit 2', () => {
  const cases: [string[], string | undefined][] = [
    [['127.0.0.1', '25-21'], 'ntk: scan: invalid port range "25-21"'],
    [['127.0.0.1', '0'], undefined],
    [['127.0.0.1', '70000'], undefined],
    [['127.0.0.1', '1-'], undefined],
    [['127.0.0.1', 'abc'], undefined],
    [['10.0.0.0/33', '80'], undefined],
    [['80'], undefined],
    [[], undefined],
    [['--shard', '3/3', '127.0.0.1', '80'], undefined],
    [['--bogus', '127.0.0.1', '80'], undefined],
    [['-4', '-6', '127.0.0.1', '80'], undefined],
  ];
  for (const [args, exact] of cases) {
    it(`ntk scan ${args.join(' ')}`, async () => {
      const r = await runNtk(['scan', ...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = errorLines(r.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^ntk: scan: /);
      if (exact) expect(lines[0]).toBe(exact);
      expect(hasStackTrace(r.stderr)).toBe(false);
    });
  }

  it('--help shows examples', async () => {
    const r = await runNtk(['scan', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
  });
});
