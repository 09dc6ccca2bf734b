/**
 * Line framing for the chat room: a state machine fed by chunks that yields each line without its newline (LF;
 * a CR before it is left for the text cleaner to drop). A line longer than `maxLine` bytes is cut: its first
 * `maxLine` bytes are yielded flagged `cut`, and the rest is skipped up to the next newline, so a peer that
 * streams without ever sending a newline holds at most `maxLine` bytes of memory.
 *
 * An unfinished line is copied into a buffer that grows (doubling) up to PAGE bytes, then into pages of PAGE
 * bytes, never past `maxLine` in all: what a peer costs is the bytes it holds, whatever the size of its chunks (a
 * peer sending one byte per packet holds one buffer, not one per byte). Pages rather than one buffer doubling to
 * `maxLine`: each doubling leaves the smaller buffer as a hole in the C heap that other sizes do not reuse, and
 * with many peers growing at once those holes cost more than the lines themselves.
 */

/** Receives one line: its bytes (valid only during the call unless copied) and whether it was cut. */
export type LineHandler = (line: Buffer, cut: boolean) => void;

/** The first buffer an unfinished line gets, in bytes (grown by doubling from there). */
const FIRST_HOLD = 128;
/** The largest buffer an unfinished line grows to; longer lines take more of these. */
const PAGE = 4 * 1024;

export class LineSplitter {
  /** The unfinished line, `size` bytes in all: every buffer full but the last, which holds `fill` bytes. */
  private parts: Buffer[] = [];
  private size = 0;
  private fill = 0;
  /** True while skipping the rest of a line that was cut. */
  private skipping = false;

  /** `maxLine`: the longest line kept whole, in bytes (at least 1). */
  constructor(readonly maxLine: number) {
    if (!(maxLine >= 1)) throw new RangeError('maxLine must be at least 1');
  }

  /** Bytes held for an unfinished line (never more than maxLine). */
  get pending(): number {
    return this.size;
  }

  /** Bytes of memory held for the unfinished line: at most twice `pending`, and never more than maxLine. */
  get capacity(): number {
    let n = 0;
    for (const part of this.parts) n += part.length;
    return n;
  }

  /** True between lines: nothing held and nothing being skipped, so the next byte starts a new line. */
  get atLineStart(): boolean {
    return this.size === 0 && !this.skipping;
  }

  /** Feeds one chunk; calls `onLine` for every line it completes (or cuts), in order. */
  push(chunk: Buffer, onLine: LineHandler): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      if (this.skipping) {
        if (nl < 0) return;
        this.skipping = false;
        start = nl + 1;
        continue;
      }
      const end = nl < 0 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.size + piece.length > this.maxLine) {
        onLine(this.take(piece.subarray(0, this.maxLine - this.size)), true);
        if (nl < 0) {
          this.skipping = true;
          return;
        }
        start = nl + 1;
        continue;
      }
      if (nl < 0) {
        this.hold(piece);
        return;
      }
      onLine(this.take(piece), false);
      start = nl + 1;
    }
  }

  /** Ends the stream: yields an unterminated last line, if any (a peer may close without a final newline). */
  end(onLine: LineHandler): void {
    if (this.size > 0) onLine(this.take(Buffer.alloc(0)), false);
    this.skipping = false;
  }

  /** Appends `piece` (size + piece.length <= maxLine) to the unfinished line, making room as needed. */
  private hold(piece: Buffer): void {
    for (let from = 0; from < piece.length;) {
      let last = this.parts[this.parts.length - 1];
      if (last === undefined || this.fill === last.length) last = this.grow(this.size + piece.length - from);
      const n = piece.copy(last, this.fill, from);
      this.fill += n;
      this.size += n;
      from += n;
    }
  }

  /** Makes room for `need` bytes in all: the one small buffer doubles up to PAGE, then pages are added. */
  private grow(need: number): Buffer {
    const [first] = this.parts;
    // Not from the shared pool (allocUnsafeSlow): a long-lived partial line must not pin an 8 KiB slab.
    if (first === undefined || (this.parts.length === 1 && first.length < PAGE)) {
      const have = first?.length ?? 0;
      const grown = Buffer.allocUnsafeSlow(Math.min(this.maxLine, PAGE, Math.max(need, 2 * have, FIRST_HOLD)));
      if (first !== undefined) first.copy(grown, 0, 0, this.fill);
      this.parts = [grown];
      return grown;
    }
    const page = Buffer.allocUnsafeSlow(Math.min(PAGE, this.maxLine - this.size));
    this.parts.push(page);
    this.fill = 0;
    return page;
  }

  /** Returns the held bytes followed by `last` and forgets them. */
  private take(last: Buffer): Buffer {
    const parts = this.parts;
    if (parts.length === 0) return last;
    const n = this.size + last.length;
    const fill = this.fill;
    this.parts = [];
    this.size = 0;
    this.fill = 0;
    const only = parts.length === 1 ? (parts[0] as Buffer) : undefined;
    if (only !== undefined && n <= only.length) {
      last.copy(only, fill);
      return only.subarray(0, n);
    }
    parts[parts.length - 1] = (parts[parts.length - 1] as Buffer).subarray(0, fill);
    parts.push(last);
    return Buffer.concat(parts, n);
  }
}
