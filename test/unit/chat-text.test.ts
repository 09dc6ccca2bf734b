import { describe, expect, it } from 'vitest';
import { cleanText, parseCommand, validNick } from '../../src/listen/chat-text';

const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');
const clean = (h: string): string => cleanText(hex(h)).toString('hex');

describe('cleanText', () => {
  it('returns plain ASCII as the same buffer', () => {
    const b = hex('68 69 09 21');
    expect(cleanText(b)).toBe(b);
  });

  it('removes a whole CSI sequence: ESC [ 2 J (clear screen)', () => {
    expect(clean('61 1b 5b 32 4a 62')).toBe('6162');
  });

  it('removes CSI with parameters and intermediates: ESC [ 1 ; 3 1 m', () => {
    expect(clean('1b 5b 31 3b 33 31 6d 72 65 64')).toBe('726564');
  });

  it('removes an OSC title change up to BEL, and up to ST', () => {
    expect(clean('1b 5d 30 3b 70 77 6e 07 6f 6b')).toBe('6f6b');
    expect(clean('1b 5d 30 3b 70 77 6e 1b 5c 6f 6b')).toBe('6f6b');
  });

  it('removes a two-character ESC sequence (ESC c, full reset) and a lone ESC', () => {
    expect(clean('1b 63 61')).toBe('61');
    expect(clean('61 1b')).toBe('61');
  });

  it('removes C0 controls except tab: BS, CR, BEL, NUL', () => {
    expect(clean('61 08 62 0d 63 07 00 09 64')).toBe('616263' + '0964');
  });

  it('removes DEL', () => {
    expect(clean('61 7f 62')).toBe('6162');
  });

  it('removes the UTF-8 C1 CSI (U+009B) with its parameters', () => {
    expect(clean('61 c2 9b 32 4a 62')).toBe('6162');
  });

  it('removes bidi overrides (U+202E) and isolates (U+2066)', () => {
    expect(clean('61 e2 80 ae 62 e2 81 a6 63')).toBe('616263');
  });

  it('removes direction marks (U+200E, U+200F, U+061C), line and paragraph separators, zero-width characters', () => {
    // LRM, RLM, ALM; LINE SEPARATOR, PARAGRAPH SEPARATOR; ZWSP, ZWNJ, ZWJ, WORD JOINER, BOM/ZWNBSP.
    expect(clean('61 e2 80 8e 62 e2 80 8f 63 d8 9c 64')).toBe('61626364');
    expect(clean('61 e2 80 a8 62 e2 80 a9 63')).toBe('616263');
    expect(clean('61 e2 80 8b 62 e2 80 8c 63 e2 80 8d 64 e2 81 a0 65 ef bb bf 66')).toBe('616263646566');
  });

  it('keeps other UTF-8 text: é and 日本', () => {
    expect(cleanText(Buffer.from('café 日本')).toString()).toBe('café 日本');
  });

  it('turns invalid UTF-8 (a lone 0x9b) into U+FFFD, never a raw C1 byte', () => {
    expect(clean('61 9b 62')).toBe('61' + 'efbfbd' + '62');
  });
});

describe('validNick', () => {
  it('accepts 1-32 letters, digits, _ and -', () => {
    for (const n of ['a', 'alice', 'Bob_2', 'x-y', 'a'.repeat(32)]) expect(validNick(n)).toBe(true);
  });
  it('refuses empty, too long, spaces, punctuation and non-ASCII', () => {
    for (const n of ['', 'a'.repeat(33), 'a b', 'a.b', '<x>', 'café', 'a\u202eb']) expect(validNick(n)).toBe(false);
  });
});

describe('parseCommand', () => {
  it('recognises /nick NAME with blanks around', () => {
    expect(parseCommand(Buffer.from('/nick alice'))).toEqual({ kind: 'nick', name: 'alice' });
    expect(parseCommand(Buffer.from('/nick \t bob  '))).toEqual({ kind: 'nick', name: 'bob' });
  });
  it('gives an empty name for a bare /nick (refused later as invalid)', () => {
    expect(parseCommand(Buffer.from('/nick'))).toEqual({ kind: 'nick', name: '' });
  });
  it('treats other lines, other commands and /nickname as text', () => {
    for (const l of ['hello', '/exec ls', '/nickname x', ' /nick x', '/nick a b']) {
      expect(parseCommand(Buffer.from(l))).toBeUndefined();
    }
  });
});
