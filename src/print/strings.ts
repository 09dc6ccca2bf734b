/**
 * Strings in packets, printed the way util-print.c does: each byte through fn_print_char (`M-x`, `^X`), stopping
 * at a NUL, at a field's length, or at the captured end. Reads go through the Reader.
 */
import type { Out } from './context.js';
import type { Reader } from './reader.js';
import { fnChar } from './util.js';

/**
 * nd_printztn: prints the NUL-terminated string at `off` within `n` bytes; returns the bytes used including the
 * NUL, or 0 when no NUL came before `n` bytes or the captured end (the caller then prints ` [|proto]`).
 */
export function printZtn(out: Out, r: Reader, off: number, n: number): number {
  let bytes = 0;
  for (;;) {
    if (n === 0 || !r.has(off, 1)) return 0;
    const c = r.u8(off++);
    bytes++;
    n--;
    if (c === 0) return bytes;
    out.put(fnChar(c));
  }
}

/** nd_printn: prints `n` bytes at `off` (NULs included, as `^@`); returns true when the capture ended first. */
export function printN(out: Out, r: Reader, off: number, n: number): boolean {
  for (; n > 0 && r.has(off, 1); n--, off++) out.put(fnChar(r.u8(off)));
  return n !== 0;
}
