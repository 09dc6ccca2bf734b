import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/listen/linebuf';

const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');

/** Feeds the chunks and returns every line as [hex, cut]. */
function split(max: number, chunks: Buffer[], end = false): [string, boolean][] {
  const out: [string, boolean][] = [];
  const s = new LineSplitter(max);
  const onLine = (line: Buffer, cut: boolean): void => void out.push([line.toString('hex'), cut]);
  for (const c of chunks) s.push(c, onLine);
  if (end) s.end(onLine);
  return out;
}

describe('LineSplitter', () => {
  it('yields each LF-terminated line without its newline', () => {
    expect(split(100, [hex('61 0a 62 63 0a')])).toEqual([
      ['61', false],
      ['6263', false],
    ]);
  });

  it('keeps a CR (the text cleaner drops it) and yields empty lines', () => {
    expect(split(100, [hex('61 0d 0a 0a')])).toEqual([
      ['610d', false],
      ['', false],
    ]);
  });

  it('joins a line split across chunks, byte by byte', () => {
    const bytes = hex('68 65 6c 6c 6f 0a 77 0a');
    expect(
      split(
        100,
        [...bytes].map((b) => Buffer.from([b])),
      ),
    ).toEqual([
      ['68656c6c6f', false],
      ['77', false],
    ]);
  });

  it('holds an unterminated line until the end of the stream', () => {
    expect(split(100, [hex('61 62')])).toEqual([]);
    expect(split(100, [hex('61 62')], true)).toEqual([['6162', false]]);
  });

  it('keeps a line of exactly the limit whole', () => {
    expect(split(3, [hex('61 62 63 0a 64 0a')])).toEqual([
      ['616263', false],
      ['64', false],
    ]);
  });

  it('cuts a longer line at the limit and skips the rest of it', () => {
    expect(split(3, [hex('61 62 63 64 65 0a 66 0a')])).toEqual([
      ['616263', true],
      ['66', false],
    ]);
  });

  it('cuts a line that grows past the limit over several chunks and skips until the newline', () => {
    expect(split(4, [hex('61 62'), hex('63'), hex('64 65 66'), hex('67 67 67'), hex('67 0a 68 0a')])).toEqual([
      ['61626364', true],
      ['68', false],
    ]);
  });

  it('holds at most the limit while a peer streams without a newline', () => {
    const s = new LineSplitter(1024);
    const lines: number[] = [];
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    for (let i = 0; i < 200; i++) {
      s.push(chunk, (l) => void lines.push(l.length));
      expect(s.pending).toBeLessThanOrEqual(1024);
    }
    expect(lines).toEqual([1024]);
    s.push(hex('0a 42 0a'), (l) => void lines.push(l.length));
    expect(lines).toEqual([1024, 1]);
  });

  it('is at a line start only when nothing is held or skipped', () => {
    const s = new LineSplitter(2);
    const none = (): void => {};
    expect(s.atLineStart).toBe(true);
    s.push(hex('61'), none);
    expect(s.atLineStart).toBe(false);
    s.push(hex('0a'), none);
    expect(s.atLineStart).toBe(true);
    s.push(hex('61 62 63'), none); // cut: the rest of this line is being skipped
    expect(s.pending).toBe(0);
    expect(s.atLineStart).toBe(false);
    s.push(hex('64 0a'), none);
    expect(s.atLineStart).toBe(true);
  });

  it('rejects a limit below one byte', () => {
    expect(() => new LineSplitter(0)).toThrow(RangeError);
  });
});

describe('LineSplitter memory', () => {
  it('holds an unfinished line fed one byte at a time in one buffer of at most twice its size', () => {
    const s = new LineSplitter(64 * 1024);
    const lines: string[] = [];
    const one = Buffer.from('x');
    for (let i = 0; i < 10_000; i++) {
      s.push(one, (l) => void lines.push(l.toString()));
      expect(s.capacity).toBeLessThanOrEqual(Math.max(2 * s.pending, 128));
    }
    expect(s.pending).toBe(10_000);
    s.push(Buffer.from('\n'), (l) => void lines.push(l.toString()));
    expect(lines).toEqual(['x'.repeat(10_000)]);
    expect(s.capacity).toBe(0);
  });

  it('never holds more than maxLine bytes, cutting as it reaches the limit', () => {
    const s = new LineSplitter(1000);
    const out: [number, boolean][] = [];
    for (let i = 0; i < 3000; i++) s.push(Buffer.from('y'), (l, cut) => void out.push([l.length, cut]));
    expect(s.capacity).toBeLessThanOrEqual(1000);
    expect(out).toEqual([[1000, true]]);
  });
});
