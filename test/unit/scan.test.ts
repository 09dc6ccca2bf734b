import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isNtkError } from '../../src/lib/errors';
import { scanOptions } from '../../src/commands/scan';
import { concurrencyFor, expectedProbes, limiter, scan, type ScanOptions } from '../../src/scan/scan';
import { runSocketEngine, runTcpEngine, SELF_CONNECT, tcpBindingUsable, type EngineJob } from '../../src/scan/engine';
import { classify, portJson, portLine, summaryLine, verboseLine, type PortResult } from '../../src/scan/output';
import { parseTargets, WHOLE } from '../../src/scan/targets';
import { memoryIo } from '../helpers/io';
import { freePort, startServer } from '../helpers/net';

function options(over: Partial<ScanOptions>): ScanOptions {
  return {
    targets: parseTargets('scan', ['127.0.0.1'], true, 0),
    ports: [],
    proto: 'tcp',
    family: 0,
    numeric: true,
    verbose: false,
    json: false,
    timeoutMs: 1000,
    rate: 0,
    shard: WHOLE,
    fin: false,
    banner: false,
    retries: 2,
    ...over,
  };
}

/** Ports with a listener (from `startServer`) and ports that were free a moment ago. */
async function loopbackTruth(open: number, closed: number): Promise<{ open: number[]; closed: number[] }> {
  const o: number[] = [];
  for (let i = 0; i < open; i++) o.push((await startServer()).port);
  const c: number[] = [];
  while (c.length < closed) {
    const p = await freePort();
    if (!o.includes(p) && !c.includes(p)) c.push(p);
  }
  return { open: o.sort((a, b) => a - b), closed: c.sort((a, b) => a - b) };
}

describe('classify', () => {
  it("maps libuv statuses to states and nmap's reasons", () => {
    expect(classify('tcp', 0)).toEqual({ state: 'open', reason: 'syn-ack' });
    expect(classify('tcp', -111)).toEqual({ state: 'closed', reason: 'conn-refused' });
    expect(classify('tcp', SELF_CONNECT)).toEqual({ state: 'closed', reason: 'self-connect' });
    expect(classify('tcp', -110)).toEqual({ state: 'filtered', reason: 'no-response' });
    expect(classify('tcp', -113)).toEqual({ state: 'unreachable', reason: 'host-unreach' });
    expect(classify('tcp', -101)).toEqual({ state: 'unreachable', reason: 'net-unreach' });
    expect(classify('tcp', -1)).toEqual({ state: 'filtered', reason: 'admin-prohibited' });
    expect(classify('udp', 0)).toEqual({ state: 'open', reason: 'udp-response' });
    expect(classify('udp', -111)).toEqual({ state: 'closed', reason: 'port-unreach' });
    expect(classify('udp', -110)).toEqual({ state: 'open|filtered', reason: 'no-response' });
  });
});

describe('output lines', () => {
  const r = (over: Partial<PortResult>): PortResult => ({
    host: '127.0.0.1',
    port: 22,
    proto: 'tcp',
    state: 'open',
    reason: 'syn-ack',
    status: 0,
    rttMs: 0.1234,
    ...over,
  });

  it("writes nc's -v lines", () => {
    expect(verboseLine(r({}), true)).toBe('Connection to 127.0.0.1 22 port [tcp/*] succeeded!');
    expect(verboseLine(r({}), false)).toBe('Connection to 127.0.0.1 22 port [tcp/ssh] succeeded!');
    expect(verboseLine(r({ name: 'localhost' }), false)).toBe(
      'Connection to localhost (127.0.0.1) 22 port [tcp/ssh] succeeded!',
    );
    expect(verboseLine(r({ port: 21, state: 'closed', status: -111 }), true)).toBe(
      'ntk: connect to 127.0.0.1 port 21 (tcp) failed: Connection refused',
    );
    expect(verboseLine(r({ name: 'localhost', port: 21, state: 'closed', status: -111 }), false)).toBe(
      'ntk: connect to localhost port 21 (tcp) failed: Connection refused',
    );
    expect(verboseLine(r({ state: 'filtered', status: -110 }), true)).toBe(
      'ntk: connect to 127.0.0.1 port 22 (tcp) failed: Connection timed out',
    );
    expect(verboseLine(r({ state: 'unreachable', status: -113 }), true)).toBe(
      'ntk: connect to 127.0.0.1 port 22 (tcp) failed: No route to host',
    );
    expect(verboseLine(r({ proto: 'udp', port: 9, state: 'open|filtered', status: -110 }), true)).toBe(
      'ntk: connect to 127.0.0.1 port 9 (udp): no answer (open|filtered)',
    );
  });

  it('writes the default line and the NDJSON object', () => {
    expect(portLine(r({}))).toBe('127.0.0.1 22/tcp open ssh');
    expect(portLine(r({ port: 40001, banner: Buffer.from('hello\r\n') }))).toBe('127.0.0.1 40001/tcp open "hello"');
    expect(JSON.parse(portJson(r({})))).toEqual({
      host: '127.0.0.1',
      port: 22,
      proto: 'tcp',
      state: 'open',
      reason: 'syn-ack',
      service: 'ssh',
      rtt_ms: 0.123,
    });
    const silent = JSON.parse(
      portJson(r({ port: 40001, state: 'filtered', reason: 'no-response', status: -110, rttMs: 1000 })),
    );
    expect(silent).not.toHaveProperty('rtt_ms');
    expect(silent).not.toHaveProperty('service');
  });

  it('writes a one-line summary', () => {
    const base = {
      type: 'summary' as const,
      proto: 'tcp' as const,
      targets: ['127.0.0.1'],
      ports: '1-65535',
      hosts: 1,
      port_count: 65535,
      shard: '0/1',
      probes: 65535,
      open: 5,
      closed: 65530,
      filtered: 0,
      unreachable: 0,
      seconds: 0.7412,
    };
    expect(summaryLine(base)).toBe('ntk: scan: 1 host, 65535 tcp ports: 5 open, 65530 closed, 0 filtered (0.74 s)');
    expect(summaryLine({ ...base, shard: '1/4', probes: 16384, unreachable: 2 })).toBe(
      'ntk: scan: 1 host, 65535 tcp ports (shard 1/4: 16384 probes): 5 open, 65530 closed, 0 filtered, 2 unreachable (0.74 s)',
    );
  });
});

describe('scanOptions', () => {
  it('reads HOST... PORTS and the flags', () => {
    const o = scanOptions({
      targets: ['127.0.0.1', '::1', '21-25'],
      n: true,
      v: true,
      w: '0.5',
      shard: '1/3',
    }) as ScanOptions;
    expect(o.ports).toEqual([21, 22, 23, 24, 25]);
    expect(o.targets.map((t) => t.text)).toEqual(['127.0.0.1', '::1']);
    expect(o.timeoutMs).toBe(500);
    expect(o.shard).toEqual({ index: 1, count: 3 });
    expect(o.verbose).toBe(true);
  });

  it('refuses bad input with one usage error naming it', () => {
    const bad: [string[], string][] = [
      [['127.0.0.1', '25-21'], 'invalid port range "25-21"'],
      [['127.0.0.1', '0'], 'port out of range (1-65535): "0"'],
      [['127.0.0.1', '70000'], 'port out of range (1-65535): "70000"'],
      [['127.0.0.1', '1-'], 'invalid port range "1-"'],
      [['127.0.0.1', 'abc'], 'unknown tcp service "abc"'],
      [['127.0.0.1', '-,1'], 'invalid port list "-,1" ("-", all ports, stands alone)'],
      [['127.0.0.1', '--bogus', '22'], 'unknown argument: bogus'],
      [['10.0.0.0/33', '80'], 'invalid prefix length in "10.0.0.0/33" (0-32)'],
      [['80'], 'missing HOST or PORTS (usage: ntk scan [options] HOST... PORTS)'],
      [[], 'missing HOST and PORTS (usage: ntk scan [options] HOST... PORTS)'],
    ];
    for (const [targets, message] of bad) {
      let caught: unknown;
      try {
        scanOptions({ targets });
      } catch (err) {
        caught = err;
      }
      expect(isNtkError(caught) && caught.code === 'E_USAGE' && caught.message).toBe(message);
    }
    expect(() => scanOptions({ targets: ['127.0.0.1', '80'], w: '0' })).toThrow(/-w timeout/);
    expect(() => scanOptions({ targets: ['127.0.0.1', '80'], concurrency: '0' })).toThrow(/--concurrency/);
  });
});

describe('limits', () => {
  it('keeps concurrency below the open-files limit', () => {
    expect(concurrencyFor({ proto: 'tcp' }, { soft: 1_000_000, open: 10 })).toBe(1024);
    expect(concurrencyFor({ proto: 'tcp' }, { soft: 256, open: 20 })).toBeLessThan(256 - 20);
    expect(concurrencyFor({ proto: 'tcp', concurrency: 10 }, { soft: 256, open: 20 })).toBe(10);
    expect(concurrencyFor({ proto: 'udp' }, { soft: 30, open: 20 })).toBe(1);
  });

  it('counts the probes of a shard, skipping hosts that did not resolve', () => {
    expect(expectedProbes([{}, null, {}], 10, WHOLE)).toBe(20);
    expect(expectedProbes([{}, null, {}], 10, { index: 1, count: 3 })).toBe(6); // k = 1, 4, 7, 22, 25, 28
  });
});

describe('limiter', () => {
  it('runs at most N tasks at once, all of them in the end', async () => {
    const slot = limiter(2);
    let running = 0;
    let most = 0;
    const task = async (i: number): Promise<number> => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 1 + (i % 3)));
      running--;
      return i;
    };
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => slot(() => task(i))));
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(most).toBe(2);
  });
});

describe('runTcpEngine', () => {
  it('tells open from closed on loopback', async () => {
    const truth = await loopbackTruth(3, 5);
    const ports = [...truth.open, ...truth.closed].sort((a, b) => a - b);
    const job: EngineJob = {
      hosts: [{ address: '127.0.0.1', family: 4 }],
      ports,
      first: 0,
      step: 1,
      count: ports.length,
      claim: new BigInt64Array(1),
      concurrency: 4,
      timeoutMs: 2000,
      rate: 0,
      fin: false,
    };
    const status = new Map<number, number>();
    await new Promise<void>((resolve) =>
      runTcpEngine(
        job,
        (b) => {
          for (let i = 0; i < b.length; i += 3) status.set(ports[b[i] as number] as number, b[i + 1] as number);
        },
        resolve,
      ),
    );
    expect(status.size).toBe(ports.length);
    for (const p of truth.open) expect(status.get(p)).toBe(0);
    for (const p of truth.closed) expect(status.get(p)).toBe(-111);
  });

  it('lanes sharing one claim counter probe every port exactly once between them', async () => {
    const truth = await loopbackTruth(2, 30);
    const ports = [...truth.open, ...truth.closed].sort((a, b) => a - b);
    const claim = new BigInt64Array(new SharedArrayBuffer(8));
    const seen: number[] = [];
    const job = (): EngineJob => ({
      hosts: [{ address: '127.0.0.1', family: 4 }],
      ports,
      first: 0,
      step: 1,
      count: ports.length,
      claim,
      concurrency: 3,
      timeoutMs: 2000,
      rate: 0,
      fin: false,
    });
    const lane = (): Promise<void> =>
      new Promise((resolve) =>
        runTcpEngine(
          job(),
          (b) => {
            for (let i = 0; i < b.length; i += 3) seen.push(b[i] as number);
          },
          resolve,
        ),
      );
    await Promise.all([lane(), lane(), lane()]);
    expect(seen.sort((a, b) => a - b)).toEqual(ports.map((_, k) => k));
  });

  it('skips hosts that did not resolve and probes its slice only', async () => {
    const truth = await loopbackTruth(1, 1);
    const ports = [truth.open[0] as number, truth.closed[0] as number];
    const seen: number[] = [];
    await new Promise<void>((resolve) =>
      runTcpEngine(
        {
          hosts: [null, { address: '127.0.0.1', family: 4 }],
          ports,
          first: 1,
          step: 2,
          count: 2,
          claim: new BigInt64Array(1),
          concurrency: 8,
          timeoutMs: 1000,
          rate: 0,
          fin: true,
        },
        (b) => {
          for (let i = 0; i < b.length; i += 3) seen.push(b[i] as number);
        },
        resolve,
      ),
    );
    expect(seen).toEqual([3]);
  });
});

describe('scan (in-process)', () => {
  it('prints the open ports in order and exits 0', async () => {
    const truth = await loopbackTruth(3, 20);
    const io = memoryIo();
    const code = await scan(options({ ports: [...truth.open, ...truth.closed].sort((a, b) => a - b) }), io);
    expect(code).toBe(0);
    expect(io.out()).toBe(truth.open.map((p) => `127.0.0.1 ${p}/tcp open\n`).join(''));
    expect(io.err()).toMatch(/^ntk: scan: 1 host, 23 tcp ports: 3 open, 20 closed, 0 filtered \(\d+\.\d\d s\)\n$/);
  });

  it('exits 1 when nothing is open', async () => {
    const truth = await loopbackTruth(0, 3);
    const io = memoryIo();
    expect(await scan(options({ ports: truth.closed }), io)).toBe(1);
    expect(io.out()).toBe('');
  });

  it('gives the same answers from worker threads, in order, as NDJSON', async () => {
    const truth = await loopbackTruth(2, 10);
    const ports = [...truth.open, ...truth.closed].sort((a, b) => a - b);
    const io = memoryIo();
    await scan(options({ ports, json: true, lanes: 2 }), io);
    const lines = io
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.slice(0, -1).map((o) => [o.port, o.state])).toEqual(
      ports.map((p) => [p, truth.open.includes(p) ? 'open' : 'closed']),
    );
    expect(lines.at(-1)).toMatchObject({ type: 'summary', open: 2, closed: 10, filtered: 0, probes: 12, shard: '0/1' });
  });

  it('gives the same answers at a limited --rate and --concurrency', async () => {
    const truth = await loopbackTruth(2, 8);
    const ports = [...truth.open, ...truth.closed].sort((a, b) => a - b);
    const io = memoryIo();
    expect(await scan(options({ ports, rate: 200, concurrency: 2 }), io)).toBe(0);
    expect(io.out()).toBe(truth.open.map((p) => `127.0.0.1 ${p}/tcp open\n`).join(''));
  });

  it('holds back probes while stdout is slow (backpressure) and still reports every port', async () => {
    const truth = await loopbackTruth(1, 0);
    const lines: string[] = [];
    let drains = 0;
    const stdout = new Writable({
      highWaterMark: 256,
      write(chunk: Buffer, _enc, cb) {
        lines.push(...chunk.toString().trim().split('\n'));
        setTimeout(cb, 2);
      },
    });
    stdout.on('drain', () => drains++);
    const io = { ...memoryIo(), stdout };
    const lo = Math.max(1, (truth.open[0] as number) - 3000);
    const ports = Array.from({ length: 6000 }, (_, i) => lo + i).filter((p) => p <= 65535);
    await scan(options({ ports, json: true, lanes: 2 }), io);
    await new Promise<void>((r) => stdout.end(r));
    expect(drains).toBeGreaterThan(0);
    expect(lines).toHaveLength(ports.length + 1);
    const objects = lines.map((l) => JSON.parse(l) as { port?: number; state?: string });
    expect(objects.slice(0, -1).map((o) => o.port)).toEqual(ports);
    expect(objects.find((o) => o.port === truth.open[0])?.state).toBe('open');
  });

  it('after an interrupt writes what it has in order and a summary marked interrupted, then throws E_INTERRUPTED', async () => {
    const io = memoryIo();
    // Aborted as soon as the first result is out: the rest of the 65535 ports are never all probed.
    io.stdout.once('data', () => io.controller.abort());
    let caught: unknown;
    try {
      await scan(options({ ports: Array.from({ length: 65535 }, (_, i) => i + 1), json: true }), io);
    } catch (err) {
      caught = err;
    }
    expect(isNtkError(caught) && caught.code).toBe('E_INTERRUPTED');
    const lines = io
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = lines.pop() as Record<string, unknown>;
    expect(summary).toMatchObject({ type: 'summary', interrupted: true });
    expect(summary.probes).toBe(lines.length);
    expect(summary.probes).toBeLessThan(65535);
    expect(lines.map((o) => o.port)).toEqual(lines.map((_, i) => i + 1));
    expect(io.err()).toMatch(
      /^ntk: scan: 1 host, 65535 tcp ports: \d+ open, \d+ closed, 0 filtered \(interrupted after \d+\.\d\d s\)\n$/,
    );
  });

  it('reads banners of open ports', async () => {
    const server = await startServer((s) => s.write('SSH-2.0-test\r\n'));
    const io = memoryIo();
    await scan(options({ ports: [server.port], banner: true }), io);
    expect(io.out()).toBe(`127.0.0.1 ${server.port}/tcp open "SSH-2.0-test"\n`);
  });
});

describe('scan without the libuv binding (runSocketEngine)', () => {
  it('finds the same open and closed ports, with the same -v lines', async () => {
    const truth = await loopbackTruth(3, 20);
    const ports = [...truth.open, ...truth.closed].sort((a, b) => a - b);
    const io = memoryIo();
    // lanes: 2 asks for worker threads; the fallback engine runs in this thread only.
    const code = await scan(options({ ports, verbose: true, lanes: 2 }), io, runSocketEngine);
    expect(code).toBe(0);
    const lines = io
      .err()
      .split('\n')
      .filter((l) => l.startsWith('ntk: connect') || l.startsWith('Connection'));
    expect(lines).toEqual(
      ports.map((p) =>
        truth.open.includes(p)
          ? `Connection to 127.0.0.1 ${p} port [tcp/*] succeeded!`
          : `ntk: connect to 127.0.0.1 port ${p} (tcp) failed: Connection refused`,
      ),
    );
  });

  it('is used only when the binding is not usable (here it is)', () => {
    expect(tcpBindingUsable()).toBe(true);
  });

  it('stops at once when stopped: no result after stop(), done never called', async () => {
    const truth = await loopbackTruth(0, 10);
    const batches: number[][] = [];
    let finished = false;
    const lane = runSocketEngine(
      {
        hosts: [{ address: '127.0.0.1', family: 4 }],
        ports: truth.closed,
        first: 0,
        step: 1,
        count: truth.closed.length,
        claim: new BigInt64Array(1),
        concurrency: 1,
        timeoutMs: 1000,
        rate: 100, // one probe per 10 ms: the first batch (20 ms) cannot hold them all
        fin: false,
      },
      (b) => {
        batches.push(Array.from(b.filter((_, i) => i % 3 === 0)));
        lane.stop();
      },
      () => (finished = true),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(batches).toHaveLength(1);
    expect(batches[0]?.length).toBeLessThan(truth.closed.length);
    expect(finished).toBe(false);
  });
});
