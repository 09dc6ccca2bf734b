/**
 * Line framing for the chat room: a state machine fed by chunks that yields each line without its newline (LF;
 * a CR before it is left for the text cleaner to drop). A line longer than `maxLine` bytes is cut: its first
 * `maxLine` bytes are yielded flagged `cut`, and the rest is skipped up to the next newline, so a peer that
 * streams without ever sending a newline holds at most `maxLine` bytes of memory.
 */

/** Receives one line: its bytes (valid only during the call unless copied) and whether it was cut. */
export type LineHandler = (line: Buffer, cut: boolean) => void;

export class LineSplitter {
  /** Copies of the pieces of an unfinished line (a partial line must not pin the whole chunk it came in). */
  private parts: Buffer[] = [];
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
        this.parts.push(Buffer.from(piece));
        this.size += piece.length;
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

  /** Joins the held pieces with `last` and forgets them. */
  private take(last: Buffer): Buffer {
    if (this.parts.length === 0) return last;
    const line = Buffer.concat([...this.parts, last]);
    this.parts = [];
    this.size = 0;
    return line;
  }
}
