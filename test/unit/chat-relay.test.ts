import { describe, expect, it } from 'vitest';
import { relayPlain } from '../../src/listen/chat';

const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');
const prefix = Buffer.from('<u> ');

describe('relayPlain (one-pass relay of plain whole lines)', () => {
  it('puts the prefix before every line', () => {
    expect(relayPlain(hex('61 62 0a 63 09 64 0a'), prefix)?.toString()).toBe('<u> ab\n<u> c\td\n');
  });

  const fallbacks: [string, string][] = [
    ['a partial last line', '61 0a 62'],
    ['an empty chunk', ''],
    ['an empty line', '61 0a 0a'],
    ['a leading empty line', '0a 61 0a'],
    ['ESC', '61 1b 5b 32 4a 0a'],
    ['CR', '61 0d 0a'],
    ['DEL', '61 7f 0a'],
    ['non-ASCII (UTF-8 é)', 'c3 a9 0a'],
    ['a command on the first line', '2f 6e 69 63 6b 20 61 0a'],
    ['a command on a later line', '61 0a 2f 6e 69 63 6b 20 61 0a'],
  ];
  for (const [what, bytes] of fallbacks) {
    it(`leaves ${what} to the line-by-line path`, () => {
      expect(relayPlain(hex(bytes), prefix)).toBeUndefined();
    });
  }

  it('relays a slash that is not at the start of a line', () => {
    expect(relayPlain(hex('61 2f 62 0a'), prefix)?.toString()).toBe('<u> a/b\n');
  });
});
