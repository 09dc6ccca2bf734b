import { describe, expect, it } from 'vitest';
import { Out, TextMemo, latin1Writer, text as textOf } from '../../src/print/context';
import { Reader } from '../../src/print/reader';
import { fnChar } from '../../src/print/util';

/** The text `fill` appends to a fresh, tiny Out (so that it has to grow). */
function text(fill: (out: Out) => void): string {
  const out = new Out(1);
  fill(out);
  return out.text;
}

describe('Out', () => {
  it('writes fixed texts of every length, four characters a store, growing as it goes', () => {
    const pieces = Array.from({ length: 14 }, (_, n) => 'abcdefghijklmn'.slice(0, n));
    const backwards = [...pieces].reverse();
    const out = new Out(1);
    for (const p of [...pieces, ...backwards]) out.putText(textOf(p));
    expect(out.text).toBe(pieces.join('') + backwards.join(''));
  });

  it('remembers a text by its key, and gives it back only for that key', () => {
    const memo = new TextMemo();
    const out = new Out(1);
    const a = 0xc0a80001; // above 2^31: keys are compared as 32-bit patterns
    const missed = memo.find(a, 2, 3);
    expect(missed).toBeLessThan(0);
    out.put('192.168.0.1.80 > 10.0.0.2.40000: ');
    memo.remember(out, missed, 0, a, 2, 3);
    const slot = memo.find(a, 2, 3);
    expect(slot).toBeGreaterThanOrEqual(0);
    memo.put(out, slot);
    expect(out.text).toBe('192.168.0.1.80 > 10.0.0.2.40000: '.repeat(2));
    expect(memo.find(a, 2, 4)).toBeLessThan(0);
    // A text longer than an entry holds is not remembered.
    const long = new Out(1);
    long.put('x'.repeat(49));
    memo.remember(long, memo.find(5, 6, 7), 0, 5, 6, 7);
    expect(memo.find(5, 6, 7)).toBeLessThan(0);
  });

  it("writes latin1 through write() where Buffer's own writer is missing", () => {
    const fallback = latin1Writer({});
    expect(fallback).not.toBe(latin1Writer(Buffer.prototype));
    const b = Buffer.alloc(8, 0x2e);
    expect(fallback.call(b, 'ab\xffcd', 2, 4)).toBe(4);
    expect(b.toString('latin1')).toBe('..ab\xffc..');
  });

  it('writes numbers as String() does, zero-padded to a width', () => {
    const values = [0, 7, 9, 10, 99, 100, 101, 999, 1000, 65535, 1e6 - 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32];
    for (const v of values) {
      expect(text((o) => o.num(v))).toBe(String(v));
      expect(text((o) => o.num(v, 6))).toBe(String(v).padStart(6, '0'));
    }
    for (let v = 0; v < 100000; v += 7) expect(text((o) => o.num(v, 3))).toBe(String(v).padStart(3, '0'));
  });

  it('writes hex as printf %0Nx does', () => {
    for (const v of [0, 1, 0xf, 0x10, 0xabc, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff]) {
      for (const w of [1, 2, 4, 8]) expect(text((o) => o.putHex(v, w))).toBe(v.toString(16).padStart(w, '0'));
    }
  });

  it('writes IPv4 addresses as dotted quads', () => {
    for (const a of [
      [0, 0, 0, 0],
      [255, 255, 255, 255],
      [10, 0, 0, 53],
      [127, 0, 0, 1],
      [192, 168, 100, 9],
    ]) {
      const r = new Reader(Uint8Array.from(a));
      expect(text((o) => r.putIpv4(o, 0))).toBe(a.join('.'));
      expect(text((o) => r.putIpv4(o, 0))).toBe(r.ipv4(0));
    }
  });

  it('escapes every byte value as fn_print_char does, and appends nothing from a cut read', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const r = new Reader(all);
    expect(text((o) => r.putEscaped(o, 0, 256))).toBe(Array.from(all, fnChar).join(''));
    const out = new Out(1);
    expect(() => r.putEscaped(out, 250, 10)).toThrow();
    expect(out.text).toBe('');
  });
});
