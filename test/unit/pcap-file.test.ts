import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CaptureFormatError,
  CaptureParser,
  PcapFileSource,
  PcapWriter,
  pcapFileHeader,
  pcapRecord,
} from '../../src/watch/pcap-file';
import { packetBytes, type Packet } from '../../src/print/packet';
import { pumpPackets, type WatchOptions } from '../../src/watch/run';
import { isNtkError } from '../../src/lib/errors';
import { PrintContext } from '../../src/print/context';
import { memoryIo } from '../helpers/io';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Classic pcap, little-endian, microseconds, Ethernet, snaplen 65535; one 4-byte record at 1.000002 s.
const LE_MICRO = hex(
  'd4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000  01000000 02000000 04000000 3c000000 deadbeef',
);
// The same in big-endian with nanoseconds (0xa1b23c4d).
const BE_NANO = hex(
  'a1b23c4d 0002 0004 00000000 00000000 0000ffff 00000001  00000001 00000bb8 00000004 0000003c deadbeef',
);

function parseAll(chunks: Buffer[]): { pkts: Packet[]; parser: CaptureParser } {
  const parser = new CaptureParser();
  const pkts: Packet[] = [];
  for (const c of chunks) parser.feed(c, (p) => void pkts.push(p));
  return { pkts, parser };
}

describe('CaptureParser', () => {
  it('reads little-endian microsecond files', () => {
    const { pkts, parser } = parseAll([LE_MICRO]);
    expect(parser.header).toEqual({ linktype: 1, snaplen: 65535, bigEndian: false });
    expect(pkts).toHaveLength(1);
    expect(pkts[0]).toMatchObject({ tsSec: 1, tsNsec: 2000, caplen: 4, len: 60 });
    expect(Buffer.from(packetBytes(pkts[0]!)).toString('hex')).toBe('deadbeef');
    parser.end();
  });

  it('reads big-endian nanosecond files', () => {
    const { pkts, parser } = parseAll([BE_NANO]);
    expect(parser.header).toEqual({ linktype: 1, snaplen: 65535, bigEndian: true });
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
    expect(parser.header).toEqual({ linktype: 1, snaplen: 262144, bigEndian: false });
    expect(pkts[0]).toMatchObject({ tsSec: 1, tsNsec: 500_000_000, caplen: 4, len: 60 });
  });
});

describe('CaptureParser: pcapng sections and interfaces', () => {
  const shbLe = hex('0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000');
  const idbLe = (linktype: number): Buffer =>
    Buffer.concat([hex('01000000 14000000'), Buffer.from([linktype, 0]), hex('0000 00000000 14000000')]);
  const epbLe = hex('06000000 24000000 00000000 00000000 01000000 04000000 3c000000 deadbeef 24000000');
  const shbBe = hex('0a0d0d0a 0000001c 1a2b3c4d 0001 0000 ffffffffffffffff 0000001c');
  const idbBe = hex('00000001 00000014 0001 0000 00000000 00000014');
  const epbBe = hex('00000006 00000024 00000000 00000000 00000002 00000004 0000003c cafef00d 00000024');

  it('reads a second section in the other byte order in the same chunk', () => {
    const { pkts } = parseAll([Buffer.concat([shbLe, idbLe(1), epbLe, shbBe, idbBe, epbBe])]);
    expect(pkts.map((p) => Buffer.from(packetBytes(p)).toString('hex'))).toEqual(['deadbeef', 'cafef00d']);
    expect(pkts[1]).toMatchObject({ tsSec: 0, tsNsec: 2000, caplen: 4, len: 60 });
  });

  it('refuses an interface whose link type differs from the first one, as libpcap does, after the packets before it', () => {
    const parser = new CaptureParser();
    const pkts: Packet[] = [];
    expect(() =>
      parser.feed(Buffer.concat([shbLe, idbLe(1), epbLe, idbLe(101), epbLe]), (p) => void pkts.push(p)),
    ).toThrow(new CaptureFormatError('an interface has a type 101 different from the type of the first interface'));
    expect(pkts).toHaveLength(1);
  });

  it('stops after a packet the consumer cannot take, and goes on when fed again', () => {
    const parser = new CaptureParser();
    const pkts: Packet[] = [];
    const three = Buffer.concat([LE_MICRO, LE_MICRO.subarray(24), LE_MICRO.subarray(24)]);
    expect(parser.feed(three, (p) => pkts.push(p) < 2)).toBe(false);
    expect(pkts).toHaveLength(2);
    expect(parser.feed(new Uint8Array(0), (p) => void pkts.push(p))).toBe(true);
    expect(pkts).toHaveLength(3);
  });
});

describe('PcapWriter', () => {
  it('writes what the parser reads back, with microsecond timestamps', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const w = new PcapWriter(out, 113, 262144);
    w.write({ tsSec: 7, tsNsec: 123_456_789, caplen: 3, len: 10, data: Uint8Array.from([1, 2, 3]), offset: 0 });
    w.flush();
    await new Promise((r) => setImmediate(r));
    const file = Buffer.concat(chunks);
    expect(file.subarray(0, 24)).toEqual(pcapFileHeader(113, 262144));
    const { pkts, parser } = parseAll([file]);
    expect(parser.header).toEqual({ linktype: 113, snaplen: 262144, bigEndian: false });
    expect(pkts[0]).toMatchObject({ tsSec: 7, tsNsec: 123_456_000, caplen: 3, len: 10 });
    expect(pcapRecord(pkts[0]!).length).toBe(19);
  });
});

describe('PcapWriter backpressure', () => {
  it('says when the stream wants a wait for drain, so that -w from a file waits instead of queueing', () => {
    const out = new Writable({ highWaterMark: 1024, write: () => undefined });
    const w = new PcapWriter(out, 1, 262144);
    const pkt = { tsSec: 0, tsNsec: 0, caplen: 1000, len: 1000, data: new Uint8Array(1000), offset: 0 };
    let answers = 0;
    while (answers < 1000 && w.write(pkt)) answers++;
    expect(answers).toBeLessThan(100);
    expect(out.writableNeedDrain).toBe(true);
    expect(w.queued).toBe(0);
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
    const end = await src.run({ packet: (p) => void got.push(p) });
    expect(got).toHaveLength(1);
    expect(isNtkError(end.error) && end.error.code).toBe('E_FORMAT');
    expect(end.error?.message).toContain('truncated dump file; tried to read 16 header bytes, only got 10');
  });

  it('waits for the consumer in the middle of a chunk when its output is full', async () => {
    const file = join(dir, 'three.pcap');
    writeFileSync(file, Buffer.concat([LE_MICRO, LE_MICRO.subarray(24), LE_MICRO.subarray(24)]));
    const src = await PcapFileSource.open(file);
    let got = 0;
    // An output that is full after the first packet, until release() drains it.
    let full = false;
    let release = (): void => undefined;
    const run = src.run({
      packet: () => {
        full = ++got === 1;
        return !full;
      },
      backlog: () =>
        full
          ? new Promise<void>((r) => {
              release = () => {
                full = false;
                r();
              };
            })
          : undefined,
    });
    await new Promise((r) => setImmediate(r));
    expect(got).toBe(1);
    release();
    expect(await run).toEqual({});
    expect(got).toBe(3);
  });

  it('stops on Ctrl-C while waiting for an output that nobody reads', async () => {
    const file = join(dir, 'many.pcap');
    writeFileSync(file, Buffer.concat([LE_MICRO, ...Array.from({ length: 50000 }, () => LE_MICRO.subarray(24))]));
    const io = memoryIo();
    // A stdout that never finishes a write: after the first one, everything waits.
    const stuck = new Writable({ highWaterMark: 64, write: () => undefined });
    const opts: WatchOptions = {
      print: new PrintContext({ utc: true, hex: 1 }).opts,
      readFile: file,
      snaplen: 262144,
      filter: '',
      listDevices: false,
      noPromisc: false,
    };
    const src = await PcapFileSource.open(file);
    io.interrupt.addEventListener('abort', () => src.close());
    const pumped = pumpPackets(opts, { ...io, stdout: stuck }, src, undefined);
    await new Promise((r) => setImmediate(r));
    expect(stuck.writableNeedDrain).toBe(true);
    io.controller.abort('SIGINT');
    const { seen } = await pumped;
    expect(seen).toBeLessThan(50001);
  });

  /** A file of `n` records of 1000 bytes, record i filled with the byte i & 0xff (about a thousand make a chunk read at once). */
  function numbered(name: string, n: number): string {
    const file = join(dir, name);
    const recs = Array.from({ length: n }, (_, i) =>
      pcapRecord({ tsSec: i, tsNsec: 0, caplen: 1000, len: 1000, data: Buffer.alloc(1000, i & 0xff), offset: 0 }),
    );
    writeFileSync(file, Buffer.concat([pcapFileHeader(1, 65535), ...recs]));
    return file;
  }
  const intact = (p: Packet, i: number): boolean => p.caplen === 1000 && packetBytes(p).every((b) => b === (i & 0xff));

  it('hands a consumer that keeps packets memory of their own, which later reads never overwrite', async () => {
    const src = await PcapFileSource.open(numbered('kept.pcap', 5000));
    const got: Packet[] = [];
    expect(await src.run({ packet: (p) => void got.push(p) })).toEqual({});
    expect(got).toHaveLength(5000);
    expect(got.every(intact)).toBe(true);
  });

  it('reads a transient consumer every packet intact, also across pauses in the middle of a chunk', async () => {
    const src = await PcapFileSource.open(numbered('transient.pcap', 5000));
    let seen = 0;
    let bad = 0;
    let waits = 0;
    const end = await src.run({
      transient: true,
      packet: (p) => {
        if (!intact(p, seen++)) bad++;
        return seen % 700 !== 0;
      },
      backlog: () => (seen % 700 === 0 && waits++ < 10 ? new Promise<void>((r) => setImmediate(r)) : undefined),
    });
    expect(end).toEqual({});
    expect(seen).toBe(5000);
    expect(bad).toBe(0);
    expect(waits).toBeGreaterThan(0);
  });

  it('reads a transient consumer pcapng blocks larger than a whole record, across chunks, intact', async () => {
    // Enhanced packet blocks of 262144 bytes with two comments of 53900 bytes: 369988 bytes each, longer than any
    // classic pcap record. Two fit the first chunk, and the 308552 bytes of the third left at its end do not fit
    // the room kept before the next chunk.
    const shb = hex('0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000');
    const idb = hex('01000000 14000000 0100 0000 00000000 14000000');
    const COMMENT = 53900;
    const block = (i: number): Buffer => {
      const body = Buffer.alloc(20 + 262144 + 2 * (4 + COMMENT) + 4);
      body.writeUInt32LE(i, 8);
      body.writeUInt32LE(262144, 12);
      body.writeUInt32LE(262144, 16);
      body.fill(i & 0xff, 20, 20 + 262144);
      for (const at of [20 + 262144, 20 + 262144 + 4 + COMMENT]) {
        body.writeUInt16LE(1, at); // opt_comment
        body.writeUInt16LE(COMMENT, at + 2);
        body.fill(0x78, at + 4, at + 4 + COMMENT);
      }
      const len = 8 + body.length + 4;
      const h = Buffer.alloc(8);
      h.writeUInt32LE(6, 0);
      h.writeUInt32LE(len, 4);
      const t = Buffer.alloc(4);
      t.writeUInt32LE(len, 0);
      return Buffer.concat([h, body, t]);
    };
    expect(block(0).length).toBe(369988);
    const file = join(dir, 'big-blocks.pcapng');
    writeFileSync(file, Buffer.concat([shb, idb, ...Array.from({ length: 12 }, (_, i) => block(i))]));
    const src = await PcapFileSource.open(file);
    let seen = 0;
    let bad = 0;
    const end = await src.run({
      transient: true,
      packet: (p) => {
        if (p.caplen !== 262144 || !packetBytes(p).every((b) => b === (seen & 0xff))) bad++;
        seen++;
      },
    });
    expect(end).toEqual({});
    expect(seen).toBe(12);
    expect(bad).toBe(0);
  });

  it('closes the file when stopped while the next chunk is being read', async () => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const before = fds();
    const src = await PcapFileSource.open(numbered('stopped.pcap', 5000));
    let seen = 0;
    const end = await src.run({
      transient: true,
      packet: () => {
        // The first packet of the second chunk: the read of the third is under way.
        if (++seen === 1100) src.close();
      },
    });
    expect(end).toEqual({});
    expect(seen).toBe(1100);
    for (let i = 0; i < 100 && fds() > before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fds()).toBe(before);
  });

  it('fails to open a missing file with E_IO and a text file with E_FORMAT', async () => {
    await expect(PcapFileSource.open(join(dir, 'missing.pcap'))).rejects.toMatchObject({ code: 'E_IO' });
    const text = join(dir, 'text.pcap');
    writeFileSync(text, 'not a capture\n');
    await expect(PcapFileSource.open(text)).rejects.toMatchObject({ code: 'E_FORMAT' });
  });
});

describe('PcapFileSource.openStream', () => {
  it('stops at close() even while a read is waiting for data that never comes', async () => {
    const input = new PassThrough();
    input.write(LE_MICRO);
    const src = await PcapFileSource.openStream(input, '-');
    let got = 0;
    const run = src.run({ packet: () => void got++ });
    await new Promise((r) => setImmediate(r));
    expect(got).toBe(1);
    src.close();
    expect(await run).toEqual({});
    expect(input.destroyed).toBe(true);
  });
});
