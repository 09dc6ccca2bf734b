import { describe, expect, it } from 'vitest';
import { formatIpv6, Reader, Truncated } from '../../src/print/reader';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('Reader', () => {
  it('reads big- and little-endian numbers within the captured bytes', () => {
    const r = new Reader(hex('01 02 03 04 05'));
    expect(r.u8(0)).toBe(1);
    expect(r.be16(0)).toBe(0x0102);
    expect(r.be24(1)).toBe(0x020304);
    expect(r.be32(1)).toBe(0x02030405);
    expect(r.le16(0)).toBe(0x0201);
    expect(r.le32(0)).toBe(0x04030201);
  });

  it('throws Truncated past the captured length, even when the buffer is longer', () => {
    const r = new Reader(hex('ff ff ff ff ff ff'), 4);
    expect(r.be32(0)).toBe(0xffffffff);
    expect(() => r.u8(4)).toThrow(Truncated);
    expect(() => r.be16(3)).toThrow(Truncated);
    expect(() => r.latin1(2, 3)).toThrow(Truncated);
    expect(() => r.hex(2, 3, ':')).toThrow(Truncated);
    expect(() => r.sumWords(2, 3, 0)).toThrow(Truncated);
    expect(() => r.u8(-1)).toThrow(Truncated);
    expect(r.has(0, 4)).toBe(true);
    expect(r.has(1, 4)).toBe(false);
  });

  it('narrows to a shorter end but never widens, even from a narrowed reader', () => {
    const r = new Reader(hex('01 02 03 04 05 06 07 08'), 6);
    expect(r.narrow(10).caplen).toBe(6);
    const inner = r.narrow(4);
    expect(inner.caplen).toBe(4);
    expect(() => inner.u8(4)).toThrow(Truncated);
    // An inner header claiming more cannot see past what encloses it (the bytes exist in the buffer).
    expect(inner.narrow(8).caplen).toBe(4);
    expect(r.narrow(-3).caplen).toBe(0);
  });

  it('reads text, hex and checksum sums through the same bounds', () => {
    const r = new Reader(hex('47 45 54 20 2f 00 ff 01'));
    expect(r.latin1(0, 5)).toBe('GET /');
    expect(r.latin1(5, 2)).toBe('\u0000\u00ff');
    expect(r.hex(4, 3, ':')).toBe('2f:00:ff');
    // RFC 1071: 16-bit big-endian words, an odd last byte as a high half.
    expect(r.sumWords(0, 4, 0)).toBe(0x4745 + 0x5420);
    expect(r.sumWords(4, 3, 1)).toBe(1 + 0x2f00 + 0xff00);
  });

  it('formats addresses as tcpdump does', () => {
    const r = new Reader(hex('0a000001 001122aabbcc'));
    expect(r.ipv4(0)).toBe('10.0.0.1');
    expect(r.mac(4)).toBe('00:11:22:aa:bb:cc');
    expect(formatIpv6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])).toBe('2001:db8::1');
    expect(formatIpv6([0, 0, 0, 0, 0, 0, 0, 1])).toBe('::1');
    expect(formatIpv6([0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001])).toBe('::ffff:10.0.0.1');
    expect(formatIpv6([0xfe80, 0, 0, 0, 1, 0, 0, 1])).toBe('fe80::1:0:0:1');
    expect(formatIpv6([1, 0, 2, 0, 3, 0, 4, 0])).toBe('1:0:2:0:3:0:4:0');
  });
});
