/**
 * Filters on files (`ntk watch -r FILE FILTER`) select exactly the packets `tcpdump -r FILE FILTER` selects:
 * every filter of tcpdump's man page examples that applies to the link types ntk reads, on the project's own
 * captures (test/golden) and on tcpdump's test captures in ../shared/conformance/tcpdump when that is present.
 * The matrix runs in-process through the same path `watch -r` takes (libpcap's compiler in the capture addon,
 * then src/watch/bpf.ts); a few filters also go through the real CLI. Bad filters fail in libpcap's words.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CaptureParser, type CaptureHeader } from '../../src/watch/pcap-file';
import { compileFilterFor } from '../../src/watch/native';
import { bpfProgram, bpfRun } from '../../src/watch/bpf';
import { packetBytes, type Packet } from '../../src/print/packet';
import { errorLines, hasStackTrace, runNtk } from '../helpers/run-ntk';

const GOLDEN = resolve(__dirname, '../golden');
const CONFORMANCE = resolve(__dirname, '../../../shared/conformance/tcpdump/cases');
const env = { TZ: 'GMT0' };

/** tcpdump(1)'s examples and the primitives pcap-filter(7) names, for the link types ntk prints. */
const FILTERS = [
  'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0',
  'tcp[tcpflags] & tcp-rst != 0',
  'tcp[tcpflags] == tcp-syn',
  'ip[6:2] & 0x1fff != 0',
  'ip[2:2] > 576',
  'ether broadcast',
  'ether multicast',
  'ip broadcast',
  'ip multicast',
  'ether host 00:00:00:00:00:00',
  'ether src 00:00:00:00:00:00 or ether dst ff:ff:ff:ff:ff:ff',
  'less 64',
  'greater 100',
  'len >= 1000',
  'vlan',
  'vlan and ip',
  'portrange 20-30',
  'tcp portrange 1-1024',
  'udp port 53 or udp port 5353',
  'icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply',
  'icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply',
  'icmp6',
  'ip6 and tcp',
  'ip6 proto 58',
  'arp or rarp',
  'host 127.0.0.1',
  'net 127.0.0.0/8',
  'src net 10.0.0.0/8 or dst net 192.168.0.0/16',
  'dst host ::1',
  'tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420',
  '(((ip[2:2] - ((ip[0]&0xf)<<2)) - ((tcp[12]&0xf0)>>2)) != 0)',
  'tcp[13] & 8 != 0 and not port 22',
  'ip[8] < 5',
  'not ip and not ip6',
  'udp[8:2] % 3 = 1',
  'ip proto \\tcp',
];

/** The capture files: ours always, tcpdump's when ../shared is there. */
function captures(): string[] {
  const pcaps = (dir: string): string[] =>
    readdirSync(dir)
      .filter((f) => /\.(pcap|pcapng)$/.test(f))
      .sort()
      .map((f) => join(dir, f));
  return [...pcaps(GOLDEN), ...(existsSync(CONFORMANCE) ? pcaps(CONFORMANCE) : [])];
}

/** Every packet of a capture file, and its link type and snap length. */
function readCapture(path: string): CaptureHeader & { pkts: Packet[] } {
  const parser = new CaptureParser();
  const pkts: Packet[] = [];
  parser.feed(readFileSync(path), (p) => void pkts.push({ ...p, data: Uint8Array.from(packetBytes(p)), offset: 0 }));
  parser.end();
  const h = parser.header as CaptureHeader;
  return { ...h, pkts };
}

/** A packet as compared: its lengths and bytes. */
const key = (p: Packet): string => `${p.caplen}/${p.len}/${Buffer.from(packetBytes(p)).toString('hex')}`;

/** The packets tcpdump selects from `path` with `filter`: its -w - output, parsed; or its error line. */
function tcpdumpSelects(path: string, filter: string): string[] | string {
  try {
    const out = execFileSync('tcpdump', ['-r', path, '-w', '-', filter], {
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 28,
    });
    const parser = new CaptureParser();
    const keys: string[] = [];
    parser.feed(out, (p) => void keys.push(key(p)));
    return keys;
  } catch (err) {
    return (
      errorLines(String((err as { stderr?: Buffer }).stderr ?? '')).filter(
        (l) => !/^(reading from|Warning: )/.test(l),
      )[0] ?? 'failed'
    );
  }
}

/** The packets ntk's path selects: libpcap's program through the capture addon, run by bpf.ts; or the error. */
function ntkSelects(cap: ReturnType<typeof readCapture>, filter: string): string[] | string {
  let prog;
  try {
    prog = bpfProgram(compileFilterFor(filter, cap));
  } catch (err) {
    return `tcpdump: ${(err as Error).message}`;
  }
  return cap.pkts.filter((p) => bpfRun(prog, p.data, p.len, p.caplen) !== 0).map(key);
}

describe('filters on files select what tcpdump -r selects', () => {
  if (!existsSync(CONFORMANCE)) {
    it.skip(`tcpdump's own captures: ${CONFORMANCE} is absent (only the project's captures are used)`, () => undefined);
  }

  it.each(captures())('%s', (path) => {
    const cap = readCapture(path);
    let selected = 0;
    for (const filter of FILTERS) {
      const want = tcpdumpSelects(path, filter);
      const got = ntkSelects(cap, filter);
      expect(got, `${path}: ${filter}`).toEqual(want);
      if (Array.isArray(want)) selected += want.length;
    }
    // The matrix is not all empty selections (a capture with packets matches something).
    if (cap.pkts.length > 0) expect(selected).toBeGreaterThan(0);
  });
});

describe('the file header matters to the compiler, as it does to tcpdump -r', () => {
  it("a big-endian BSD loopback file: the AF_ values are read in the file's byte order", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntk-bpf-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const ip4 = '4500001d00014000401126cd0a0000010a000002000100020009000078';
    const ip6 = '6000000000003b4020010db8000000000000000000000001' + '20010db8000000000000000000000002';
    // AF_INET 2; AF_INET6 as the BSDs number it: 24, 28, 30; and 10 (Linux), which libpcap does not take from files.
    const pkts = [
      ['00000002', ip4],
      ['00000018', ip6],
      ['0000001c', ip6],
      ['0000001e', ip6],
      ['0000000a', ip6],
    ];
    const header = Buffer.from('a1b2c3d4 0002 0004 00000000 00000000 00040000 00000000'.replace(/ /g, ''), 'hex');
    const records = pkts.map(([af, body], i) => {
      const data = Buffer.from(`${af}${body}`, 'hex');
      const rec = Buffer.alloc(16);
      rec.writeUInt32BE(1_700_000_000 + i, 0);
      rec.writeUInt32BE(data.length, 8);
      rec.writeUInt32BE(data.length, 12);
      return Buffer.concat([rec, data]);
    });
    const path = join(dir, 'null-be.pcap');
    writeFileSync(path, Buffer.concat([header, ...records]));
    const cap = readCapture(path);
    expect(cap.bigEndian).toBe(true);
    for (const filter of ['ip', 'ip6', 'not ip6', 'ip6 and dst host 2001:db8::2']) {
      const want = tcpdumpSelects(path, filter);
      expect(ntkSelects(cap, filter), filter).toEqual(want);
    }
    expect(tcpdumpSelects(path, 'ip6')).toHaveLength(3);
  });

  it('an IPv6 address written with an embedded IPv4 part matches as its hex spelling does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntk-bpf-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    // Raw IPv6 (LINKTYPE_RAW 101): a UDP header from ::ffff:10.0.0.1 to ::1, and one from 2001:db8::1.
    const udp = '0001000200080000';
    const ip6 = (src: string) => `6000000000081140${src}00000000000000000000000000000001${udp}`;
    const bodies = [ip6('00000000000000000000ffff0a000001'), ip6('20010db8000000000000000000000001')];
    const header = Buffer.from('a1b2c3d4 0002 0004 00000000 00000000 00040000 00000065'.replace(/ /g, ''), 'hex');
    const records = bodies.map((body, i) => {
      const data = Buffer.from(body, 'hex');
      const rec = Buffer.alloc(16);
      rec.writeUInt32BE(1_700_000_000 + i, 0);
      rec.writeUInt32BE(data.length, 8);
      rec.writeUInt32BE(data.length, 12);
      return Buffer.concat([rec, data]);
    });
    const path = join(dir, 'mapped.pcap');
    writeFileSync(path, Buffer.concat([header, ...records]));
    const cap = readCapture(path);
    const mapped = ntkSelects(cap, 'host ::ffff:10.0.0.1');
    expect(mapped).toHaveLength(1);
    expect(ntkSelects(cap, 'host ::ffff:a00:1')).toEqual(mapped);
    expect(mapped).toEqual(tcpdumpSelects(path, 'host ::ffff:10.0.0.1'));
  });
});

describe('ntk watch -r FILE FILTER, through the CLI', () => {
  const LOOPBACK = join(GOLDEN, 'loopback.pcap');
  const CRAFTED = join(GOLDEN, 'crafted.pcap');

  it.each([
    [LOOPBACK, 'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0'],
    [CRAFTED, 'ip[6:2] & 0x1fff != 0'],
    [CRAFTED, 'ether broadcast or less 64'],
    [CRAFTED, 'icmp[icmptype] == icmp-echo'],
    [LOOPBACK, 'portrange 18000-18100 and not ip broadcast'],
  ])('%s %s prints what tcpdump prints', async (path, filter) => {
    const ours = await runNtk(['watch', '-n', '-r', path, filter], { env });
    const theirs = await runNtk(['-n', '-r', path, filter], { bin: 'tcpdump', env });
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stderr).toBe(theirs.stderr);
  });

  it.each([
    ['tcp and and', "can't parse filter expression: syntax error"],
    ['net 10.1.0.0/8', 'non-network bits set in "10.1.0.0/8"'],
    ['port foo', "unknown port 'foo'"],
    ['ether host 01:02', 'illegal link layer address'],
  ])('a bad filter (%s) fails as libpcap words it, exit 1', async (filter, words) => {
    const ours = await runNtk(['watch', '-n', '-r', LOOPBACK, filter], { env });
    const theirs = await runNtk(['-n', '-r', LOOPBACK, filter], { bin: 'tcpdump', env });
    expect(ours.code).toBe(1);
    expect(theirs.code).toBe(1);
    expect(ours.stdout).toBe('');
    expect(errorLines(ours.stderr)).toEqual(
      errorLines(theirs.stderr).map((l) => l.replace(/^tcpdump: /, 'ntk: watch: ')),
    );
    expect(errorLines(ours.stderr).at(-1)).toBe(`ntk: watch: ${words}`);
    expect(hasStackTrace(ours.stderr)).toBe(false);
  });

  it('a filter nested 5,000 parentheses deep is handled as libpcap handles it, without a crash', async () => {
    const deep = '('.repeat(5000) + 'tcp' + ')'.repeat(5000);
    const ours = await runNtk(['watch', '-n', '-r', LOOPBACK, deep], { env });
    const theirs = await runNtk(['-n', '-r', LOOPBACK, deep], { bin: 'tcpdump', env });
    expect(ours.signal).toBeNull();
    expect(ours.code).toBe(theirs.code);
    expect(ours.stdout).toBe(theirs.stdout);
    expect(errorLines(ours.stderr)).toEqual(
      errorLines(theirs.stderr).map((l) => l.replace(/^tcpdump: /, 'ntk: watch: ')),
    );
  });
});
