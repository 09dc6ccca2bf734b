/**
 * Packet dumps as tcpdump prints them (print-ascii.c): -x hex_print, -X hex_and_ascii_print, -A ascii_print,
 * and the default dump of unknown payloads. Lines are built whole, never a byte at a time into the output.
 */
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { HEX2 } from './tables.js';
import { putTrunc } from './trunc.js';

/** ND_ASCII_ISGRAPH: printable and not a space. */
const GRAPH: string[] = Array.from({ length: 256 }, (_, i) => (i > 0x20 && i < 0x7f ? String.fromCharCode(i) : '.'));

function offsetText(oset: number): string {
  return '0x' + oset.toString(16).padStart(4, '0');
}

/** How many of the `len` bytes at `off` were captured; `cut` tells whether that is fewer. */
function avail(r: Reader, off: number, len: number): { n: number; cut: boolean } {
  const n = Math.max(0, Math.min(len, r.caplen - off));
  return { n, cut: n < len };
}

/** hex_print_with_offset: "<ident>0x0000:  4500 003c …", 8 groups of two bytes a line. */
export function hexDump(r: Reader, ident: string, off: number, len: number, oset = 0): { text: string; cut: boolean } {
  const { n, cut } = avail(r, off, len);
  const parts: string[] = [];
  let i = 0;
  for (; i + 1 < n; i += 2) {
    if (i % 16 === 0) parts.push(ident, offsetText(oset + i), ': ');
    parts.push(' ', HEX2[r.u8(off + i)] as string, HEX2[r.u8(off + i + 1)] as string);
  }
  if (i < n) {
    if (i % 16 === 0) parts.push(ident, offsetText(oset + i), ': ');
    parts.push(' ', HEX2[r.u8(off + i)] as string);
  }
  return { text: parts.join(''), cut };
}

/** hex_and_ascii_print_with_offset: hex padded to 40 columns, two spaces, then the printable characters. */
export function hexAsciiDump(
  r: Reader,
  ident: string,
  off: number,
  len: number,
  oset = 0,
): { text: string; cut: boolean } {
  const { n, cut } = avail(r, off, len);
  const parts: string[] = [];
  for (let line = 0; line < n; line += 16) {
    const end = Math.min(n, line + 16);
    let hexs = '';
    let asc = '';
    let i = line;
    for (; i + 1 < end; i += 2) {
      const a = r.u8(off + i);
      const b = r.u8(off + i + 1);
      hexs += ' ' + (HEX2[a] as string) + (HEX2[b] as string);
      asc += (GRAPH[a] as string) + (GRAPH[b] as string);
    }
    if (i < end) {
      const a = r.u8(off + i);
      hexs += ' ' + (HEX2[a] as string);
      asc += GRAPH[a] as string;
    }
    parts.push(ident, offsetText(oset + line), ': ', hexs.padEnd(40, ' '), '  ', asc);
  }
  return { text: parts.join(''), cut };
}

/** ascii_print: a newline, then the bytes with non-printables as '.', keeping tabs, spaces and LF; a CR before LF or near the end dropped. */
export function asciiDump(r: Reader, off: number, len: number): { text: string; cut: boolean } {
  const { n, cut } = avail(r, off, len);
  const chars: string[] = ['\n'];
  let run = '';
  for (let i = 0; i < n; i++) {
    const c = r.u8(off + i);
    if (c === 0x0d) {
      // tcpdump prints a '.' for a CR only with at least two bytes after it, the first not LF.
      if (n - (i + 1) > 1 && r.u8(off + i + 1) !== 0x0a) run += '.';
    } else if (c === 0x09 || c === 0x20 || c === 0x0a) {
      run += String.fromCharCode(c);
    } else {
      run += GRAPH[c] as string;
    }
    if (run.length >= 4096) {
      chars.push(run);
      run = '';
    }
  }
  chars.push(run);
  return { text: chars.join(''), cut };
}

/** ND_DEFAULTPRINT: the hex-and-ASCII dump of a payload ntk does not decode, unless -x/-X already dump it or -q. */
export function defaultPrint(ctx: PrintContext, r: Reader, off: number, len: number, force = false): void {
  const o = ctx.opts;
  // -x and -X dump every packet already and -q asks for less; -A does not stop this dump (as in tcpdump).
  if (!force && (o.hex > 0 || o.hexAscii > 0 || o.quick)) return;
  const d = hexAsciiDump(r, '\n\t', off, len);
  ctx.out.put(d.text);
  if (d.cut) putTrunc(ctx);
}
