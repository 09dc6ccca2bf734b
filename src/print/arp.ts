/**
 * ARP and RARP (print-arp.c), RFC 826 / RFC 903 / RFC 2390.
 *
 *   | hrd(2) | pro(2) | hln(1) | pln(1) | op(2) | sha(hln) | spa(pln) | tha(hln) | tpa(pln) |
 */
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { ARP_HRD, ARP_OPS, ETHERTYPES, tok2str } from './tables.js';
import { defaultPrint } from './hex.js';
import { truncated } from './trunc.js';

/** linkaddr_string: colon-separated hex of `len` bytes ("<empty>" for none). */
function linkAddr(r: Reader, off: number, len: number): string {
  if (len === 0) return '<empty>';
  if (len === 6) return r.mac(off);
  return r.hex(off, len, ':');
}

function isNonZero(r: Reader, off: number, len: number): boolean {
  r.check(off, len);
  for (let i = off; i < off + len; i++) if (r.u8(i) !== 0) return true;
  return false;
}

/** Prints an ARP packet of `length` bytes at `off`. */
export function printArp(ctx: PrintContext, r: Reader, off: number, length: number, caplen: number): void {
  ctx.proto = 'arp';
  const out = ctx.out;
  // A short packet ends here as a whole (tcpdump's longjmp): the -x/-X/-A dumps then start at the link header.
  if (!r.has(off, 8)) truncated();
  const hrd = r.be16(off);
  const pro = r.be16(off + 2);
  const hln = r.u8(off + 4);
  const pln = r.u8(off + 5);
  const op = r.be16(off + 6);
  const sha = off + 8;
  const spa = sha + hln;
  const tha = spa + pln;
  const tpa = tha + hln;
  if (!r.has(tpa, pln)) truncated();
  if (!ctx.opts.linkHeader) out.put('ARP, ');
  const v = ctx.opts.verbose > 0;
  const isIp = pro === 0x0800 || pro === 0x1000;
  if (!isIp || pln !== 4 || hln === 0 || v) {
    out.put(
      `${tok2str(ARP_HRD, 'Unknown Hardware (%u)', hrd)} (len ${hln}), ${tok2str(ETHERTYPES, 'Unknown Protocol (0x%04x)', pro)} (len ${pln})`,
    );
    if (!v) {
      out.put(`, length ${length}`);
      return;
    }
  }
  const ipText = (at: number): string => (!isIp ? '<wrong proto type>' : pln !== 4 ? '<wrong len>' : r.ipv4(at));
  out.put(`${v ? ', ' : ''}${tok2str(ARP_OPS, 'Unknown (%u)', op)} `);
  switch (op) {
    case 1:
      out.put('who-has ' + ipText(tpa));
      if (isNonZero(r, tha, hln)) out.put(` (${linkAddr(r, tha, hln)})`);
      out.put(' tell ' + ipText(spa));
      break;
    case 2:
      out.put(`${ipText(spa)} is-at ${linkAddr(r, sha, hln)}`);
      break;
    case 3:
    case 8:
      out.put(`who-is ${linkAddr(r, tha, hln)} tell ${linkAddr(r, sha, hln)}`);
      break;
    case 4:
      out.put(`${linkAddr(r, tha, hln)} at ${ipText(tpa)}`);
      break;
    case 9:
      out.put(`${linkAddr(r, sha, hln)} at ${ipText(spa)}`);
      break;
    default:
      defaultPrint(ctx, r, off, caplen, true);
      return;
  }
  out.put(`, length ${length}`);
}
