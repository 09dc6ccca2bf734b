/**
 * `ntk listen --chat` under hostile and heavy use: the real binary, clients in a separate process
 * (test/helpers/room-load.mjs) so that this one is free to watch the server's memory in /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it, onTestFinished } from 'vitest';
import { join, until } from '../helpers/peer';
import { NTK_BIN } from '../helpers/run-ntk';

/** An address of its own, so that probes other tests send to 127.0.0.1 never join these rooms. */
const HOST = '127.0.0.9';
const LOAD = resolve(__dirname, '../helpers/room-load.mjs');
/** Descriptors for 10,000 clients on each side (this machine's hard limit is 20000). */
const NOFILE = 20000;

/** A process with stdout read as JSON events; killed by PID when the test finishes. */
interface Proc {
  child: ChildProcess;
  pid: number;
  /** The next report named `event` (reports are taken in order); rejects after `timeoutMs` naming stderr. */
  next(event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  stderr(): string;
}

function start(cmd: string, args: string[], onLine?: (line: string) => void): Proc {
  // Raise the descriptor limit for this process only (bash's ulimit, then exec: the PID stays the same).
  const child = spawn(
    'bash',
    ['-c', `ulimit -n ${NOFILE} 2>/dev/null || ulimit -n $(ulimit -Hn); exec "$0" "$@"`, cmd, ...args],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let err = '';
  // Keep only the end of stderr: a room of 10,000 logs 10,000 joins there.
  child.stderr?.on('data', (c: Buffer) => {
    err = (err + c.toString()).slice(-20_000);
    onLine?.(err);
  });
  const events: Record<string, unknown>[] = [];
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (l) => {
    try {
      events.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // not a report
    }
  });
  let taken = 0;
  return {
    child,
    pid: child.pid as number,
    stderr: () => err,
    next: async (event, timeoutMs = 60_000) => {
      const found = (): number =>
        events.findIndex((e, i) => i >= taken && (e.event === event || e.event === 'timeout'));
      await until(
        () => found() >= 0 || child.exitCode !== null,
        () => `${event} from ${args.join(' ')}; stderr: ${err.slice(-2000)}`,
        timeoutMs,
      );
      const i = found();
      if (i < 0) throw new Error(`${args[0]} exited (${child.exitCode}) before ${event}: ${err.slice(-2000)}`);
      taken = i + 1;
      const e = events[i] as Record<string, unknown>;
      if (e.event !== event) throw new Error(`${args[0]} timed out before ${event}`);
      return e;
    },
  };
}

/** Starts `ntk listen --chat ARGS` on HOST; resolves once it listens. */
async function room(args: string[]): Promise<{ ntk: Proc; port: number; log: () => string }> {
  let port = 0;
  let log = '';
  const ntk = start(process.execPath, [NTK_BIN, 'listen', '--chat', '-s', HOST, ...args, '0'], (tail) => {
    log = tail;
    const m = /Listening on \S+ (\d+)/.exec(tail);
    if (m && !port) port = Number(m[1]);
  });
  await until(
    () => port > 0 || ntk.child.exitCode !== null,
    () => `the room listening: ${log}`,
  );
  expect(port).toBeGreaterThan(0);
  return { ntk, port, log: () => ntk.stderr() };
}

function load(mode: string, port: number, n: number, opts: Record<string, string | number> = {}): Proc {
  const kv = Object.entries(opts).map(([k, v]) => `${k}=${v}`);
  return start(process.execPath, [LOAD, mode, String(port), HOST, String(n), ...kv]);
}

/** Resident set size of `pid` in KiB (/proc/PID/status). */
function rssKiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

/** Bytes the kernel holds unread for the server on connections to `port` (rx_queue in /proc/net/tcp). */
function unread(port: number): number {
  // /proc/net/tcp writes 127.0.0.9:PORT as 0900007F:PORT (the address in host byte order, little-endian here).
  const local = `${HOST.split('.')
    .reverse()
    .map((b) => Number(b).toString(16).padStart(2, '0'))
    .join('')}:${port.toString(16).padStart(4, '0')}`.toUpperCase();
  let n = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local && f[3] === '01') n += parseInt(f[4]?.split(':')[1] ?? '0', 16);
  }
  return n;
}

describe('ntk listen --chat under load', () => {
  it('slowloris: 300 clients holding 64 KB unfinished lines cost the server less than twice what they hold', async () => {
    const { ntk, port } = await room(['--max-line', '65536']);
    const clients = load('slowloris', port, 300, { bytes: 64_000, chunk: 32 });
    await clients.next('joined');
    await until(
      () => unread(port) === 0,
      () => `the joins read (${unread(port)} bytes unread)`,
      30_000,
    );
    const baseline = rssKiB(ntk.pid);
    const sent = await clients.next('sent', 90_000);
    expect(sent.closed).toBe(0);
    // Everything sent has been read by the server (nothing left in the kernel's receive queues).
    await until(
      () => unread(port) === 0,
      () => `the server reading all (${unread(port)} bytes unread)`,
      30_000,
    );
    const held = 300 * 64_000;
    const grown = (rssKiB(ntk.pid) - baseline) * 1024;
    expect(grown, `grew ${(grown / 2 ** 20).toFixed(1)} MiB for ${(held / 2 ** 20).toFixed(1)} MiB held`).toBeLessThan(
      2 * held,
    );
    // Still a room: a line gets through, and nobody was disconnected.
    const a = await join(port, undefined, HOST);
    await a.waitFor('* user301 joined from ');
    expect(ntk.stderr()).not.toMatch(/ left/);
  }, 150_000);

  it('a flooder is paced, a chatter is served in turn, 20 readers get every line in order; a stalled reader is cut off', async () => {
    const { ntk, port, log } = await room(['--stall', '2']);
    const readers = load('read', port, 20, { end: 'END,CHAT-END' });
    await readers.next('joined');
    const stalled = await join(port, undefined, HOST);
    await stalled.waitFor(' joined from ');
    stalled.socket.pause(); // reads nothing from now on
    const baseline = rssKiB(ntk.pid);
    let peak = baseline;
    const watch = setInterval(() => (peak = Math.max(peak, rssKiB(ntk.pid))), 50);
    onTestFinished(() => clearInterval(watch));
    const lines = 200_000;
    const flooder = load('flood', port, 1, { lines });
    const chatter = load('chat', port, 1, { lines: 20, every: 100 });
    const at = (e: Promise<Record<string, unknown>>): Promise<number> => e.then(() => Date.now());
    const [floodSent, chatSent] = [at(flooder.next('sent', 120_000)), at(chatter.next('sent', 120_000))];
    const done = await readers.next('done', 120_000);
    clearInterval(watch);
    expect(done.closed, log()).toBe(0);
    expect(done.done).toBe(20);
    expect(done.bad).toBe(0);
    for (const perSender of done.perSender as Record<string, number>[]) {
      expect(Object.values(perSender).sort((x, y) => x - y)).toEqual([20, lines]);
    }
    // The chatter was not starved: its lines arrived spread through the flood, not all after it.
    const chatAt = done.chatAt as number[];
    expect(chatAt).toHaveLength(20);
    // When the flood outlasted the chatter, every chatter line came before the end of the flood.
    if ((await floodSent) > (await chatSent) + 500) expect(chatAt[19]).toBeLessThan(lines);
    // The stalled reader was disconnected after --stall, and nobody else.
    expect(log()).toMatch(/\* user21 left \(not reading: over 1048576 bytes queued for 2 s\)/);
    expect(log().match(/ left/g)).toHaveLength(1);
    // The flood (20 MB) waited in the senders' kernel buffers, not in the server.
    expect((peak - baseline) * 1024).toBeLessThan(64 * 2 ** 20);
  }, 150_000);

  it('--idle counts whole lines: one byte every 0.2 s without a newline is disconnected, a line every 0.3 s is not', async () => {
    const { ntk, port } = await room(['--idle', '1']);
    const slow = await join(port, undefined, HOST);
    await slow.waitFor('* user1 joined from ');
    const talker = await join(port, undefined, HOST);
    await talker.waitFor('* user2 joined from ');
    const drip = setInterval(() => slow.socket.write('x'), 200);
    const talk = setInterval(() => talker.socket.write('still here\n'), 300);
    onTestFinished(() => {
      clearInterval(drip);
      clearInterval(talk);
    });
    let closed = false;
    void slow.closed.then(() => (closed = true));
    await until(
      () => closed,
      () => `user1 disconnected; it got ${JSON.stringify(slow.text())}`,
      10_000,
    );
    expect(slow.text()).toContain('* disconnected: idle for 1 s\n');
    await until(
      () => talker.text().includes('* user1 left (idle for 1 s)'),
      () => 'the leave notice',
    );
    expect(talker.socket.destroyed).toBe(false);
    expect(ntk.stderr()).not.toMatch(/user2 left/);
  });

  it('10,000 clients join within a minute, in a few notice lines, and a line then reaches all of them', async () => {
    const { ntk, port } = await room(['--max-conns', '10000']);
    // 9,999 in the load process and one here: 10,000 in the room.
    const clients = load('join', port, 9_999, { batch: 500, limit: 240, notices: 1 });
    const joined = await clients.next('joined', 120_000);
    console.log(`10,000 clients: joined in ${joined.ms} ms, server RSS ${(rssKiB(ntk.pid) / 1024).toFixed(0)} MiB`);
    expect(joined).toMatchObject({ n: 9_999, closed: 0 });
    expect(joined.ms as number).toBeLessThan(60_000);
    // The first one heard of the other 9,998 joins in about one line a second, not one line each.
    expect(joined.notices as number).toBeLessThan(20 + (joined.ms as number) / 500);
    const rss = rssKiB(ntk.pid);
    expect(rss, `RSS ${(rss / 1024).toFixed(0)} MiB`).toBeLessThan(300 * 1024);
    const a = await join(port, undefined, HOST);
    await a.waitFor('* user10000 joined from ', 30_000);
    clients.child.stdin?.write('<user10000> to everyone\n');
    await clients.next('watching');
    a.socket.write('to everyone\n');
    const got = await clients.next('got', 30_000);
    expect(got).toMatchObject({ got: 9_999, open: 9_999 });
    expect(got.ms as number).toBeLessThan(10_000);
    expect(ntk.stderr()).not.toMatch(/ left/);
    console.log(`10,000 clients: a line to all in ${got.ms} ms`);
  }, 300_000);
});
