/**
 * TCP (print-tcp.c, RFC 9293): ports, flags, sequence numbers relative to the first seen in each connection
 * (unless -S), window, options (RFC 7323 mss/wscale/TS, RFC 2018 sack, RFC 7413 fast open, RFC 6994
 * experimental), and the payload printers tcpdump picks by port.
 *
 *   | sport | dport | seq(4) | ack(4) | off/flags(2) | win | cksum | urg | options … |
 */
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { TCP_FLAGS, TCP_OPTIONS, bittok2str, tok2str } from './tables.js';
import { cksum4, cksum6, cksumShouldBe, fnChar } from './util.js';
import { HTTP_CMDS, RTSP_CMDS, printSsh, printTxtProto } from './txt.js';
import { dns } from './udp.js';

const TH_FIN = 0x01;
const TH_SYN = 0x02;
const TH_RST = 0x04;
const TH_ACK = 0x10;
const TH_URG = 0x20;
const MAX_RST_DATA_LEN = 30;
/** Connections (4-tuples) whose first sequence numbers are kept for relative numbering; the oldest goes first. */
export const MAX_SEQ_FLOWS = 65536;

/** "Flags [S.]" for each value of the flags byte, computed once. */
const FLAG_TEXT: string[] = Array.from({ length: 256 }, (_, f) => `Flags [${bittok2str(TCP_FLAGS, 'none', f, '')}]`);

/** The first sequence numbers of a connection, in tcpdump's canonical direction. */
interface SeqEntry {
  seq: number;
  ack: number;
}

/** Marker thrown to leave option parsing the way tcpdump's `goto bad` does. */
class BadOpt {}

/** Marker thrown when option data was not captured (tcpdump's `goto trunc` from LENCHECK). */
class OptTrunc {}

function fastOpen(r: Reader, cp: number, datalen: number, exp: boolean): string {
  let s = exp ? 'tfo' : '';
  if (datalen === 0) return s + ' cookiereq';
  if (datalen % 2 !== 0 || datalen < 4 || datalen > 16) return s + ' (invalid)';
  s += ' cookie ';
  for (let i = 0; i < datalen; i++) s += r.u8(cp + i).toString(16).padStart(2, '0');
  return s;
}

/** Prints a TCP segment of `length` bytes at `off`, inside the IP header at `ipOff`. */
export function printTcp(ctx: PrintContext, r: Reader, off: number, length: number, ipOff: number, ver: 4 | 6, fragmented: boolean): void {
  ctx.proto = 'tcp';
  const out = ctx.out;
  const v6 = ver === 6;
  const srcText = v6 ? r.ipv6(ipOff + 8) : r.ipv4(ipOff + 12);
  const dstText = v6 ? r.ipv6(ipOff + 24) : r.ipv4(ipOff + 16);
  if (!r.has(off + 2, 2)) {
    out.put(`${srcText} > ${dstText}: [|tcp]`);
    return;
  }
  const sport = r.be16(off);
  const dport = r.be16(off + 2);
  const direct = r.u8(ipOff + (v6 ? 6 : 9)) === 6;
  out.put(direct ? `${srcText}.${sport} > ${dstText}.${dport}: ` : `${sport} > ${dport}: `);
  if (!r.has(off, 20)) {
    out.put(' [|tcp]');
    return;
  }
  let hlen = (r.u8(off + 12) >> 4) * 4;
  if (hlen < 20) {
    out.put(` tcp ${(length - hlen) >>> 0} [bad hdr length ${hlen} - too short, < 20]`);
    return;
  }
  let seq = r.be32(off + 4);
  let ack = r.be32(off + 8);
  const win = r.be16(off + 14);
  const urp = r.be16(off + 18);
  if (ctx.opts.quick) {
    out.put(`tcp ${(length - hlen) >>> 0}`);
    if (hlen > length) out.put(` [bad hdr length ${hlen} - too long, > ${length}]`);
    return;
  }
  const flags = r.u8(off + 13);
  out.put(FLAG_TEXT[flags] as string);
  let rev = false;
  let thseq = 0;
  let thack = 0;
  if (!ctx.opts.absoluteSeq && flags & TH_ACK) {
    if (sport > dport) rev = true;
    else if (sport === dport) rev = compareAddr(r, ipOff, v6) > 0;
    const key = rev ? `${dstText}|${srcText}|${dport}|${sport}` : `${srcText}|${dstText}|${sport}|${dport}`;
    const table = ctx.stateOf('tcp.seq', () => new Map<string, SeqEntry>());
    let th = table.get(key);
    if (th === undefined || flags & TH_SYN) {
      th = rev ? { ack: seq, seq: (ack - 1) >>> 0 } : { seq, ack: (ack - 1) >>> 0 };
      // Bounded, unlike tcpdump's: a long capture would otherwise keep every connection ever seen. A Map keeps
      // insertion order, so the first key is the oldest connection.
      if (!table.has(key) && table.size >= MAX_SEQ_FLOWS) table.delete(table.keys().next().value as string);
      table.set(key, th);
    } else if (rev) {
      seq = (seq - th.ack) >>> 0;
      ack = (ack - th.seq) >>> 0;
    } else {
      seq = (seq - th.seq) >>> 0;
      ack = (ack - th.ack) >>> 0;
    }
    thseq = th.seq;
    thack = th.ack;
  }
  if (hlen > length) {
    out.put(` [bad hdr length ${hlen} - too long, > ${length}]`);
    return;
  }
  if (ctx.opts.verbose > 0 && !fragmented && r.has(off, length)) {
    const sum = v6 ? cksum6(r, ipOff, off, length, 6) : cksum4(r, ipOff, off, length, 6);
    const field = r.be16(off + 16);
    out.put(`, cksum 0x${field.toString(16).padStart(4, '0')}`);
    out.put(sum !== 0 ? ` (incorrect -> 0x${cksumShouldBe(field, sum).toString(16).padStart(4, '0')})` : ' (correct)');
  }
  length -= hlen;
  if (ctx.opts.verbose > 1 || length > 0 || flags & (TH_SYN | TH_FIN | TH_RST)) {
    out.put(`, seq ${seq}`);
    if (length > 0) out.put(`:${(seq + length) >>> 0}`);
  }
  if (flags & TH_ACK) out.put(`, ack ${ack}`);
  out.put(`, win ${win}`);
  if (flags & TH_URG) out.put(`, urg ${urp}`);
  if (hlen > 20) {
    out.put(', options [');
    const count = { n: 0 };
    try {
      printOptions(ctx, r, off + 20, hlen - 20, rev, thseq, thack, off + hlen + length, count);
    } catch (e) {
      // tcpdump closes with a bracket (or, when cut, its old '>') only after at least one whole option.
      const after = count.n > 0;
      if (e instanceof BadOpt) out.put(after ? '[bad opt]]' : '[bad opt]');
      else if (e instanceof OptTrunc) out.put(after ? ' [|tcp]>' : ' [|tcp]');
      else throw e;
      return;
    }
    out.put(']');
  }
  out.put(`, length ${length}`);
  if (length <= 0) return;
  const headerLen = (r.u8(off + 12) >> 4) * 4;
  if (!r.has(off, headerLen)) {
    out.put(` [remaining caplen(${Math.max(0, r.caplen - off)}) < header length(${headerLen})]`);
    r.check(off, headerLen);
  }
  const bp = off + headerLen;
  if (flags & TH_RST && ctx.opts.verbose > 0) {
    printRstData(ctx, r, bp, length);
    return;
  }
  printPayload(ctx, r, bp, length, sport, dport);
}

/** Compares the source and destination addresses as memcmp does (for the canonical direction). */
function compareAddr(r: Reader, ipOff: number, v6: boolean): number {
  const n = v6 ? 16 : 4;
  const s = ipOff + (v6 ? 8 : 12);
  const d = ipOff + (v6 ? 24 : 16);
  for (let i = 0; i < n; i++) {
    const diff = r.u8(s + i) - r.u8(d + i);
    if (diff !== 0) return diff;
  }
  return 0;
}

function printOptions(ctx: PrintContext, r: Reader, cp: number, hlen: number, rev: boolean, thseq: number, thack: number, dataEnd: number, count: { n: number }): void {
  const out = ctx.out;
  let first = true;
  while (hlen > 0) {
    if (!first) out.put(',');
    first = false;
    const opt = r.u8(cp++);
    let len: number;
    if (opt === 0 || opt === 1) len = 1;
    else {
      len = r.u8(cp++);
      if (len < 2 || len > hlen) throw new BadOpt();
      --hlen;
    }
    --hlen;
    let datalen = 0;
    const lencheck = (l: number): void => {
      if (l > hlen) throw new BadOpt();
      if (!r.has(cp, l)) throw new OptTrunc();
    };
    out.put(tok2str(TCP_OPTIONS, 'unknown-%u', opt));
    switch (opt) {
      case 2:
        datalen = 2;
        lencheck(datalen);
        out.put(` ${r.be16(cp)}`);
        break;
      case 3:
        datalen = 1;
        lencheck(datalen);
        out.put(` ${r.u8(cp)}`);
        break;
      case 5:
        datalen = len - 2;
        if (datalen % 8 !== 0) out.put(' invalid sack');
        else {
          out.put(` ${datalen / 8} `);
          for (let i = 0; i < datalen; i += 8) {
            lencheck(i + 4);
            let s = r.be32(cp + i);
            lencheck(i + 8);
            let e = r.be32(cp + i + 4);
            if (rev) {
              s = (s - thseq) >>> 0;
              e = (e - thseq) >>> 0;
            } else {
              s = (s - thack) >>> 0;
              e = (e - thack) >>> 0;
            }
            out.put(`{${s}:${e}}`);
          }
        }
        break;
      case 6:
      case 7:
      case 11:
      case 12:
      case 13:
        datalen = 4;
        lencheck(datalen);
        out.put(` ${r.be32(cp)}`);
        break;
      case 8:
        datalen = 8;
        lencheck(datalen);
        out.put(` val ${r.be32(cp)} ecr ${r.be32(cp + 4)}`);
        break;
      case 19: {
        datalen = 16;
        lencheck(datalen);
        let s = '';
        for (let i = 0; i < 16; i++) s += r.u8(cp + i).toString(16).padStart(2, '0');
        // RFC 2385: checking needs the shared secret (tcpdump -M), which ntk does not take; say so as tcpdump does.
        out.put(dataEnd > r.caplen ? ' snaplen too short, ' : ' shared secret not supplied with -M, ');
        out.put("can't check - " + s);
        break;
      }
      case 20:
        datalen = 2;
        lencheck(datalen);
        out.put(` cap ${r.u8(cp).toString(16).padStart(2, '0')} id ${r.u8(cp + 1)}`);
        break;
      case 29:
        datalen = len - 2;
        if (datalen < 2) out.put(' (invalid)');
        else {
          lencheck(1);
          out.put(` keyid ${r.u8(cp)}`);
          lencheck(2);
          out.put(` rnextkeyid ${r.u8(cp + 1)}`);
          if (datalen > 2) {
            out.put(' mac 0x');
            for (let i = 2; i < datalen; i++) {
              lencheck(i + 1);
              out.put(r.u8(cp + i).toString(16).padStart(2, '0'));
            }
          }
        }
        break;
      case 0:
      case 1:
      case 4:
        break;
      case 28: {
        datalen = 2;
        lencheck(datalen);
        let uto = r.be16(cp);
        out.put(` 0x${uto.toString(16)}`);
        uto = uto & 1 ? (uto >> 1) * 60 : uto >> 1;
        out.put(` ${uto}`);
        break;
      }
      case 34:
        datalen = len - 2;
        lencheck(datalen);
        // tcpdump prints a space, then the cookie text with its own leading space.
        out.put(' ' + fastOpen(r, cp, datalen, false));
        break;
      case 254: {
        datalen = len - 2;
        lencheck(datalen);
        if (datalen < 2) throw new BadOpt();
        const magic = r.be16(cp);
        out.put('-');
        if (magic === 0xf989) out.put(fastOpen(r, cp + 2, datalen - 2, true));
        else out.put(magic.toString(16).padStart(4, '0'));
        break;
      }
      default:
        datalen = len - 2;
        if (datalen) out.put(' 0x');
        for (let i = 0; i < datalen; i++) {
          lencheck(i + 1);
          out.put(r.u8(cp + i).toString(16).padStart(2, '0'));
        }
    }
    cp += datalen;
    hlen -= datalen;
    count.n++;
    datalen++;
    if (opt !== 0 && opt !== 1) datalen++;
    if (datalen !== len) out.put(`[len ${len}]`);
    if (opt === 0) break;
  }
}

/** print_tcp_rst_data: " [RST <up to 30 escaped bytes>]" (RFC 1122 section 4.2.2.12). */
function printRstData(ctx: PrintContext, r: Reader, sp: number, length: number): void {
  let s = r.has(sp, length) ? ' [RST' : ' [!RST';
  if (length > MAX_RST_DATA_LEN) {
    length = MAX_RST_DATA_LEN;
    s += '+';
  }
  s += ' ';
  for (; length > 0 && sp < r.caplen; length--) s += fnChar(r.u8(sp++));
  ctx.out.put(s + ']');
}

/** The payload printers tcpdump chooses by port, in its order. */
function printPayload(ctx: PrintContext, r: Reader, bp: number, length: number, sport: number, dport: number): void {
  const port = (p: number): boolean => sport === p || dport === p;
  const out = ctx.out;
  if (port(23)) return; // telnet: only IAC sequences are printed, which ntk does not decode
  if (port(25)) {
    out.put(': ');
    ctx.proto = 'smtp';
    printTxtProto(ctx, r, bp, length, undefined, false);
  } else if (port(43)) {
    out.put(': ');
    ctx.proto = 'whois';
    printTxtProto(ctx, r, bp, length, undefined, false);
  } else if (port(179) || port(1723) || port(6379)) {
    return;
  } else if (port(22)) {
    printSsh(ctx, r, bp, length);
  } else if (port(10288) || port(6633) || port(6653)) {
    return;
  } else if (port(21)) {
    out.put(': ');
    ctx.proto = 'ftp';
    printTxtProto(ctx, r, bp, length, undefined, false);
  } else if (port(80) || port(8080)) {
    out.put(': ');
    ctx.proto = 'http';
    printTxtProto(ctx, r, bp, length, HTTP_CMDS, true);
  } else if (port(554) || port(8554)) {
    out.put(': ');
    ctx.proto = 'rtsp';
    printTxtProto(ctx, r, bp, length, RTSP_CMDS, true);
  } else if (port(53)) {
    dns(ctx, r, bp, length, true);
  }
}
