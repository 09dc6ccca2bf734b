/**
 * The one bounds-checked reader every printer reads packet bytes through (tcpdump's GET_U_1, GET_BE_U_2 …).
 * Offsets are absolute in the captured bytes. A read past the captured length throws the Truncated sentinel
 * (trunc.ts), which ends up as tcpdump's ` [|proto]` mark; printers never index the buffer themselves.
 */
import { formatIpv6 } from '../lib/addresses.js';
import { HEX2 } from './tables.js';
import { truncated } from './trunc.js';
import { fnChar } from './util.js';
import type { Out } from './context.js';

// IPv6 text is written in one place for the whole tree; printers reach it here as well.
export { formatIpv6 };

export { Truncated } from './trunc.js';

/** fn_print_char's text of each byte value. */
const FN_TEXT: readonly string[] = Array.from({ length: 256 }, (_, i) => fnChar(i));

/** The one-character string of each byte value. */
const LATIN1: readonly string[] = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i));

/** True on a little-endian host, where a Uint32Array reads the bytes of a word lowest first. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Dotted-quad text of the addresses seen last (the same few repeat from packet to packet), by 32-bit value. */
const IPV4_TEXT = new Map<number, string>();
const IPV4_CACHED = 4096;

/**
 * A 32-bit view of the memory the packets being read lie in, for checksums: packets come by the thousand from
 * one chunk, and a view made once per chunk costs less than one per packet.
 */
let words32: Int32Array<ArrayBufferLike> = new Int32Array(0);
function wordsOf(b: Uint8Array): Int32Array {
  if (words32.buffer !== b.buffer) words32 = new Int32Array(b.buffer, 0, b.buffer.byteLength >>> 2);
  return words32;
}

export class Reader {
  /** The memory the packet lies in, from `base` on: read only through the methods below. */
  private readonly buf: Uint8Array;
  /** How many bytes were captured (reads at or past this throw Truncated). */
  readonly caplen: number;
  /** Where the packet's first byte is in `buf` (offsets given to the methods are from there). */
  private readonly base: number;

  /**
   * A reader of the packet whose `caplen` captured bytes start at `base` in `buf`. A file's chunk holds
   * thousands of packets: reading each in place costs less than a view made for it.
   */
  constructor(buf: Uint8Array, caplen: number = buf.length, base = 0) {
    this.buf = buf;
    this.base = base;
    this.caplen = Math.max(0, Math.min(caplen, buf.length - base));
  }

  /**
   * A reader of the same packet ending at `end` if that is before this one's end: it only ever shrinks, so a
   * datagram's length can never widen what an enclosing one allows (tcpdump's nd_push_snaplen).
   */
  narrow(end: number): Reader {
    return end < this.caplen ? new Reader(this.buf, Math.max(0, end), this.base) : this;
  }

  /** True when `len` bytes at `off` were captured. */
  has(off: number, len: number): boolean {
    return off >= 0 && len >= 0 && off + len <= this.caplen;
  }

  /** Throws Truncated unless `len` bytes at `off` were captured. */
  check(off: number, len: number): void {
    if (!this.has(off, len)) truncated();
  }

  u8(off: number): number {
    if (off < 0 || off >= this.caplen) truncated();
    return this.buf[this.base + off] as number;
  }

  /** The byte at `off`, or -1 when it was not captured. */
  peek(off: number): number {
    return off >= 0 && off < this.caplen ? (this.buf[this.base + off] as number) : -1;
  }

  be16(off: number): number {
    this.check(off, 2);
    const at = this.base + off;
    return ((this.buf[at] as number) << 8) | (this.buf[at + 1] as number);
  }

  be24(off: number): number {
    this.check(off, 3);
    const at = this.base + off;
    return ((this.buf[at] as number) << 16) | ((this.buf[at + 1] as number) << 8) | (this.buf[at + 2] as number);
  }

  be32(off: number): number {
    this.check(off, 4);
    const b = this.buf;
    const at = this.base + off;
    return (
      (((b[at] as number) << 24) |
        ((b[at + 1] as number) << 16) |
        ((b[at + 2] as number) << 8) |
        (b[at + 3] as number)) >>>
      0
    );
  }

  le16(off: number): number {
    this.check(off, 2);
    const at = this.base + off;
    return (this.buf[at] as number) | ((this.buf[at + 1] as number) << 8);
  }

  le32(off: number): number {
    this.check(off, 4);
    const b = this.buf;
    const at = this.base + off;
    return (
      ((b[at] as number) |
        ((b[at + 1] as number) << 8) |
        ((b[at + 2] as number) << 16) |
        ((b[at + 3] as number) << 24)) >>>
      0
    );
  }

  /** The `len` bytes at `off` as text, one character per byte (latin1). */
  latin1(off: number, len: number): string {
    this.check(off, len);
    // Short text (tokens, names) is cheaper built here than through a Buffer view made for it.
    const at = this.base + off;
    if (len <= 32) {
      let t = '';
      for (let i = at; i < at + len; i++) t += LATIN1[this.buf[i] as number] as string;
      return t;
    }
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + at, len).toString('latin1');
  }

  /** Appends the `len` bytes at `off` to `out` as they are (latin1); throws Truncated unless all were captured. */
  putRaw(out: Out, off: number, len: number): void {
    this.check(off, len);
    out.putBytes(this.buf, this.base + off, len);
  }

  /**
   * Appends the `len` bytes at `off` to `out` as fn_print_char prints them ("M-" for the high bit, "^" for
   * control characters); throws Truncated, having appended nothing, unless all were captured.
   */
  putEscaped(out: Out, off: number, len: number): void {
    this.check(off, len);
    // Each byte is at most four characters ("M-^?").
    out.reserve(4 * len);
    const b = this.buf;
    const o = out.chars;
    let at = out.length;
    for (let i = this.base + off, stop = i + len; i < stop; i++) {
      const c = b[i] as number;
      if (c >= 0x20 && c < 0x7f) o[at++] = c;
      else {
        const t = FN_TEXT[c] as string;
        for (let k = 0; k < t.length; k++) o[at++] = t.charCodeAt(k);
      }
    }
    out.length = at;
  }

  /**
   * Appends to `out` the bytes from `off` on, up to `end` or to the first byte that is neither printable ASCII
   * nor a tab, and returns where that run ended; on reaching a byte that was not captured it throws Truncated
   * having appended nothing (as reading each byte with u8() first would).
   */
  putTextRun(out: Out, off: number, end: number): number {
    const b = this.buf;
    const base = this.base;
    const stop = Math.min(end, this.caplen);
    out.reserve(stop - off);
    const o = out.chars;
    let at = out.length;
    let i = off;
    for (; i < stop; i++) {
      const c = b[base + i] as number;
      if ((c < 0x20 || c >= 0x7f) && c !== 0x09) break;
      o[at++] = c;
    }
    if (i === stop && i < end) truncated();
    out.length = at;
    return i;
  }

  /** Lowercase two-digit hex of each of the `len` bytes at `off`, joined by `sep`. */
  hex(off: number, len: number, sep: string): string {
    this.check(off, len);
    const parts: string[] = [];
    for (let i = this.base + off, stop = i + len; i < stop; i++) parts.push(HEX2[this.buf[i] as number] as string);
    return parts.join(sep);
  }

  /**
   * Adds the big-endian 16-bit words of the `len` bytes at `off` to `sum`, an odd last byte as the high half of
   * a word (the Internet checksum's sum, RFC 1071); the result is not folded.
   */
  sumWords(from: number, len: number, sum: number): number {
    this.check(from, len);
    const b = this.buf;
    const off = this.base + from;
    const end = off + len;
    // Bytes in the high and in the low half of a word summed apart (a byte sum stays a small integer for any
    // packet length); the word sum is hi * 256 + lo.
    let hi = 0;
    let lo = 0;
    let i = off;
    if (len >= 64 && LITTLE_ENDIAN) {
      // The aligned middle read 32 bits at a time: the sum of its little-endian 16-bit words is the sum of the
      // big-endian ones with its bytes swapped (RFC 1071 section 2(B)) when it starts at an even offset.
      const memOff = b.byteOffset;
      for (; ((memOff + i) & 3) !== 0; i++) {
        if ((i - off) & 1) lo += b[i] as number;
        else hi += b[i] as number;
      }
      const n = (end - i) >>> 2;
      const words = wordsOf(b);
      const first = (memOff + i) >>> 2;
      let w = 0;
      let w2 = 0;
      let k = first;
      for (const stop = first + n - 3; k < stop; k += 4) {
        const x0 = words[k] as number;
        const x1 = words[k + 1] as number;
        const x2 = words[k + 2] as number;
        const x3 = words[k + 3] as number;
        w += (x0 & 0xffff) + (x1 & 0xffff) + (x2 & 0xffff) + (x3 & 0xffff);
        w2 += (x0 >>> 16) + (x1 >>> 16) + (x2 >>> 16) + (x3 >>> 16);
      }
      for (const stop = first + n; k < stop; k++) {
        const x = words[k] as number;
        w += (x & 0xffff) + (x >>> 16);
      }
      w += w2;
      while (w > 0xffff) w = (w & 0xffff) + Math.floor(w / 65536);
      sum += ((i - off) & 1) === 0 ? ((w & 0xff) << 8) | (w >>> 8) : w;
      i += n * 4;
      for (; i < end; i++) {
        if ((i - off) & 1) lo += b[i] as number;
        else hi += b[i] as number;
      }
    } else {
      for (const stop = end - 7; i < stop; i += 8) {
        hi += (b[i] as number) + (b[i + 2] as number) + (b[i + 4] as number) + (b[i + 6] as number);
        lo += (b[i + 1] as number) + (b[i + 3] as number) + (b[i + 5] as number) + (b[i + 7] as number);
      }
      for (; i + 1 < end; i += 2) {
        hi += b[i] as number;
        lo += b[i + 1] as number;
      }
      if (i < end) hi += b[i] as number;
    }
    sum += hi * 256 + lo;
    if (sum > 0x7fffffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
    return sum;
  }

  /** Dotted-quad text of the IPv4 address at `off`. */
  ipv4(off: number): string {
    const key = this.be32(off) | 0;
    let t = IPV4_TEXT.get(key);
    if (t === undefined) {
      t = `${key >>> 24}.${(key >>> 16) & 0xff}.${(key >>> 8) & 0xff}.${key & 0xff}`;
      if (IPV4_TEXT.size >= IPV4_CACHED) IPV4_TEXT.clear();
      IPV4_TEXT.set(key, t);
    }
    return t;
  }

  /** Appends the dotted-quad text of the IPv4 address at `off` to `out` (as ipv4() returns it). */
  putIpv4(out: Out, off: number): void {
    out.putIpv4(this.be32(off));
  }

  /** RFC 5952 text of the IPv6 address at `off` (as inet_ntop prints it, which tcpdump uses). */
  ipv6(off: number): string {
    this.check(off, 16);
    const words: number[] = [];
    for (let i = 0; i < 8; i++) words.push(this.be16(off + 2 * i));
    return formatIpv6(words);
  }

  /** Colon-separated lowercase hex of the 6-byte MAC address at `off`. */
  mac(off: number): string {
    this.check(off, 6);
    const b = this.buf;
    const at = this.base + off;
    const h = (i: number): string => HEX2[b[at + i] as number] as string;
    return `${h(0)}:${h(1)}:${h(2)}:${h(3)}:${h(4)}:${h(5)}`;
  }
}

/**
 * One Reader alive for the life of the process. V8 forgets an object shape at a full garbage collection when no
 * object of that shape is alive, and with it throws away the optimized code of every function that read one:
 * between two packets no Reader is alive, so without this every printer was compiled again after each full
 * collection (about 0.1–0.2 s of compiling for printTcp alone, during a bulk transfer).
 */
export const KEEP_READER = new Reader(new Uint8Array(4), 4);
