/**
 * Per-run printing state and options: everything tcpdump keeps in `netdissect_options` and in static tables
 * (relative TCP sequence numbers, the previous timestamp for -ttt), owned by one object per run so that
 * several printers (a watch run, tests) can run side by side.
 */
import type { FlowTable } from './flows.js';
import type { TsCache } from './ts.js';

/** tcpdump's printing flags. */
export interface PrintOptions {
  /** -n: print addresses and ports as numbers (ntk never resolves names while printing; see README). */
  numeric: boolean;
  /** Timestamp style: 0 default (HH:MM:SS.frac), 1 -t (none), 2 -tt, 3 -ttt, 4 -tttt, 5 -ttttt. */
  tsStyle: 0 | 1 | 2 | 3 | 4 | 5;
  /** -#: number each packet. */
  packetNumbers: boolean;
  /** -e: print the link-level header. */
  linkHeader: boolean;
  /** -v count (0-3). */
  verbose: number;
  /** -q: quick (less protocol detail). */
  quick: boolean;
  /** -x count: hex dump (1: from the network header, 2: from the link header). */
  hex: number;
  /** -X count: hex and ASCII dump (1/2 as for hex). */
  hexAscii: number;
  /** -A count: ASCII dump (1/2 as for hex). */
  ascii: number;
  /** -S: absolute TCP sequence numbers. */
  absoluteSeq: boolean;
  /** Print timestamps in UTC (TZ=GMT0 / UTC) rather than local time; decided from TZ by the caller. */
  utc: boolean;
}

export const DEFAULT_PRINT_OPTIONS: PrintOptions = {
  numeric: true,
  tsStyle: 0,
  packetNumbers: false,
  linkHeader: false,
  verbose: 0,
  quick: false,
  hex: 0,
  hexAscii: 0,
  ascii: 0,
  absoluteSeq: false,
  utc: true,
};

/**
 * Node's Buffer has a latin1 writer of its own that write() calls after checking its arguments; it is not public
 * API, so it is used only where present, with write() itself as the fallback.
 */
export type Latin1Write = (this: Buffer, s: string, offset: number, length: number) => number;
/** The latin1 writer `proto` (Buffer.prototype) has, or one calling write(). */
export function latin1Writer(proto: object): Latin1Write {
  const own = (proto as { latin1Write?: unknown }).latin1Write;
  return typeof own === 'function'
    ? (own as Latin1Write)
    : function (this: Buffer, s, offset, length) {
        return this.write(s, offset, length, 'latin1');
      };
}
const latin1Write = latin1Writer(Buffer.prototype);

/** The two decimal digits of each number below 100 ("00" to "99"), as one little-endian 16-bit word. */
const DIGIT_PAIRS = Uint16Array.from({ length: 100 }, (_, n) => (48 + ((n / 10) | 0)) | ((48 + (n % 10)) << 8));

/** The character codes of the hex digits, lowercase. */
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/**
 * A constant piece of text, encoded once as little-endian 32-bit words (the last one padded), which Out.putText
 * stores a word at a time: a printer's fixed text costs a store per four characters instead of one per character.
 */
export interface Text {
  readonly words: Int32Array;
  /** How many words (words.length, kept as a plain number for the reason Out.cap is). */
  readonly count: number;
  /** How many characters it has (the padding is not text). */
  readonly length: number;
}

/** The Text of `s` (single-byte characters only, as everything printed). */
export function text(s: string): Text {
  const words = new Int32Array(Math.ceil(s.length / 4));
  for (let i = 0; i < s.length; i++) words[i >> 2] = (words[i >> 2] as number) | (s.charCodeAt(i) << (8 * (i & 3)));
  return { words, count: words.length, length: s.length };
}

/** The Texts of `size` values (a table lookup), each made from `make`'s string the first time it is asked for. */
export function lazyTexts(size: number, make: (i: number) => string): (i: number) => Text {
  const table = new Array<Text | undefined>(size).fill(undefined);
  return (i) => (table[i] ??= text(make(i)));
}

/**
 * The text being printed, as bytes (one per character: printers produce single-byte characters only, tcpdump
 * escapes everything else). Printers append to it; they never write to a stream. Lines are written straight
 * into one buffer, so that a run's output costs no string per packet.
 */
export class Out {
  private mem: Buffer;
  /** The same memory as `mem`, for writing four characters at a time (putText). */
  private view: DataView;
  /**
   * The size of `mem`, kept as a plain number: V8 reads a typed array's length as a 64-bit value it checks on
   * every use, which costs more than the write it guards.
   */
  private cap: number;
  /** How many bytes of `chars` hold text. */
  length = 0;

  constructor(capacity = 4096) {
    this.mem = Buffer.allocUnsafe(capacity);
    this.view = new DataView(this.mem.buffer, this.mem.byteOffset, this.mem.byteLength);
    this.cap = capacity;
  }

  /** The memory the text is written into (its first `length` bytes hold it). */
  get chars(): Buffer {
    return this.mem;
  }

  set chars(b: Buffer) {
    this.mem = b;
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.cap = b.length;
  }

  /** Appends the constant text `t`, four characters a store. */
  putText(t: Text): void {
    const w = t.words;
    const n = t.count;
    let at = this.length;
    if (at + 4 * n > this.cap) this.grow(at + 4 * n);
    const v = this.view;
    for (let i = 0; i < n; i++, at += 4) v.setInt32(at, w[i] as number, true);
    this.length += t.length;
  }

  /** Appends the `n` characters held as little-endian words in `words` from index `first` on. */
  putWords(words: Int32Array, first: number, n: number): void {
    let at = this.length;
    if (at + n + 3 > this.cap) this.grow(at + n + 3);
    const v = this.view;
    for (let i = first, end = first + ((n + 3) >> 2); i < end; i++, at += 4) v.setInt32(at, words[i] as number, true);
    this.length += n;
  }

  put(s: string): void {
    const n = s.length;
    if (n > 48) {
      this.putLong(s);
      return;
    }
    let at = this.length;
    if (at + n > this.cap) this.grow(at + n);
    const b = this.mem;
    // Two characters a turn: most of what is put is a few characters long, and the loop is most of the cost.
    let i = 0;
    for (; i + 1 < n; i += 2) {
      b[at] = s.charCodeAt(i);
      b[at + 1] = s.charCodeAt(i + 1);
      at += 2;
    }
    if (i < n) b[at++] = s.charCodeAt(i);
    this.length = at;
  }

  /** put() of a long string: Buffer's own latin1 writer, without the argument checks of write(). */
  private putLong(s: string): void {
    const at = this.length;
    if (at + s.length > this.cap) this.grow(at + s.length);
    this.length = at + latin1Write.call(this.mem, s, at, s.length);
  }

  /** Appends the `len` bytes at `off` of `src`, one character each. */
  putBytes(src: Uint8Array, off: number, len: number): void {
    let at = this.length;
    if (at + len > this.cap) this.grow(at + len);
    const b = this.mem;
    if (len > 48) b.set(src.subarray(off, off + len), at);
    else for (let i = off; i < off + len; i++) b[at++] = src[i] as number;
    this.length += len;
  }

  /** Appends the character of byte value `c`. */
  putByte(c: number): void {
    if (this.length >= this.cap) this.grow(this.length + 1);
    this.mem[this.length++] = c;
  }

  /**
   * Makes room for `n` more bytes, so that a writer that knows its longest text can store into `chars` from
   * `length` on without checking each byte (it then sets `length` past what it wrote).
   */
  reserve(n: number): void {
    if (this.length + n > this.cap) this.grow(this.length + n);
  }

  /** Appends the dotted-quad text of the IPv4 address `addr` (a 32-bit value, first octet highest). */
  putIpv4(addr: number): void {
    this.reserve(15);
    const b = this.mem;
    let at = this.length;
    for (let shift = 24; shift >= 0; shift -= 8) {
      const v = (addr >>> shift) & 0xff;
      if (v >= 100) {
        const h = (v / 100) | 0;
        const t = ((v - h * 100) / 10) | 0;
        b[at++] = 48 + h;
        b[at++] = 48 + t;
        b[at++] = 48 + v - h * 100 - t * 10;
      } else if (v >= 10) {
        const t = (v / 10) | 0;
        b[at++] = 48 + t;
        b[at++] = 48 + v - t * 10;
      } else {
        b[at++] = 48 + v;
      }
      if (shift !== 0) b[at++] = 0x2e;
    }
    this.length = at;
  }

  /**
   * Appends the decimal text of `v` (as String(v) would write it), zero-padded to `width` digits; written digit
   * by digit for a 32-bit count.
   */
  num(v: number, width = 1): void {
    if (!(v >= 0 && v <= 0x7fffffff) || v !== (v | 0)) {
      this.numWide(v, width);
      return;
    }
    let digits =
      v < 10
        ? 1
        : v < 100
          ? 2
          : v < 1000
            ? 3
            : v < 10000
              ? 4
              : v < 100000
                ? 5
                : v < 1000000
                  ? 6
                  : v < 10000000
                    ? 7
                    : v < 100000000
                      ? 8
                      : v < 1000000000
                        ? 9
                        : 10;
    if (digits < width) digits = width;
    const end = this.length + digits;
    if (end > this.cap) this.grow(end);
    const b = this.mem;
    const view = this.view;
    let at = end;
    // Two digits per division, stored in one write.
    while (v >= 100) {
      const q = (v / 100) | 0;
      at -= 2;
      view.setUint16(at, DIGIT_PAIRS[v - q * 100] as number, true);
      v = q;
    }
    if (v >= 10) {
      at -= 2;
      view.setUint16(at, DIGIT_PAIRS[v] as number, true);
    } else b[--at] = 48 + v;
    while (at > this.length) b[--at] = 48;
    this.length = end;
  }

  /** Appends the lowercase hex text of the 32-bit value `v`, zero-padded to `width` digits (printf's %0Nx). */
  putHex(v: number, width: number): void {
    let digits = 1;
    for (let t = v >>> 4; t !== 0; t >>>= 4) digits++;
    if (digits < width) digits = width;
    this.reserve(digits);
    const b = this.mem;
    const end = this.length + digits;
    let at = end;
    for (let t = v >>> 0; at > this.length; t >>>= 4) b[--at] = HEX_DIGITS[t & 15] as number;
    this.length = end;
  }

  /** num() of a value past 31 bits (or not a count at all). */
  private numWide(v: number, width: number): void {
    if (!(v >= 0 && v <= 0xffffffff) || v !== Math.floor(v)) {
      const t = String(v);
      this.put(t.length < width ? '0'.repeat(width - t.length) + t : t);
      return;
    }
    let digits = 1;
    for (let t = v; t >= 10; t = (t / 10) >>> 0) digits++;
    if (digits < width) digits = width;
    let at = this.length + digits;
    if (at > this.cap) this.grow(at);
    this.length = at;
    const b = this.mem;
    while (v >= 10) {
      const q = (v / 10) >>> 0;
      b[--at] = 48 + v - q * 10;
      v = q;
    }
    b[--at] = 48 + v;
    while (at > this.length - digits) b[--at] = 48;
  }

  /** All the text held. */
  get text(): string {
    return this.mem.toString('latin1', 0, this.length);
  }

  /** The text from byte `from` on, which is then removed. */
  take(from: number): string {
    const t = this.mem.toString('latin1', from, this.length);
    this.length = from;
    return t;
  }

  private grow(need: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(need, this.cap * 2));
    this.mem.copy(bigger, 0, 0, this.length);
    this.chars = bigger;
  }
}

/**
 * Texts that repeat from packet to packet, such as a connection's "addr.port > addr.port: ", remembered by a key
 * of three 32-bit words in a small direct-mapped table: a text found there is copied out four characters a store
 * instead of being formatted again. Each entry holds at most MEMO_CHARS characters.
 */
export class TextMemo {
  private static readonly SLOTS = 256;
  /** Key words of each slot (three per slot) and whether it holds a text at all. */
  private readonly keys = new Int32Array(TextMemo.SLOTS * 3);
  private readonly used = new Uint8Array(TextMemo.SLOTS);
  /** The text of each slot, as little-endian words, and its length. */
  private readonly words = new Int32Array(TextMemo.SLOTS * (MEMO_CHARS / 4));
  private readonly lens = new Int32Array(TextMemo.SLOTS);

  /** The slot of the key (a, b, c): ≥ 0 when it holds that key's text, else -1 - the slot to remember it in. */
  find(a: number, b: number, c: number): number {
    // As signed 32-bit words, the form the key table holds.
    a |= 0;
    b |= 0;
    c |= 0;
    let h = Math.imul(a ^ Math.imul(b, 0x01000193) ^ Math.imul(c, 0x2c1b3c6d), 0x9e3779b1);
    h = (h ^ (h >>> 16)) & (TextMemo.SLOTS - 1);
    const k = h * 3;
    const keys = this.keys;
    return this.used[h] === 1 && keys[k] === a && keys[k + 1] === b && keys[k + 2] === c ? h : -1 - h;
  }

  /** Appends the text of `slot` (a find() result ≥ 0) to `out`. */
  put(out: Out, slot: number): void {
    out.putWords(this.words, slot * (MEMO_CHARS / 4), this.lens[slot] as number);
  }

  /**
   * Remembers, in the slot find() named (`missed`, its negative result), the text `out` holds from `from` on,
   * under the key (a, b, c); a text too long to keep is not remembered.
   */
  remember(out: Out, missed: number, from: number, a: number, b: number, c: number): void {
    const slot = -1 - missed;
    const n = out.length - from;
    if (n > MEMO_CHARS) {
      this.used[slot] = 0;
      return;
    }
    const w = this.words;
    const base = slot * (MEMO_CHARS / 4);
    const chars = out.chars;
    for (let i = 0; i < (n + 3) >> 2; i++) {
      const at = from + 4 * i;
      w[base + i] =
        (chars[at] as number) |
        ((chars[at + 1] as number) << 8) |
        ((chars[at + 2] as number) << 16) |
        ((chars[at + 3] as number) << 24);
    }
    this.lens[slot] = n;
    const k = slot * 3;
    this.keys[k] = a | 0;
    this.keys[k + 1] = b | 0;
    this.keys[k + 2] = c | 0;
    this.used[slot] = 1;
  }
}

/** The longest text a TextMemo keeps: "255.255.255.255.65535 > 255.255.255.255.65535: " is 47. */
const MEMO_CHARS = 48;

/** State kept across packets of one run (tcpdump's statics), plus the packet being printed. */
export class PrintContext {
  readonly opts: PrintOptions;
  /** The protocol being printed: the name in the ` [|proto]` truncation mark. Each printer sets it first. */
  proto = '';
  /** The line being built for the current packet. */
  out = new Out();
  /** Packets printed so far (for -#). */
  count = 0;
  /** Previous packet's time in ns since the epoch (for -ttt), undefined before the first packet. */
  prevTsNs: bigint | undefined;
  /** First packet's time in ns since the epoch (for -ttttt). */
  firstTsNs: bigint | undefined;
  /**
   * Errors other than a truncated packet that printers threw (bugs): the line still ends in ` [|proto]`, but
   * they are counted here, and handed to onInternalError when set (NTK_DEBUG), instead of passing silently.
   */
  internalErrors = 0;
  onInternalError: ((err: unknown) => void) | undefined;
  /**
   * TCP's first sequence numbers of each connection (seq and ack, in tcpdump's canonical direction), one table
   * per address family; bounded, unlike tcpdump's, or a long capture would keep every connection ever seen.
   */
  tcpSeq4: FlowTable | undefined;
  tcpSeq6: FlowTable | undefined;
  /** The wall-clock text of the second printed last (ts.ts). */
  clock: TsCache | undefined;
  /** TCP over IPv4: the "src.sport > dst.dport: " text of the connections seen last. */
  tcpEndpoints: TextMemo | undefined;
  /** Per-run protocol state (e.g. TCP's relative sequence table), keyed by the protocol that owns it. */
  readonly state = new Map<string, unknown>();

  constructor(opts: Partial<PrintOptions> = {}) {
    this.opts = { ...DEFAULT_PRINT_OPTIONS, ...opts };
  }

  /** Returns the per-run state object of `key`, creating it with `init` on first use. */
  stateOf<T>(key: string, init: () => T): T {
    let v = this.state.get(key) as T | undefined;
    if (v === undefined) {
      v = init();
      this.state.set(key, v);
    }
    return v;
  }
}
