/** `ntk watch -r`: flags, counts, output to a closed pipe, and failures (one line, tcpdump's exit statuses). */
import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { errorLines, hasStackTrace, NTK_BIN, runNtk, spawnNtk } from '../helpers/run-ntk';

const GOLDEN = resolve(__dirname, '../golden');
const LOOPBACK = join(GOLDEN, 'loopback.pcap');
const env = { TZ: 'GMT0' };
const dir = mkdtempSync(join(tmpdir(), 'ntk-watch-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

describe('ntk watch -r', () => {
  it('announces the file on stderr as tcpdump does', async () => {
    const r = await runNtk(['watch', '-n', '-r', LOOPBACK], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`reading from file ${LOOPBACK}, link-type EN10MB (Ethernet), snapshot length 262144\n`);
  });

  it('stops after -c packets and numbers them with -#', async () => {
    const r = await runNtk(['watch', '-#', '-nt', '-c', '3', '-r', LOOPBACK], { env });
    expect(r.code).toBe(0);
    const got = lines(r.stdout);
    expect(got).toHaveLength(3);
    expect(got.map((l) => l.slice(0, 8))).toEqual(['    1  I', '    2  I', '    3  I']);
  });

  it('prints local time unless TZ says UTC', async () => {
    const utc = lines((await runNtk(['watch', '-n', '-c', '1', '-r', LOOPBACK], { env })).stdout)[0]!;
    const kolkata = lines(
      (await runNtk(['watch', '-n', '-c', '1', '-r', LOOPBACK], { env: { TZ: 'Asia/Kolkata' } })).stdout,
    )[0]!;
    const [h, m] = utc.split(':').map(Number) as [number, number];
    const shifted = (h * 60 + m + 330) % 1440;
    expect(kolkata.slice(0, 5)).toBe(
      `${String(Math.floor(shifted / 60)).padStart(2, '0')}:${String(shifted % 60).padStart(2, '0')}`,
    );
    expect(kolkata.slice(5)).toBe(utc.slice(5));
  });

  it('reads standard input with -r -, and -w - writes what it reads back', async () => {
    const golden = readFileSync(join(GOLDEN, 'loopback.out'), 'latin1');
    const written = await runNtk(['watch', '-r', LOOPBACK, '-w', '-']);
    expect(written.code).toBe(0);
    const r = await runNtk(['watch', '-n', '-r', '-'], { env, stdin: written.out });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(golden);
    expect(r.stderr).toBe('reading from file -, link-type EN10MB (Ethernet), snapshot length 262144\n');
  });

  it('applies a filter expression to the file, as tcpdump -r FILE EXPR does', async () => {
    const r = await runNtk(['watch', '-nt', '-r', LOOPBACK, 'udp', 'or', 'icmp'], { env });
    expect(r.code).toBe(0);
    const got = lines(r.stdout);
    expect(got.length).toBeGreaterThan(2);
    for (const l of got) expect(l).toMatch(/: (UDP, length \d+|ICMP .*)$/);
  });

  it('ends quietly when stdout is closed early (| head)', async () => {
    const big = bigCapture();
    const child = spawnRaw(['watch', '-n', '-r', big]);
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    // Read two lines, then close the pipe as head does.
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (lines(out).length >= 2) {
          child.stdout.destroy();
          resolve();
        }
      });
    });
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(0);
    expect(err).toBe(`reading from file ${big}, link-type EN10MB (Ethernet), snapshot length 262144\n`);
  });

  it('stops reading on Ctrl-C while nobody reads its output (a paused | less), and ends once read', async () => {
    const big = bigCapture(1000);
    const child = spawnRaw(['watch', '-n', '-r', big]);
    let err = '';
    let out = '';
    child.stderr.on('data', (d) => (err += d));
    // The first bytes show it is writing; then stdout is not read, so the pipe fills and stays full.
    await new Promise((r) => child.stdout.once('data', r));
    child.stdout.pause();
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    child.stdout.on('data', (d) => (out += d));
    child.stdout.resume();
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(0);
    // It stopped early: far from the 1001 copies of loopback.pcap's lines.
    expect(lines(out).length).toBeLessThan(lines(readFileSync(join(GOLDEN, 'loopback.out'), 'latin1')).length * 500);
    expect(hasStackTrace(err)).toBe(false);
  });

  it('exits on Ctrl-C even when its output is never read again (a pager left paused)', async () => {
    const big = bigCapture(1000);
    const child = spawnRaw(['watch', '-n', '-r', big]);
    await new Promise((r) => child.stdout.once('data', r));
    child.stdout.pause(); // and never resumed while ntk runs
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('exit', (c, sig) => r(c ?? sig)));
    expect(code).toBe(0);
    child.stdout.destroy();
  });

  it('stops on Ctrl-C while reading a FIFO that has no more to give', async () => {
    const fifo = join(dir, 'fifo');
    rmSync(fifo, { force: true });
    execFileSync('mkfifo', [fifo]);
    const p = spawnNtk(['watch', '-n', '-r', fifo], { env });
    // The writer stays open: ntk is left waiting for the next packet.
    const writer = await open(fifo, 'w');
    onTestFinished(() => writer.close());
    const one = readFileSync(LOOPBACK);
    const first = 24 + 16 + one.readUInt32LE(24 + 8);
    await writer.write(one.subarray(0, first));
    await p.waitFor(/\n/, { stream: 'stdout' });
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(1);
  });
});

/** A capture of 1 + `copies` times loopback.pcap's packets: far more output than a pipe holds. */
function bigCapture(copies = 300): string {
  const big = join(dir, `big-${copies}.pcap`);
  const one = readFileSync(LOOPBACK);
  writeFileSync(big, Buffer.concat([one, ...Array.from({ length: copies }, () => one.subarray(24))]));
  return big;
}

/** Starts ntk with piped output that the test reads (or not) itself; killed by PID when the test finishes. */
function spawnRaw(args: string[]): ChildProcessByStdio<null, Readable, Readable> {
  const child = spawn(NTK_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

describe('ntk watch -r failures: one line, tcpdump exit statuses', () => {
  const oneLine = (stderr: string, pattern: RegExp): void => {
    const errs = errorLines(stderr).filter((l) => !l.startsWith('reading from file'));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(pattern);
    expect(hasStackTrace(stderr)).toBe(false);
  };

  it('a missing file exits 1', async () => {
    const r = await runNtk(['watch', '-r', join(dir, 'missing.pcap')]);
    expect(r.code).toBe(1);
    oneLine(r.stderr, /^ntk: watch: .*missing\.pcap: No such file or directory$/);
  });

  it('a text file exits 1', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'these are not packets\n');
    const r = await runNtk(['watch', '-r', text]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    oneLine(r.stderr, /^ntk: watch: .*notes\.txt: unknown file format$/);
  });

  it('a truncated capture prints what it can, then one line, and exits 1', async () => {
    const cut = join(dir, 'cut.pcap');
    copyFileSync(LOOPBACK, cut);
    truncateSync(cut, 24 + 16 + 74 + 16 + 30);
    const r = await runNtk(['watch', '-n', '-r', cut], { env });
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toHaveLength(1);
    oneLine(r.stderr, /^ntk: watch: .*cut\.pcap: truncated dump file; tried to read \d+ captured bytes, only got 30$/);
  });

  it('a pcapng file whose interfaces have different link types prints up to the second one, then exits 1', async () => {
    const h = (x: string): Buffer => Buffer.from(x.replace(/\s+/g, ''), 'hex');
    const idb = (linktype: string): Buffer => h(`01000000 14000000 ${linktype}00 0000 00000000 14000000`);
    // One Ethernet packet (an ARP request), then a raw-IP interface.
    const arp = h('ffffffffffff 001122334455 0806 0001080006040001 001122334455 0a000001 000000000000 0a000002');
    const size = Buffer.from([28 + arp.length + 2 + 4, 0, 0, 0]); // header, data padded to 4, trailing length
    const lens = Buffer.from([arp.length, 0, 0, 0, arp.length, 0, 0, 0]);
    const epb = Buffer.concat([h('06000000'), size, h('00000000 00000000 00000000'), lens, arp, Buffer.alloc(2), size]);
    const file = join(dir, 'mixed.pcapng');
    writeFileSync(
      file,
      Buffer.concat([
        h('0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000'),
        idb('01'),
        epb,
        idb('65'),
        epb,
      ]),
    );
    const r = await runNtk(['watch', '-n', '-r', file], { env });
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toHaveLength(1);
    oneLine(
      r.stderr,
      /^ntk: watch: .*mixed\.pcapng: an interface has a type 101 different from the type of the first interface$/,
    );
  });

  it('a malformed flag value exits 2', async () => {
    for (const args of [
      ['-c', '-1'],
      ['-c', 'many'],
      ['-s', 'abc'],
    ]) {
      const r = await runNtk(['watch', '-r', LOOPBACK, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      oneLine(r.stderr, /^ntk: watch: /);
    }
  });

  it("a filter libpcap rejects exits 1, in libpcap's words", async () => {
    const r = await runNtk(['watch', '-r', LOOPBACK, 'tcp', 'and', 'and']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    oneLine(r.stderr, /^ntk: watch: can't parse filter expression: syntax error$/);
  });

  it('an unwritable -w file exits 1', async () => {
    const r = await runNtk(['watch', '-r', LOOPBACK, '-w', join(dir, 'no/such/dir.pcap')]);
    expect(r.code).toBe(1);
    oneLine(r.stderr, /^ntk: watch: .*dir\.pcap: No such file or directory$/);
  });
});
