/**
 * Line framing for the chat room: a state machine fed by chunks that yields each line without its newline (LF;
 * a CR before it is left for the text cleaner to drop). A line longer than `maxLine` bytes is cut: its first
 * `maxLine` bytes are yielded flagged `cut`, and the rest is skipped up to the next newline, so a peer that
 * streams without ever sending a newline holds at most `maxLine` bytes of memory.
 *
 * An unfinished line is copied into one buffer that grows (doubling, never past `maxLine`) as bytes arrive, so
 * what a peer costs is the bytes it holds, whatever the size of its chunks: a peer sending one byte per packet
 * holds one buffer, not one per byte.
 */

/** Receives one line: its bytes (valid only during the call unless copied) and whether it was cut. */
export type LineHandler = (line: Buffer, cut: boolean) => void;

/** The first buffer an unfinished line gets, in bytes (grown by doubling from there). */
const FIRST_HOLD = 128;

export class LineSplitter {
  /** The unfinished line: its first `size` bytes; allocated on the first partial line and dropped after it. */
  private held: Buffer | undefined;
  private size = 0;
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
    return this.held?.length ?? 0;
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

  /** Appends `piece` (size + piece.length <= maxLine) to the unfinished line, growing its buffer if needed. */
  private hold(piece: Buffer): void {
    const need = this.size + piece.length;
    const have = this.held?.length ?? 0;
    if (need > have) {
      // Not from the shared pool: a long-lived partial line must not pin an 8 KiB slab.
      const grown = Buffer.allocUnsafeSlow(Math.min(this.maxLine, Math.max(need, 2 * have, FIRST_HOLD)));
      if (this.held) this.held.copy(grown, 0, 0, this.size);
      this.held = grown;
    }
    piece.copy(this.held as Buffer, this.size);
    this.size = need;
  }

  /** Returns the held bytes followed by `last` and forgets them. */
  private take(last: Buffer): Buffer {
    const held = this.held;
    if (held === undefined) return last;
    const n = this.size + last.length;
    this.held = undefined;
    this.size = 0;
    if (n <= held.length) {
      last.copy(held, n - last.length);
      return held.subarray(0, n);
    }
    return Buffer.concat([held.subarray(0, n - last.length), last], n);
  }
}
