/**
 * TFTP printer: tcpdump 4.99's print-tftp.c, e.g. `TFTP, length 17, RRQ "file.txt" octet` or
 * `TFTP, length 516, DATA block 1`. RFC 1350 (TFTP), RFC 2347 (options, OACK).
 *
 *   RRQ/WRQ | 01/02 | filename | 0 | mode | 0 | [option | 0 | value | 0 …]
 *   DATA    | 03    | block    | data…
 *   ACK     | 04    | block
 *   ERROR   | 05    | code     | message | 0
 *   OACK    | 06    | option | 0 | value | 0 …
 */
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { printZtn } from './strings.js';
import { tok2str } from './tables.js';
import { truncated } from './trunc.js';

const RRQ = 1;
const WRQ = 2;
const DATA = 3;
const ACK = 4;
const ERROR = 5;
const OACK = 6;

const OPCODES: ReadonlyMap<number, string> = new Map([
  [RRQ, 'RRQ'],
  [WRQ, 'WRQ'],
  [DATA, 'DATA'],
  [ACK, 'ACK'],
  [ERROR, 'ERROR'],
  [OACK, 'OACK'],
]);

const ERRORS: ReadonlyMap<number, string> = new Map([
  [0, 'EUNDEF'],
  [1, 'ENOTFOUND'],
  [2, 'EACCESS'],
  [3, 'ENOSPACE'],
  [4, 'EBADOP'],
  [5, 'EBADID'],
  [6, 'EEXISTS'],
  [7, 'ENOUSER'],
]);

/** Prints the TFTP message of `length` bytes at `off` (tftp_print); a short message ends with ` [|tftp]`. */
export function printTftp(ctx: PrintContext, r: Reader, off: number, length: number): void {
  ctx.proto = 'tftp';
  const out = ctx.out;
  out.put(`TFTP, length ${length}`);
  if (length < 2) truncated();
  const opcode = r.be16(off);
  const name = tok2str(OPCODES, 'tftp-#%u', opcode);
  out.put(`, ${name}`);
  if (!OPCODES.has(opcode)) return;
  off += 2;
  length -= 2;
  /** One NUL-terminated string; a missing NUL is a truncated message. */
  const string = (): void => {
    const used = printZtn(out, r, off, length);
    if (used === 0) truncated();
    off += used;
    length -= used;
  };
  const options = (): void => {
    while (length !== 0) {
      if (r.u8(off) !== 0) out.put(' ');
      string();
    }
  };
  switch (opcode) {
    case RRQ:
    case WRQ: {
      if (length === 0) truncated();
      out.put(' "');
      const used = printZtn(out, r, off, length);
      out.put('"');
      if (used === 0) truncated();
      off += used;
      length -= used;
      if (length === 0) truncated(); // no mode
      out.put(' ');
      string();
      options();
      break;
    }
    case OACK:
      options();
      break;
    case ACK:
    case DATA:
      if (length < 2) truncated(); // no block number
      out.put(` block ${r.be16(off)}`);
      break;
    case ERROR: {
      if (length < 2) truncated(); // no error code
      out.put(` ${tok2str(ERRORS, 'tftp-err-#%u "', r.be16(off))}`);
      off += 2;
      length -= 2;
      if (length === 0) truncated(); // no message
      out.put(' "');
      const used = printZtn(out, r, off, length);
      out.put('"');
      if (used === 0) truncated();
      break;
    }
  }
}
