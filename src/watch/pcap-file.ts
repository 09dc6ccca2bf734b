/**
 * pcap capture files: the classic format (https://www.tcpdump.org/manpages/pcap-savefile.5.html) in both byte
 * orders with microsecond (0xa1b2c3d4) or nanosecond (0xa1b23c4d) timestamps, and pcapng
 * (draft-ietf-opsawg-pcapng) section, interface and packet blocks. The parser is a pure state machine fed with
 * chunks, and stops after any packet the consumer cannot take yet; the file source reads big chunks and waits
 * whenever the sink asks it to, and reads anything but a regular file as a stream. The writer writes classic
 * pcap with microsecond timestamps, as tcpdump -w does.
 */
import { close, closeSync, createReadStream, fstatSync, open, read, readSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { type PacketSink, type PacketSource, type SourceEnd } from './source.js';
import { MAX_SNAPLEN, packetBytes, type Packet } from '../print/packet.js';
import { createError } from '../lib/errors.js';
import { errnoWords } from '../lib/errno.js';

const CHUNK = 1 << 20;

// File magic numbers and pcapng block and option types, as libpcap names them (sf-pcap.c, sf-pcapng.c; the
// pcapng draft, draft-ietf-opsawg-pcapng).
const TCPDUMP_MAGIC = 0xa1b2c3d4;
const NSEC_TCPDUMP_MAGIC = 0xa1b23c4d;
const KUZNETZOV_TCPDUMP_MAGIC = 0xa1b2cd34;
/** Section Header Block: also the pcapng file magic; the same bytes in either byte order. */
const BT_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a;
/** Interface Description Block. */
const BT_IDB = 1;
/** Packet Block (obsolete). */
const BT_PB = 2;
/** Simple Packet Block. */
const BT_SPB = 3;
/** Enhanced Packet Block. */
const BT_EPB = 6;
const OPT_ENDOFOPT = 0;
/** if_tsresol: the interface's timestamp resolution. */
const IF_TSRESOL = 9;

/** What a file's header says. */
export interface CaptureHeader {
  linktype: number;
  snaplen: number;
  /** The file (pcapng: its first section) is big-endian: libpcap compiles DLT_NULL filters for that order. */
  bigEndian: boolean;
}

/** Takes one parsed packet; false asks the parser to stop after it. */
type Emit = (pkt: Packet) => boolean | void;

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

/** Returns `a` followed by `b`, copying only when both have bytes. */
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
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

  /**
   * Adds `chunk` (the next bytes of the file); calls `emit` for every complete packet, stopping early after one
   * for which it returns false. Returns false when it stopped early (feed an empty chunk to go on), true when
   * every complete record was read. Throws CaptureFormatError.
   */
  feed(chunk: Uint8Array, emit: Emit, startsWithPending = false): boolean {
    this.buf = startsWithPending ? chunk : concat(this.buf, chunk);
    let off = 0;
    const b = this.buf;
    if (this.kind === undefined) {
      if (b.length < 4) return true;
      off = this.readFileHeader(b);
      if (off === 0) return true;
    }
    const stop = { early: false };
    off = this.kind === 'pcap' ? this.records(b, off, emit, stop) : this.blocks(b, off, emit, stop);
    this.buf = off >= b.length ? new Uint8Array(0) : b.subarray(off);
    return !stop.early;
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
      if (left < hdr)
        throw new CaptureFormatError(`truncated dump file; tried to read ${hdr} header bytes, only got ${left}`);
      const caplen = u32(this.buf, 8, this.endian);
      throw new CaptureFormatError(
        `truncated dump file; tried to read ${caplen} captured bytes, only got ${left - hdr}`,
      );
    }
    throw new CaptureFormatError(`truncated pcapng dump file; tried to read a block, only got ${left} bytes`);
  }

  private readFileHeader(b: Uint8Array): number {
    const magicLe = u32(b, 0, 'le');
    if (magicLe === BT_SHB) {
      this.kind = 'pcapng';
      return 0 + this.sectionHeaderLength(b);
    }
    const magics: Record<number, [Endian, boolean, number]> = {
      [TCPDUMP_MAGIC]: ['le', false, 0],
      [NSEC_TCPDUMP_MAGIC]: ['le', true, 0],
      [KUZNETZOV_TCPDUMP_MAGIC]: ['le', false, 8],
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
    this.header = { linktype: u32(b, 20, this.endian) & 0x03ffffff, snaplen, bigEndian: this.endian === 'be' };
    this.kind = 'pcap';
    return 24;
  }

  private records(b: Uint8Array, off: number, emit: Emit, stop: { early: boolean }): number {
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
      const at = off + hdr;
      // libpcap scales nanoseconds down as a signed 32-bit number; damaged files keep that quirk visible.
      const tsNsec = this.nano ? (frac < 1e9 ? frac : Math.trunc((frac | 0) / 1000) * 1000) : frac * 1000;
      off += hdr + caplen;
      if (emit({ tsSec: sec, tsNsec, caplen: keep, len, data: b, offset: at }) === false) {
        stop.early = true;
        break;
      }
    }
    return off;
  }

  /** pcapng: the section header's length once it is all here (0 until then); sets the byte order. */
  private sectionHeaderLength(b: Uint8Array): number {
    if (b.length < 12) return 0;
    const bom = u32(b, 8, 'le');
    if (bom === BYTE_ORDER_MAGIC) this.endian = 'le';
    else if (bom === BYTE_ORDER_MAGIC_SWAPPED) this.endian = 'be';
    else throw new CaptureFormatError('unknown file format');
    const len = u32(b, 4, this.endian);
    if (len < 28 || len % 4 !== 0) throw new CaptureFormatError(`pcapng block size ${len} is invalid`);
    return b.length >= len ? len : 0;
  }

  private blocks(b: Uint8Array, off: number, emit: Emit, stop: { early: boolean }): number {
    while (off + 12 <= b.length) {
      // Not hoisted out of the loop: each section header sets the byte order of the blocks after it.
      const e = this.endian;
      const type = u32(b, off, e);
      const len =
        type === BT_SHB
          ? u32(b, off + 4, u32(b, off + 8, 'le') === BYTE_ORDER_MAGIC ? 'le' : 'be')
          : u32(b, off + 4, e);
      if (len < 12 || len % 4 !== 0 || len > 16 * MAX_SNAPLEN)
        throw new CaptureFormatError(`pcapng block size ${len} is invalid`);
      if (off + len > b.length) break;
      const body = off + 8;
      const bodyEnd = off + len - 4;
      let pkt: Packet | undefined;
      if (type === BT_SHB) {
        this.endian = u32(b, off + 8, 'le') === BYTE_ORDER_MAGIC ? 'le' : 'be';
        this.ifaces = [];
      } else if (type === BT_IDB && bodyEnd - body >= 8) {
        const linktype = u16(b, body, e);
        let snaplen = u32(b, body + 4, e);
        if (snaplen === 0 || snaplen > MAX_SNAPLEN) snaplen = MAX_SNAPLEN;
        let tsres = 1000000n;
        for (let p = body + 8; p + 4 <= bodyEnd;) {
          const code = u16(b, p, e);
          const olen = u16(b, p + 2, e);
          if (code === OPT_ENDOFOPT) break;
          if (code === IF_TSRESOL && olen >= 1 && p + 5 <= bodyEnd) {
            const v = b[p + 4] as number;
            tsres = v & 0x80 ? 1n << BigInt(v & 0x7f) : 10n ** BigInt(v);
          }
          p += 4 + ((olen + 3) & ~3);
        }
        // libpcap prints every packet with the first interface's link type, so it refuses files that mix them.
        if (this.header === undefined) this.header = { linktype, snaplen, bigEndian: e === 'be' };
        else if (linktype !== this.header.linktype) {
          throw new CaptureFormatError(
            `an interface has a type ${linktype} different from the type of the first interface`,
          );
        }
        this.ifaces.push({ linktype, tsres });
      } else if ((type === BT_EPB || type === BT_PB) && bodyEnd - body >= 20) {
        const ifId = type === BT_EPB ? u32(b, body, e) : u16(b, body, e);
        const iface = this.ifaces[ifId];
        if (iface === undefined) throw new CaptureFormatError(`pcapng packet for unknown interface ${ifId}`);
        const ts = (BigInt(u32(b, body + 4, e)) << 32n) | BigInt(u32(b, body + 8, e));
        const caplen = u32(b, body + 12, e);
        const wire = u32(b, body + 16, e);
        if (body + 20 + caplen > bodyEnd)
          throw new CaptureFormatError(`pcapng packet length ${caplen} is bigger than its block`);
        const sec = ts / iface.tsres;
        const nsec = ((ts % iface.tsres) * 1000000000n) / iface.tsres;
        pkt = {
          tsSec: Number(sec),
          tsNsec: Number(nsec),
          caplen,
          len: wire,
          data: b,
          offset: body + 20,
        };
      } else if (type === BT_SPB && bodyEnd - body >= 4) {
        const wire = u32(b, body, e);
        const caplen = Math.min(wire, bodyEnd - body - 4);
        pkt = { tsSec: 0, tsNsec: 0, caplen, len: wire, data: b, offset: body + 4 };
      }
      off += len;
      if (pkt !== undefined && emit(pkt) === false) {
        stop.early = true;
        break;
      }
    }
    return off;
  }
}

const openFile = promisify(open);
const closeFile = promisify(close);
const EMPTY = new Uint8Array(0);

/** Turns what reading the header threw into the error open() reports (E_FORMAT or E_IO), naming `name`. */
function readError(err: unknown, name: string): Error {
  if (err instanceof CaptureFormatError) return createError('E_FORMAT', 'watch', `${name}: ${err.message}`);
  return createError('E_IO', 'watch', `${name}: ${errnoWords(err)}`, { cause: err });
}

/** Where a capture's bytes come from: a regular file (fileReader) or a stream (streamReader). */
interface ChunkReader {
  /**
   * Returns `left` (the parser's incomplete record) followed by the next bytes read; null at the end. With
   * `reuse` (the consumer keeps nothing of a packet), the memory of chunks returned before may be filled again,
   * all but the one that holds `left`.
   */
  next(left: Uint8Array, reuse: boolean): Uint8Array | null | Promise<Uint8Array | null>;
  /** Releases the file or stream; may be called more than once, and abandons a read that is waiting. */
  close(): void;
}

/** Room kept before each chunk read ahead, for the incomplete record left over from the chunk before it. */
const LEFT_ROOM = MAX_SNAPLEN + 64;

/**
 * Reads a regular file in big chunks, after a copy of the incomplete record left over, so that only that record
 * is ever copied. While the consumer takes the packets of one chunk, the next is read in the thread pool: the
 * copy from the page cache then costs the thread that prints nothing. That needs a consumer that keeps nothing of
 * a packet, so that two buffers can be filled in turn (fresh memory for every chunk would also cost the kernel a
 * page fault per page, which for a large file is more than the copy itself). For any other consumer, and for the
 * first chunk (read with the header), each chunk is read synchronously into fresh memory.
 */
function fileReader(fd: number): ChunkReader {
  let closed = false;
  /** The read of the next chunk into `aheadBuf` (after LEFT_ROOM bytes), while one is under way or done. */
  let ahead: Promise<number> | undefined;
  let aheadBuf: Buffer | undefined;
  let reading = false;
  /** The buffer of the chunk handed out last: the next read ahead goes into it once its leftover is copied. */
  let spare: Buffer | undefined;
  const closeFd = (): void => {
    // The descriptor's number may belong to a file opened since: closed once only, and never under a read.
    try {
      closeSync(fd);
    } catch {
      // nothing to do: the descriptor is gone either way
    }
  };
  const readAhead = (buf: Buffer): void => {
    aheadBuf = buf;
    reading = true;
    ahead = new Promise<number>((resolve, reject) => {
      read(fd, buf, LEFT_ROOM, CHUNK, null, (err, n) => {
        reading = false;
        if (closed) closeFd();
        if (err) reject(err);
        else resolve(n);
      });
    });
    // A read abandoned by close() may fail with nobody waiting for it.
    ahead.catch(() => undefined);
  };
  const nextAhead = async (left: Uint8Array): Promise<Uint8Array | null> => {
    if (ahead === undefined) readAhead(Buffer.allocUnsafe(LEFT_ROOM + CHUNK));
    const n = await (ahead as Promise<number>);
    const buf = aheadBuf as Buffer;
    ahead = undefined;
    if (n === 0 || closed) return null;
    let chunk: Uint8Array;
    if (left.length <= LEFT_ROOM) {
      chunk = new Uint8Array(buf.buffer, buf.byteOffset + LEFT_ROOM - left.length, left.length + n);
      chunk.set(left, 0);
    } else chunk = concat(left, buf.subarray(LEFT_ROOM, LEFT_ROOM + n));
    // `left` is copied: the memory it lay in (the chunk before, nothing of which is kept) takes the next read.
    const next = spare !== undefined && spare !== buf ? spare : Buffer.allocUnsafe(LEFT_ROOM + CHUNK);
    spare = buf;
    readAhead(next);
    return chunk;
  };
  return {
    next(left: Uint8Array, reuse: boolean): Uint8Array | null | Promise<Uint8Array | null> {
      if (reuse || ahead !== undefined) return nextAhead(left);
      const chunk = readChunk(fd, left);
      return chunk.length === left.length ? null : chunk;
    },
    close(): void {
      // Closing a regular file never blocks, and done here it costs no trip through the thread pool.
      if (!closed && !reading) closeFd();
      closed = true;
    },
  };
}

/** Reads the next chunk of the file, after a copy of `left`, into fresh memory; returns left + what was read. */
function readChunk(fd: number, left: Uint8Array): Uint8Array {
  const size = Math.max(CHUNK, left.length * 2);
  const buf = Buffer.allocUnsafe(size);
  buf.set(left, 0);
  const bytesRead = readSync(fd, buf, left.length, size - left.length, null);
  // A plain Uint8Array view: the printers' reads of it are cheaper than through a Buffer.
  return new Uint8Array(buf.buffer, buf.byteOffset, left.length + bytesRead);
}

/**
 * Reads a stream (standard input, a FIFO) chunk by chunk. close() destroys the stream and abandons a read
 * that is waiting: one in the thread pool (a terminal, a device) or on a FIFO nobody writes to may never end
 * by itself, and Ctrl-C must still be heard.
 */
function streamReader(stream: Readable): ChunkReader {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  let stop: () => void = () => undefined;
  const stopped = new Promise<undefined>((resolve) => (stop = () => resolve(undefined)));
  return {
    async next(left: Uint8Array): Promise<Uint8Array | null> {
      const got = await Promise.race([chunks.next(), stopped]);
      return got === undefined || got.done === true ? null : concat(left, got.value);
    },
    close(): void {
      stop();
      stream.destroy();
    },
  };
}

/**
 * A PacketSource reading a capture file. A regular file is read in big synchronous chunks; anything else (a
 * FIFO, /dev/stdin on a pipe, `-r -`) is read as a stream, since a blocking read would keep Ctrl-C from being
 * heard.
 */
export class PcapFileSource implements PacketSource {
  readonly linktype: number;
  readonly snaplen: number;
  /** The file's byte order is big-endian (what libpcap's filter compiler needs to know of a file). */
  readonly bigEndian: boolean;
  private closed = false;

  private constructor(
    private readonly name: string,
    private readonly reader: ChunkReader,
    private readonly parser: CaptureParser,
    /** The packet parsed with the header, delivered first. */
    private pending: Packet[],
    /** An error found after those packets, reported after them (libpcap prints packets up to a bad block). */
    private readonly endError: Error | undefined,
    /** The parser stopped with complete records left in its buffer. */
    private readonly rest: boolean,
  ) {
    const header = parser.header as CaptureHeader;
    this.linktype = header.linktype;
    this.snaplen = header.snaplen;
    this.bigEndian = header.bigEndian;
  }

  /** Opens `path` and reads its header; throws E_IO (cannot open) or E_FORMAT (not a capture file). */
  static async open(path: string): Promise<PcapFileSource> {
    let fd: number;
    let regular: boolean;
    let pipe: boolean;
    try {
      fd = await openFile(path, 'r');
    } catch (err) {
      throw readError(err, path);
    }
    try {
      const st = fstatSync(fd);
      regular = st.isFile();
      pipe = st.isFIFO() || st.isSocket();
    } catch (err) {
      await closeFile(fd).catch(() => undefined);
      throw readError(err, path);
    }
    if (regular) return PcapFileSource.start(fileReader(fd), path);
    return PcapFileSource.openStream(
      pipe ? new Socket({ fd, readable: true, writable: false }) : createReadStream('', { fd }),
      path,
    );
  }

  /** Reads the header from `stream`; throws E_FORMAT (not a capture) or E_IO. `name` is used in messages. */
  static openStream(stream: Readable, name: string): Promise<PcapFileSource> {
    return PcapFileSource.start(streamReader(stream), name);
  }

  /** Reads until the header (and for pcapng, the first interface) is known; closes `reader` when it throws. */
  private static async start(reader: ChunkReader, name: string): Promise<PcapFileSource> {
    const parser = new CaptureParser();
    const pending: Packet[] = [];
    let endError: Error | undefined;
    let rest = false;
    try {
      while (parser.header === undefined) {
        const chunk = await reader.next(parser.pending(), false);
        if (chunk === null) {
          parser.end();
          break;
        }
        // Only the header is wanted here: parsing stops after the first packet, and run() parses the rest of
        // the chunk, with the one function that takes every later packet.
        const first = (p: Packet): boolean => {
          pending.push(p);
          return false;
        };
        rest = !parser.feed(chunk, first, true);
      }
    } catch (err) {
      if (parser.header !== undefined && err instanceof CaptureFormatError) endError = readError(err, name);
      else {
        reader.close();
        throw readError(err, name);
      }
    }
    if (parser.header === undefined) {
      reader.close();
      throw createError('E_FORMAT', 'watch', `${name}: no interface description in the file`);
    }
    return new PcapFileSource(name, reader, parser, pending, endError, rest);
  }

  async run(sink: PacketSink): Promise<SourceEnd> {
    const deliver = (p: Packet): boolean => !this.closed && sink.packet(p) !== false;
    try {
      for (const p of this.pending) {
        if (this.closed) return {};
        if (!deliver(p)) await sink.backlog?.();
      }
      this.pending = [];
      if (this.endError !== undefined) return { error: this.endError };
      // True when the parser stopped (for the sink, or after the header) with complete records left in its buffer.
      let rest = this.rest;
      for (;;) {
        if (this.closed) return {};
        const wait = sink.backlog?.();
        if (wait) await wait;
        if (this.closed) return {};
        if (rest) {
          rest = !this.parser.feed(EMPTY, deliver);
          continue;
        }
        // Not awaited when the reader answers at once (a regular file): no extra turn per chunk.
        const next = this.reader.next(this.parser.pending(), sink.transient === true);
        const chunk = next instanceof Promise ? await next : next;
        if (this.closed) return {};
        if (chunk === null) {
          this.parser.end();
          return {};
        }
        rest = !this.parser.feed(chunk, deliver, true);
      }
    } catch (err) {
      // Closing abandons a pending read, which may fail: that is the end asked for, not an error.
      if (this.closed) return {};
      return { error: readError(err, this.name) };
    } finally {
      this.reader.close();
    }
  }

  /**
   * Stops at once, even while a read is waiting for data (a FIFO nobody writes to). run() reads nothing more
   * once closed, so the file can be released here even in the middle of a run.
   */
  close(): void {
    this.closed = true;
    this.reader.close();
  }
}

/** Returns the 24-byte classic pcap header (host byte order, microseconds) for `linktype` and `snaplen`. */
export function pcapFileHeader(linktype: number, snaplen: number): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(TCPDUMP_MAGIC, 0);
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
  rec.set(packetBytes(pkt), 16);
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

  /** Bytes queued here, not yet handed to the stream. */
  get queued(): number {
    return this.size;
  }

  /** Queues one packet, flushing when the batch is large; returns false when the stream wants a wait for 'drain'. */
  write(pkt: Packet): boolean {
    const rec = pcapRecord(pkt);
    this.batch.push(rec);
    this.size += rec.length;
    return this.size >= 1 << 16 ? this.flush() : !this.out.writableNeedDrain;
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
