/**
 * Live `ntk watch` beside tcpdump with timestamps on: the kernel's packet stamps (libpcap's packet header) while
 * other processes keep every core busy, tcpdump's closing counts from pcap_stats, and kernel drops when the
 * capture buffer is too small.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { availableParallelism } from 'node:os';
import { describe, expect, it, onTestFinished } from 'vitest';
import { canCapture } from '../helpers/can-capture';
import { freePort } from '../helpers/net';
import { hasStackTrace, spawnNtk, type NtkProcess } from '../helpers/run-ntk';

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

/** Starts one busy loop per core (each ends by itself after 60 s at most); killed by PID when the test ends. */
function loadAllCores(): void {
  for (let i = 0; i < Math.max(2, availableParallelism()); i++) {
    const child = spawn(process.execPath, ['-e', 'const end = Date.now() + 60000; while (Date.now() < end);'], {
      stdio: 'ignore',
    });
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
  }
}

/**
 * Sends `count` UDP datagrams to 127.0.0.1:`port`, the i-th of size(i) bytes, `perTurn` in each turn of the
 * event loop.
 */
async function udpBurst(port: number, count: number, size: (i: number) => number, perTurn: number): Promise<void> {
  const sock = createSocket('udp4');
  for (let sent = 0; sent < count;) {
    const batch: Promise<void>[] = [];
    for (let j = 0; j < perTurn && sent < count; j++, sent++) {
      const payload = Buffer.alloc(size(sent), 0x61);
      batch.push(
        new Promise((resolve, reject) =>
          sock.send(payload, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
        ),
      );
    }
    await Promise.all(batch);
    await new Promise((r) => setImmediate(r));
  }
  await new Promise<void>((r) => sock.close(() => r()));
}

/** Polls (at most 20 s) until every process printed at least `want` lines; throws with their streams if not. */
async function printed(procs: NtkProcess[], want: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (procs.every((p) => lines(p.stdout()).length >= want)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `not ${want} lines each:\n${procs.map((p) => `--- stdout:\n${p.stdout()}\n--- stderr:\n${p.stderr()}`).join('\n')}`,
  );
}

/** tcpdump's default timestamp "HH:MM:SS.uuuuuu" as microseconds since midnight. */
function micros(line: string): number {
  const m = /^(\d\d):(\d\d):(\d\d)\.(\d{6}) /.exec(line);
  if (!m) throw new Error(`no timestamp: ${line}`);
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1e6 + Number(m[4]);
}

/** The closing counts on stderr: { captured, received, dropped }, checking that they have tcpdump's form. */
function closingCounts(stderr: string): { captured: number; received: number; dropped: number } {
  const m = /\n(\d+) packets? captured\n(\d+) packets? received by filter\n(\d+) packets? dropped by kernel\n$/.exec(
    stderr,
  );
  if (!m) throw new Error(`no closing counts in:\n${stderr}`);
  return { captured: Number(m[1]), received: Number(m[2]), dropped: Number(m[3]) };
}

describe.runIf(canCapture())('ntk watch -i lo: kernel timestamps and counts, beside tcpdump', () => {
  it('prints the same lines with the same timestamps (within 50 µs) while every core is busy', async () => {
    loadAllCores();
    const port = await freePort();
    const filter = `udp dst port ${port}`;
    const tcpdump = spawnNtk(['-i', 'lo', '-n', '-l', filter], { bin: 'tcpdump', stdin: 'ignore', timeoutMs: 60_000 });
    const ntk = spawnNtk(['watch', '-i', 'lo', '-n', filter], { stdin: 'ignore', timeoutMs: 60_000 });
    await tcpdump.waitFor('listening on', { timeoutMs: 30_000 });
    await ntk.waitFor('listening on lo', { timeoutMs: 30_000 });
    const total = 200;
    // Each datagram a different length, so that its line is its own: lines pair up only in the same order.
    await udpBurst(port, total, (i) => 1 + i, 10);
    await printed([tcpdump, ntk], total);
    tcpdump.child.kill('SIGINT');
    ntk.child.kill('SIGINT');
    const [theirs, ours] = await Promise.all([tcpdump.done, ntk.done]);
    const want = theirs.stdout.split('\n');
    const got = ours.stdout.split('\n');
    // The same lines after the timestamp, and the one newline an interrupted tcpdump writes before its counts.
    expect(got.map((l) => l.slice(16))).toEqual(want.map((l) => l.slice(16)));
    expect(ours.stdout.endsWith('\n\n')).toBe(true);
    const diffs = lines(ours.stdout).map((l, i) => Math.abs(micros(l) - micros(lines(theirs.stdout)[i] as string)));
    expect(diffs).toHaveLength(total);
    expect(Math.max(...diffs), `timestamp differences (µs): ${diffs.join(' ')}`).toBeLessThanOrEqual(50);
    const a = closingCounts(ours.stderr);
    const b = closingCounts(theirs.stderr);
    expect(a.captured).toBe(total);
    expect(a.received).toBe(b.received);
    expect(hasStackTrace(ours.stderr)).toBe(false);
  });

  it('on -i any prints what tcpdump prints: the cooked v2 header, interface and direction (-e too)', async () => {
    for (const extra of [[], ['-e']]) {
      const port = await freePort();
      const filter = `udp dst port ${port}`;
      const args = ['-i', 'any', '-n', ...extra, filter];
      const tcpdump = spawnNtk(['-l', ...args], { bin: 'tcpdump', stdin: 'ignore', timeoutMs: 60_000 });
      const ntk = spawnNtk(['watch', ...args], { stdin: 'ignore', timeoutMs: 60_000 });
      await tcpdump.waitFor('listening on', { timeoutMs: 30_000 });
      await ntk.waitFor('listening on any', { timeoutMs: 30_000 });
      await udpBurst(port, 5, (i) => 1 + i, 5);
      await printed([tcpdump, ntk], 5);
      tcpdump.child.kill('SIGINT');
      ntk.child.kill('SIGINT');
      const [theirs, ours] = await Promise.all([tcpdump.done, ntk.done]);
      expect(lines(ours.stdout).map((l) => l.slice(16))).toEqual(lines(theirs.stdout).map((l) => l.slice(16)));
      expect(lines(ours.stdout)[0]).toMatch(/^\S+ lo {4}In {2}/);
      expect(ours.stderr).toContain('listening on any, link-type LINUX_SLL2 (Linux cooked v2)');
    }
  });

  it('reports the kernel drops of a too small buffer (-B), as pcap_stats counts them', async () => {
    const port = await freePort();
    const filter = `udp dst port ${port}`;
    // tcpdump with its default buffer alongside: "received by filter" counts what passed the filter in the
    // kernel, whatever either buffer could hold, so both must say the same.
    const tcpdump = spawnNtk(['-i', 'lo', '-n', filter], { bin: 'tcpdump', stdin: 'ignore', timeoutMs: 60_000 });
    const ntk = spawnNtk(['watch', '-i', 'lo', '-n', '-B', '100', filter], { stdin: 'ignore', timeoutMs: 60_000 });
    await tcpdump.waitFor('listening on', { timeoutMs: 30_000 });
    await ntk.waitFor('listening on lo', { timeoutMs: 30_000 });
    const total = 5000;
    await udpBurst(port, total, () => 1000, 500);
    // Both have taken what they could once ntk has printed nothing new for a while (bounded: 10 s).
    let last = -1;
    for (let i = 0; i < 20 && lines(ntk.stdout()).length !== last; i++) {
      last = lines(ntk.stdout()).length;
      await new Promise((r) => setTimeout(r, 500));
    }
    tcpdump.child.kill('SIGINT');
    ntk.child.kill('SIGINT');
    const [theirs, ours] = await Promise.all([tcpdump.done, ntk.done]);
    const a = closingCounts(ours.stderr);
    const b = closingCounts(theirs.stderr);
    expect(a.dropped, ours.stderr).toBeGreaterThan(0);
    expect(a.captured).toBe(lines(ours.stdout).length);
    expect(a.captured).toBeLessThan(total);
    expect(a.captured + a.dropped).toBeLessThanOrEqual(a.received);
    expect(a.received).toBe(b.received);
    expect(a.received).toBeGreaterThanOrEqual(total);
  });

  it("prints tcpdump's three closing lines on stderr after -c, without the newline of an interrupt", async () => {
    const port = await freePort();
    const filter = `udp dst port ${port}`;
    const ntk = spawnNtk(['watch', '-i', 'lo', '-n', '-c', '3', filter], { stdin: 'ignore', timeoutMs: 60_000 });
    await ntk.waitFor('listening on lo', { timeoutMs: 30_000 });
    await udpBurst(port, 3, () => 10, 1);
    const r = await ntk.done;
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(3);
    expect(r.stdout.endsWith('\n\n')).toBe(false);
    expect(r.stderr).toMatch(/\n3 packets captured\n\d+ packets received by filter\n0 packets dropped by kernel\n$/);
  });
});
