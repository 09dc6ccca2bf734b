import { describe, expect, it } from 'vitest';
import { Out } from '../../src/print/context';
import { Reader } from '../../src/print/reader';
import { fnChar } from '../../src/print/util';

/** The text `fill` appends to a fresh, tiny Out (so that it has to grow). */
function text(fill: (out: Out) => void): string {
  const out = new Out(1);
  fill(out);
  return out.text;
}

describe('Out', () => {
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
