/**
 * Truncation, said one way (tcpdump's nd_trunc_longjmp and nd_print_trunc). A read past the captured bytes
 * throws the one Truncated sentinel; it unwinds to the dispatcher, which ends the line with ` [|proto]` (the
 * printer that was running when the bytes ran out), or to a protocol boundary that catches it with `orTrunc`,
 * prints the same mark and carries on as tcpdump's `goto trunc … return` does. A printer that tests the length
 * itself (ND_TCHECK) prints the mark with `putTrunc` and returns. "Invalid" is not truncation: bad field values
 * print ` (invalid)` and return.
 */
import type { PrintContext } from './context.js';

/** Thrown when a read goes past the captured bytes; caught only by the dispatcher and by `orTrunc`. */
export class Truncated extends Error {
  constructor() {
    super('truncated');
    this.name = 'Truncated';
  }
}

/** The one instance thrown: truncation is common in captures, and building a stack trace each time is not free. */
const TRUNCATED = new Truncated();

/** Ends the packet here: throws the Truncated sentinel (tcpdump's nd_trunc_longjmp). */
export function truncated(): never {
  throw TRUNCATED;
}

/** tcpdump's truncation mark for `proto`: " [|tcp]". */
export function truncMark(proto: string): string {
  return ` [|${proto}]`;
}

/** Appends the truncation mark of `proto` (the printer running now unless named) to the line (nd_print_trunc). */
export function putTrunc(ctx: PrintContext, proto: string = ctx.proto): void {
  // In pieces: the mark ends many lines (a response cut by the snapshot length), and needs no string of its own.
  ctx.out.put(' [|');
  ctx.out.put(proto);
  ctx.out.put(']');
}

/**
 * Runs `body`; if it reads past the captured bytes, appends the mark of the printer running at that moment and
 * returns false instead of unwinding further (a printer whose tcpdump original ends in `trunc: nd_print_trunc`).
 * Any other error passes through.
 */
export function orTrunc(ctx: PrintContext, body: () => void): boolean {
  try {
    body();
    return true;
  } catch (e) {
    if (!(e instanceof Truncated)) throw e;
    putTrunc(ctx);
    return false;
  }
}
