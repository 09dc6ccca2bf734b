/** `ntk watch -r`: flags, counts, output to a closed pipe, and failures (one line, tcpdump's exit statuses). */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errorLines, hasStackTrace, NTK_BIN, runNtk } from '../helpers/run-ntk';

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
    const kolkata = lines((await runNtk(['watch', '-n', '-c', '1', '-r', LOOPBACK], { env: { TZ: 'Asia/Kolkata' } })).stdout)[0]!;
    const [h, m] = utc.split(':').map(Number) as [number, number];
    const shifted = (h * 60 + m + 330) % 1440;
    expect(kolkata.slice(0, 5)).toBe(`${String(Math.floor(shifted / 60)).padStart(2, '0')}:${String(shifted % 60).padStart(2, '0')}`);
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
    const big = join(dir, 'big.pcap');
    const one = readFileSync(LOOPBACK);
    writeFileSync(big, Buffer.concat([one, ...Array.from({ length: 300 }, () => one.subarray(24))]));
    const child = spawn('sh', ['-c', `"${NTK_BIN}" watch -n -r "${big}" | head -n 2`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(0);
    expect(lines(out)).toHaveLength(2);
    expect(hasStackTrace(err)).toBe(false);
    expect(errorLines(err).filter((l) => !l.startsWith('reading from file'))).toEqual([]);
  });
});

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

  it('a malformed flag value exits 2', async () => {
    for (const args of [['-c', '-1'], ['-c', 'many'], ['-s', 'abc']]) {
      const r = await runNtk(['watch', '-r', LOOPBACK, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      oneLine(r.stderr, /^ntk: watch: /);
    }
  });

  it('a filter it cannot apply exits 1', async () => {
    const r = await runNtk(['watch', '-r', LOOPBACK, 'ether', 'host', '00:11:22:33:44:55']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    oneLine(r.stderr, /^ntk: watch: bad filter "ether host 00:11:22:33:44:55": "ether" is not supported in filters on files$/);
  });

  it('an unwritable -w file exits 1', async () => {
    const r = await runNtk(['watch', '-r', LOOPBACK, '-w', join(dir, 'no/such/dir.pcap')]);
    expect(r.code).toBe(1);
    oneLine(r.stderr, /^ntk: watch: .*dir\.pcap: No such file or directory$/);
  });
});
