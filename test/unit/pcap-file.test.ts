import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureFormatError, CaptureParser, PcapFileSource, PcapWriter, pcapFileHeader, pcapRecord } from '../../src/capture/pcap-file';
import type { Packet } from '../../src/capture/source';
import { isNtkError } from '../../src/errors';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Classic pcap, little-endian, microseconds, Ethernet, snaplen 65535; one 4-byte record at 1.000002 s.
const LE_MICRO = hex('d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000  01000000 02000000 04000000 3c000000 deadbeef');
// The same in big-endian with nanoseconds (0xa1b23c4d).
const BE_NANO = hex('a1b23c4d 0002 0004 00000000 00000000 0000ffff 00000001  00000001 00000bb8 00000004 0000003c deadbeef');

function parseAll(chunks: Buffer[]): { pkts: Packet[]; parser: CaptureParser } {
  const parser = new CaptureParser();
  const pkts: Packet[] = [];
  for (const c of chunks) parser.feed(c, (p) => pkts.push(p));
  return { pkts, parser };
}

describe('CaptureParser', () => {
  it('reads little-endian microsecond files', () => {
    const { pkts, parser } = parseAll([LE_MICRO]);
    expect(parser.header).toEqual({ linktype: 1, snaplen: 65535 });
    expect(pkts).toHaveLength(1);
    expect(pkts[0]).toMatchObject({ tsSec: 1, tsNsec: 2000, caplen: 4, len: 60 });
    expect(Buffer.from(pkts[0]!.data).toString('hex')).toBe('deadbeef');
    parser.end();
  });

  it('reads big-endian nanosecond files', () => {
    const { pkts } = parseAll([BE_NANO]);
    expect(pkts[0]).toMatchObject({ tsSec: 1, tsNsec: 3000, caplen: 4, len: 60 });
  });

  it('accepts the file a byte at a time', () => {
    const chunks = [...LE_MICRO].map((b) => Buffer.from([b]));
    const { pkts, parser } = parseAll(chunks);
    expect(pkts).toHaveLength(1);
    parser.end();
  });

  it('reports a file cut inside a record the way libpcap words it', () => {
    const { pkts, parser } = parseAll([LE_MICRO.subarray(0, LE_MICRO.length - 1)]);
    expect(pkts).toHaveLength(0);
    expect(() => parser.end()).toThrow('truncated dump file; tried to read 4 captured bytes, only got 3');
    const cutHeader = parseAll([LE_MICRO.subarray(0, 30)]).parser;
    expect(() => cutHeader.end()).toThrow('truncated dump file; tried to read 16 header bytes, only got 6');
  });

  it('rejects what is not a capture file', () => {
    expect(() => parseAll([Buffer.from('hello, this is text\n')])).toThrow(CaptureFormatError);
    expect(() => parseAll([Buffer.from('hello, this is text\n')])).toThrow('unknown file format');
  });

  it('rejects absurd capture lengths', () => {
    const bad = Buffer.from(LE_MICRO);
    bad.writeUInt32LE(300000, 24 + 8);
    expect(() => parseAll([bad])).toThrow('invalid packet capture length 300000, bigger than maximum of 262144');
  });

  it('reads pcapng section, interface and enhanced packet blocks', () => {
    const shb = hex('0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000');
    // IDB: Ethernet, snaplen 0 (unlimited), if_tsresol 9 (nanoseconds).
    const idb = hex('01000000 20000000 0100 0000 00000000 0900 0100 09000000 0000 0000 20000000');
    // EPB: interface 0, timestamp 1.5 s in ns, 4 bytes captured of 60.
    const ts = 1_500_000_000n;
    const epb = Buffer.concat([
      hex('06000000 24000000 00000000'),
      Buffer.from(new Uint32Array([Number(ts >> 32n), Number(ts & 0xffffffffn)]).buffer),
      hex('04000000 3c000000 deadbeef 24000000'),
    ]);
    const { pkts, parser } = parseAll([shb, idb, epb]);
    expect(parser.header).toEqual({ linktype: 1, snaplen: 262144 });
    expect(pkts[0]).toMatchObject({ tsSec: 1, tsNsec: 500_000_000, caplen: 4, len: 60 });
  });
});

describe('PcapWriter', () => {
  it('writes what the parser reads back, with microsecond timestamps', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const w = new PcapWriter(out, 113, 262144);
    w.write({ tsSec: 7, tsNsec: 123_456_789, caplen: 3, len: 10, data: Uint8Array.from([1, 2, 3]) });
    w.flush();
    await new Promise((r) => setImmediate(r));
    const file = Buffer.concat(chunks);
    expect(file.subarray(0, 24)).toEqual(pcapFileHeader(113, 262144));
    const { pkts, parser } = parseAll([file]);
    expect(parser.header).toEqual({ linktype: 113, snaplen: 262144 });
    expect(pkts[0]).toMatchObject({ tsSec: 7, tsNsec: 123_456_000, caplen: 3, len: 10 });
    expect(pcapRecord(pkts[0]!).length).toBe(19);
  });
});

describe('PcapFileSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ntk-pcap-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('opens a file, delivers its packets and reports a cut end after them', async () => {
    const file = join(dir, 'cut.pcap');
    writeFileSync(file, Buffer.concat([LE_MICRO, LE_MICRO.subarray(24, 24 + 10)]));
    const src = await PcapFileSource.open(file);
    expect(src.linktype).toBe(1);
    const got: Packet[] = [];
    const end = await src.run({ packet: (p) => got.push(p) });
    expect(got).toHaveLength(1);
    expect(isNtkError(end.error) && end.error.code).toBe('E_FORMAT');
    expect(end.error?.message).toContain('truncated dump file; tried to read 16 header bytes, only got 10');
  });

  it('fails to open a missing file with E_IO and a text file with E_FORMAT', async () => {
    await expect(PcapFileSource.open(join(dir, 'missing.pcap'))).rejects.toMatchObject({ code: 'E_IO' });
    const text = join(dir, 'text.pcap');
    writeFileSync(text, 'not a capture\n');
    await expect(PcapFileSource.open(text)).rejects.toMatchObject({ code: 'E_FORMAT' });
  });
});
