/**
 * The text rules of the chat room: what may be relayed to another participant's terminal, and what a nickname
 * may be. Pure functions over bytes.
 *
 * A terminal obeys control characters in what it prints: ESC starts ECMA-48 sequences that move the cursor,
 * clear the screen, set the window title or (on some terminals) answer back into the input; other C0 controls
 * (BS, CR, BEL…) overwrite or disturb the line; C1 controls U+0080–U+009F include CSI (U+009B), a one-character
 * ESC [ (ECMA-48 §5.3). Bidirectional overrides (Unicode UAX #9: U+202A–U+202E, U+2066–U+2069) reorder what is
 * shown, so one participant could make text look as if another wrote it; so do the direction marks (U+200E,
 * U+200F, U+061C). Line and paragraph separators (U+2028, U+2029) break a line on some terminals and viewers,
 * and zero-width characters (U+200B–U+200D, U+2060–U+2064, U+FEFF) hide text or make look-alike names. All of
 * these are removed (escape sequences whole, so their parameters leave no litter); tab stays.
 */

/**
 * Whole escape sequences, removed first so that their parameters do not show as litter (ECMA-48 §5.4): CSI
 * (ESC [ or U+009B, parameters, intermediates, a final byte), the string controls OSC, DCS, SOS, PM, APC up to
 * their terminator (BEL or ST), and two-character ESC sequences.
 */
const SEQUENCE =
  /(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[\x20-\x7e]?/g;

/**
 * Every character stripped from relayed text: C0 except TAB, DEL, C1, the bidi embeddings/overrides/isolates and
 * marks, the line and paragraph separators, and the zero-width and invisible format characters.
 */
const UNSAFE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * Returns `line` without control characters (see above), as UTF-8; invalid UTF-8 becomes U+FFFD. Returns the same
 * buffer, uncopied, when it is plain printable ASCII (the common case, kept cheap).
 */
export function cleanText(line: Buffer): Buffer {
  let plain = true;
  for (let i = 0; i < line.length; i++) {
    const b = line[i] as number;
    if ((b < 0x20 && b !== 0x09) || b >= 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) return line;
  return Buffer.from(line.toString('utf8').replace(SEQUENCE, '').replace(UNSAFE, ''), 'utf8');
}

/** Longest nickname, in characters. */
export const MAX_NICK = 32;

const NICK = /^[A-Za-z0-9_-]{1,32}$/;

/** True when `name` is a valid nickname: 1–32 letters, digits, `_` or `-`. */
export function validNick(name: string): boolean {
  return NICK.test(name);
}

/** A command a participant typed, or undefined for an ordinary line. */
export type ChatCommand = { kind: 'nick'; name: string };

/**
 * Recognises `/nick NAME` in a cleaned line (surrounding blanks ignored). Other lines, including other words
 * after a slash, are ordinary text: the room runs nothing on anyone's behalf.
 */
export function parseCommand(line: Buffer): ChatCommand | undefined {
  // 0x2f is '/': test the first byte before making a string of every line.
  if (line[0] !== 0x2f) return undefined;
  const m = /^\/nick(?:[ \t]+(\S*))?[ \t]*$/.exec(line.toString('utf8'));
  if (!m) return undefined;
  return { kind: 'nick', name: m[1] ?? '' };
}
