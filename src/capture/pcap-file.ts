/**
 * pcap capture files: the classic format (https://www.tcpdump.org/manpages/pcap-savefile.5.html) in both byte
 * orders with microsecond (0xa1b2c3d4) or nanosecond (0xa1b23c4d) timestamps, and pcapng
 * (draft-ietf-opsawg-pcapng) section, interface and packet blocks. The parser is a pure state machine fed with
 * chunks; the file source reads big chunks and waits whenever the sink asks it to. The writer writes classic
 * pcap with microsecond timestamps, as tcpdump -w does.
 */
import { readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import type { Packet, PacketSink, PacketSource, SourceEnd } from './source.js';
import { createError } from '../errors.js';
import { errnoWords } from '../net/sockerr.js';

/** libpcap's largest snapshot length for ordinary link types (MAXIMUM_SNAPLEN). */
export const MAX_SNAPLEN = 262144;

const CHUNK = 1 << 20;

/** What a file's header says. */
export interface CaptureHeader {
  linktype: number;
  snaplen: number;
}

/** Thrown by the parser for a file it cannot read; `message` is libpcap's wording. */
export class CaptureFormatError extends Error {}

type Endian = 'le' | 'be';

function u32(b: Uint8Array, off: number, e: Endian): number {
  const a = b[off] as number;
  const c = b[off + 1] as number;
  const d = b[off + 2] as number;
  const f = b[off + 3] as number;
  return (e === 'le' ? a | (c << 8) | (d << 16) | (f << 24) : (a << 24) | (c << 16) | (d << 8) | f) >>> 0;
}

function u16(b: Uint8Array, off: number, e: Endian): number {
  const a = b[off] as number;
  const c = b[off + 1] as number;
  return e === 'le' ? a | (c << 8) : (a << 8) | c;
}

/**
 * Incremental parser of a capture file: feed() chunks, collect packets; end() reports a file that stopped in
 * the middle of a record. Handles classic pcap and pcapng.
 */
export class CaptureParser {
  header: CaptureHeader | undefined;
  private buf: Uint8Array = new Uint8Array(0);
  private kind: 'pcap' | 'pcapng' | undefined;
  private endian: Endian = 'le';
  private nano = false;
  /** Extra bytes per record in Kuznetzov's modified pcap (magic 0xa1b2cd34). */
  private extra = 0;
  /** pcapng: per interface, the link type and ticks per second. */
  private ifaces: { linktype: number; tsres: bigint }[] = [];
  private consumed = 0;

  /** Adds `chunk` (the next bytes of the file); calls `emit` for every complete packet. Throws CaptureFormatError. */
  feed(chunk: Uint8Array, emit: (pkt: Packet) => void, startsWithPending = false): void {
    if (this.buf.length === 0 || startsWithPending) this.buf = chunk;
    else {
      const joined = new Uint8Array(this.buf.length + chunk.length);
      joined.set(this.buf, 0);
      joined.set(chunk, this.buf.length);
      this.buf = joined;
    }
    let off = 0;
    const b = this.buf;
    if (this.kind === undefined) {
      if (b.length < 4) return;
      off = this.readFileHeader(b);
      if (off === 0) return;
    }
    off = this.kind === 'pcap' ? this.records(b, off, emit) : this.blocks(b, off, emit);
    this.consumed += off;
    this.buf = off >= b.length ? new Uint8Array(0) : b.subarray(off);
  }

  /** The bytes of an incomplete record kept from the last chunk (a reader can put them before the next one). */
  pending(): Uint8Array {
    return this.buf;
  }

  /** Called at the end of the file: throws CaptureFormatError when it ended inside a header or record. */
  end(): void {
    const left = this.buf.length;
    if (this.kind === undefined) {
      if (left < 4) {
        if (left === 0) throw new CaptureFormatError('unknown file format');
        throw new CaptureFormatError(`truncated dump file; tried to read 4 file header bytes, only got ${left}`);
      }
      throw new CaptureFormatError(`truncated dump file; tried to read 24 file header bytes, only got ${left}`);
    }
    if (left === 0) return;
    if (this.kind === 'pcap') {
      const hdr = 16 + this.extra;
      if (left < hdr) throw new CaptureFormatError(`truncated dump file; tried to read ${hdr} header bytes, only got ${left}`);
      const caplen = u32(this.buf, 8, this.endian);
      throw new CaptureFormatError(`truncated dump file; tried to read ${caplen} captured bytes, only got ${left - hdr}`);
    }
    throw new CaptureFormatError(`truncated pcapng dump file; tried to read a block, only got ${left} bytes`);
  }

  private readFileHeader(b: Uint8Array): number {
    const magicLe = u32(b, 0, 'le');
    if (magicLe === 0x0a0d0d0a) {
      this.kind = 'pcapng';
      return 0 + this.sectionHeaderLength(b);
    }
    const magics: Record<number, [Endian, boolean, number]> = {
      0xa1b2c3d4: ['le', false, 0],
      0xa1b23c4d: ['le', true, 0],
      0xa1b2cd34: ['le', false, 8],
    };
    let found = magics[magicLe];
    if (found === undefined) {
      const be = magics[u32(b, 0, 'be')];
      if (be !== undefined) found = ['be', be[1], be[2]];
    }
    if (found === undefined) throw new CaptureFormatError('unknown file format');
    if (b.length < 24) return 0;
    [this.endian, this.nano, this.extra] = found;
    const major = u16(b, 4, this.endian);
    const minor = u16(b, 6, this.endian);
    if (major < 2) throw new CaptureFormatError('archaic pcap savefile format');
    if (major !== 2 || minor > 4) throw new CaptureFormatError(`unsupported pcap savefile version ${major}.${minor}`);
    let snaplen = u32(b, 16, this.endian);
    if (snaplen === 0 || snaplen > MAX_SNAPLEN) snaplen = MAX_SNAPLEN;
    this.header = { linktype: u32(b, 20, this.endian) & 0x03ffffff, snaplen };
    this.kind = 'pcap';
    return 24;
  }

  private records(b: Uint8Array, off: number, emit: (pkt: Packet) => void): number {
    const e = this.endian;
    const hdr = 16 + this.extra;
    const snaplen = (this.header as CaptureHeader).snaplen;
    while (off + hdr <= b.length) {
      const caplen = u32(b, off + 8, e);
      if (caplen > MAX_SNAPLEN) {
        throw new CaptureFormatError(`invalid packet capture length ${caplen}, bigger than maximum of ${MAX_SNAPLEN}`);
      }
      if (off + hdr + caplen > b.length) break;
      const sec = u32(b, off, e);
      const frac = u32(b, off + 4, e);
      const len = u32(b, off + 12, e);
      // Like libpcap: a record longer than the file's snapshot length is cut to it.
      const keep = Math.min(caplen, snaplen);
      const data = b.subarray(off + hdr, off + hdr + keep);
      // libpcap scales nanoseconds down as a signed 32-bit number; damaged files keep that quirk visible.
      const tsNsec = this.nano ? (frac < 1e9 ? frac : Math.trunc((frac | 0) / 1000) * 1000) : frac * 1000;
      emit({ tsSec: sec, tsNsec, caplen: keep, len, data });
      off += hdr + caplen;
    }
    return off;
  }

  /** pcapng: the section header's length once it is all here (0 until then); sets the byte order. */
  private sectionHeaderLength(b: Uint8Array): number {
    if (b.length < 12) return 0;
    const bom = u32(b, 8, 'le');
    if (bom === 0x1a2b3c4d) this.endian = 'le';
    else if (bom === 0x4d3c2b1a) this.endian = 'be';
    else throw new CaptureFormatError('unknown file format');
    const len = u32(b, 4, this.endian);
    if (len < 28 || len % 4 !== 0) throw new CaptureFormatError(`pcapng block size ${len} is invalid`);
    return b.length >= len ? len : 0;
  }

  private blocks(b: Uint8Array, off: number, emit: (pkt: Packet) => void): number {
    const e = this.endian;
    while (off + 12 <= b.length) {
      const type = u32(b, off, e);
      const len = type === 0x0a0d0d0a ? u32(b, off + 4, u32(b, off + 8, 'le') === 0x1a2b3c4d ? 'le' : 'be') : u32(b, off + 4, e);
      if (len < 12 || len % 4 !== 0 || len > 16 * MAX_SNAPLEN) throw new CaptureFormatError(`pcapng block size ${len} is invalid`);
      if (off + len > b.length) break;
      const body = off + 8;
      const bodyEnd = off + len - 4;
      if (type === 0x0a0d0d0a) {
        this.endian = u32(b, off + 8, 'le') === 0x1a2b3c4d ? 'le' : 'be';
        this.ifaces = [];
      } else if (type === 1 && bodyEnd - body >= 8) {
        const linktype = u16(b, body, e);
        let snaplen = u32(b, body + 4, e);
        if (snaplen === 0 || snaplen > MAX_SNAPLEN) snaplen = MAX_SNAPLEN;
        let tsres = 1000000n;
        for (let p = body + 8; p + 4 <= bodyEnd; ) {
          const code = u16(b, p, e);
          const olen = u16(b, p + 2, e);
          if (code === 0) break;
          if (code === 9 && olen >= 1 && p + 5 <= bodyEnd) {
            const v = b[p + 4] as number;
            tsres = v & 0x80 ? 1n << BigInt(v & 0x7f) : 10n ** BigInt(v);
          }
          p += 4 + ((olen + 3) & ~3);
        }
        this.ifaces.push({ linktype, tsres });
        if (this.header === undefined) this.header = { linktype, snaplen };
      } else if ((type === 6 || type === 2) && bodyEnd - body >= 20) {
        const ifId = type === 6 ? u32(b, body, e) : u16(b, body, e);
        const iface = this.ifaces[ifId];
        if (iface === undefined) throw new CaptureFormatError(`pcapng packet for unknown interface ${ifId}`);
        const ts = (BigInt(u32(b, body + 4, e)) << 32n) | BigInt(u32(b, body + 8, e));
        const caplen = u32(b, body + 12, e);
        const wire = u32(b, body + 16, e);
        if (body + 20 + caplen > bodyEnd) throw new CaptureFormatError(`pcapng packet length ${caplen} is bigger than its block`);
        const sec = ts / iface.tsres;
        const nsec = ((ts % iface.tsres) * 1000000000n) / iface.tsres;
        emit({ tsSec: Number(sec), tsNsec: Number(nsec), caplen, len: wire, data: b.subarray(body + 20, body + 20 + caplen) });
      } else if (type === 3 && bodyEnd - body >= 4) {
        const wire = u32(b, body, e);
        const caplen = Math.min(wire, bodyEnd - body - 4);
        emit({ tsSec: 0, tsNsec: 0, caplen, len: wire, data: b.subarray(body + 4, body + 4 + caplen) });
      }
      off += len;
    }
    return off;
  }
}

/** A PacketSource reading a capture file. */
export class PcapFileSource implements PacketSource {
  readonly linktype: number;
  readonly snaplen: number;
  private closed = false;
  private running = false;
  private readonly fd: number;

  private constructor(
    private readonly path: string,
    private readonly fh: import('node:fs/promises').FileHandle,
    private readonly parser: CaptureParser,
    /** Packets that came with the header's chunk, delivered first. */
    private pending: Packet[],
    header: CaptureHeader,
  ) {
    this.fd = fh.fd;
    this.linktype = header.linktype;
    this.snaplen = header.snaplen;
  }

  /** Opens `path` and reads its header; throws E_IO (cannot open) or E_FORMAT (not a capture file). */
  static async open(path: string): Promise<PcapFileSource> {
    let fh;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      throw createError('E_IO', 'watch', `${path}: ${errnoWords(err)}`, { cause: err });
    }
    const parser = new CaptureParser();
    const pending: Packet[] = [];
    try {
      // Read until the header (and for pcapng, the first interface) is known.
      for (;;) {
        const chunk = readChunk(fh.fd);
        if (chunk.length === 0) {
          parser.end();
          break;
        }
        parser.feed(chunk, (p) => pending.push(p));
        if (parser.header !== undefined) break;
      }
    } catch (err) {
      await fh.close();
      if (err instanceof CaptureFormatError) throw createError('E_FORMAT', 'watch', `${path}: ${err.message}`);
      throw createError('E_IO', 'watch', `${path}: ${errnoWords(err)}`, { cause: err });
    }
    if (parser.header === undefined) {
      await fh.close();
      throw createError('E_FORMAT', 'watch', `${path}: no interface description in the file`);
    }
    return new PcapFileSource(path, fh, parser, pending, parser.header);
  }

  async run(sink: PacketSink): Promise<SourceEnd> {
    this.running = true;
    const deliver = (p: Packet): void => {
      if (!this.closed) sink.packet(p);
    };
    try {
      for (const p of this.pending) deliver(p);
      this.pending = [];
      for (;;) {
        if (this.closed) return {};
        const wait = sink.backlog?.();
        if (wait) await wait;
        if (this.closed) return {};
        // Read after the incomplete record left over, so that only that record is ever copied.
        const left = this.parser.pending();
        const chunk = readChunk(this.fd, left);
        if (chunk.length === left.length) {
          this.parser.end();
          return {};
        }
        this.parser.feed(chunk, deliver, true);
      }
    } catch (err) {
      if (err instanceof CaptureFormatError) return { error: createError('E_FORMAT', 'watch', `${this.path}: ${err.message}`) };
      return { error: createError('E_IO', 'watch', `${this.path}: ${errnoWords(err)}`, { cause: err }) };
    } finally {
      await this.fh.close().catch(() => undefined);
    }
  }

  close(): void {
    this.closed = true;
    // Before run() the file is still ours to close; after, run() closes it when it returns.
    if (!this.running) void this.fh.close().catch(() => undefined);
  }
}

/**
 * Reads the next chunk of the file after a copy of `left`; returns left + what was read. Synchronous on
 * purpose: a local file read is a copy from the page cache, cheaper than a trip through the thread pool.
 */
function readChunk(fd: number, left: Uint8Array = new Uint8Array(0)): Uint8Array {
  // A fresh buffer each time: packets handed out are views into it and must stay valid.
  const size = Math.max(CHUNK, left.length * 2);
  const buf = Buffer.allocUnsafe(size);
  buf.set(left, 0);
  const bytesRead = readSync(fd, buf, left.length, size - left.length, null);
  // A plain Uint8Array view: packets are cut from it by the hundred thousand, and Uint8Array.subarray is
  // cheaper than Buffer's.
  return new Uint8Array(buf.buffer, buf.byteOffset, left.length + bytesRead);
}

/** Returns the 24-byte classic pcap header (host byte order, microseconds) for `linktype` and `snaplen`. */
export function pcapFileHeader(linktype: number, snaplen: number): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(snaplen, 16);
  h.writeUInt32LE(linktype, 20);
  return h;
}

/** Returns one classic pcap record (16-byte header with microseconds, then the data). */
export function pcapRecord(pkt: Packet): Buffer {
  const rec = Buffer.allocUnsafe(16 + pkt.caplen);
  rec.writeUInt32LE(pkt.tsSec >>> 0, 0);
  rec.writeUInt32LE(Math.floor(pkt.tsNsec / 1000) >>> 0, 4);
  rec.writeUInt32LE(pkt.caplen, 8);
  rec.writeUInt32LE(pkt.len >>> 0, 12);
  rec.set(pkt.data.subarray(0, pkt.caplen), 16);
  return rec;
}

/** Writes classic pcap to a stream in batches; write() reports when the stream wants the caller to wait. */
export class PcapWriter {
  private batch: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly out: Writable,
    linktype: number,
    snaplen: number,
  ) {
    this.batch.push(pcapFileHeader(linktype, snaplen));
    this.size = 24;
  }

  /** Queues one packet; flushes when the batch is large. */
  write(pkt: Packet): void {
    const rec = pcapRecord(pkt);
    this.batch.push(rec);
    this.size += rec.length;
    if (this.size >= 1 << 16) this.flush();
  }

  /** Writes what is queued; returns false when the stream's buffer is full (wait for 'drain'). */
  flush(): boolean {
    if (this.size === 0) return !this.out.writableNeedDrain;
    const data = Buffer.concat(this.batch, this.size);
    this.batch = [];
    this.size = 0;
    return this.out.write(data);
  }
}

/** A PacketSource reading a capture from a stream (`-r -`: standard input). */
export class PcapStreamSource implements PacketSource {
  readonly linktype: number;
  readonly snaplen: number;
  private closed = false;

  private constructor(
    private readonly name: string,
    private readonly chunks: AsyncIterator<Uint8Array>,
    private readonly parser: CaptureParser,
    private pending: Packet[],
    header: CaptureHeader,
  ) {
    this.linktype = header.linktype;
    this.snaplen = header.snaplen;
  }

  /** Reads the header from `stream`; throws E_FORMAT (not a capture) or E_IO. `name` is used in messages. */
  static async open(stream: Readable, name: string): Promise<PcapStreamSource> {
    const chunks = (stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>);
    const parser = new CaptureParser();
    const pending: Packet[] = [];
    try {
      while (parser.header === undefined) {
        const next = await chunks.next();
        if (next.done) {
          parser.end();
          break;
        }
        parser.feed(next.value, (p) => pending.push(p));
      }
    } catch (err) {
      if (err instanceof CaptureFormatError) throw createError('E_FORMAT', 'watch', `${name}: ${err.message}`);
      throw createError('E_IO', 'watch', `${name}: ${errnoWords(err)}`, { cause: err });
    }
    if (parser.header === undefined) throw createError('E_FORMAT', 'watch', `${name}: no interface description in the file`);
    return new PcapStreamSource(name, chunks, parser, pending, parser.header);
  }

  async run(sink: PacketSink): Promise<SourceEnd> {
    const deliver = (p: Packet): void => {
      if (!this.closed) sink.packet(p);
    };
    try {
      for (const p of this.pending) deliver(p);
      this.pending = [];
      for (;;) {
        if (this.closed) return {};
        const wait = sink.backlog?.();
        if (wait) await wait;
        const next = await this.chunks.next();
        if (this.closed) return {};
        if (next.done) {
          this.parser.end();
          return {};
        }
        this.parser.feed(next.value, deliver);
      }
    } catch (err) {
      if (err instanceof CaptureFormatError) return { error: createError('E_FORMAT', 'watch', `${this.name}: ${err.message}`) };
      return { error: createError('E_IO', 'watch', `${this.name}: ${errnoWords(err)}`, { cause: err }) };
    }
  }

  close(): void {
    this.closed = true;
    void this.chunks.return?.();
  }
}
