import { describe, expect, it } from 'vitest';
import { asciiDump, hexAsciiDump, hexDump } from '../../src/print/hex';
import { Reader } from '../../src/print/reader';

const r = new Reader(Uint8Array.from(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01', 'latin1')));

describe('dumps', () => {
  it('-x: eight groups of two bytes a line, an odd byte alone', () => {
    expect(hexDump(r, '\n\t', 0, 19).text).toBe(
      '\n\t0x0000:  4745 5420 2f20 4854 5450 2f31 2e31 0d0a\n\t0x0010:  486f 73',
    );
  });

  it('-X: hex padded to 40 columns, then the printable characters', () => {
    expect(hexAsciiDump(r, '\n\t', 16, 13).text).toBe(
      '\n\t0x0000:  486f 7374 3a20 780d 0a0d 0a00 01         Host:.x......',
    );
  });

  it('-A: text with CR before LF dropped and other control bytes as dots', () => {
    expect(asciiDump(r, 0, r.caplen).text).toBe('\nGET / HTTP/1.1\nHost: x\n\n..');
  });

  it('stops at the captured length and says so', () => {
    const d = hexDump(r, '\n\t', 20, 100);
    expect(d.cut).toBe(true);
    expect(d.text).toBe('\n\t0x0000:  3a20 780d 0a0d 0a00 01');
  });
});
