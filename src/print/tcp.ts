/**
 * TCP (print-tcp.c, RFC 9293): ports, flags, sequence numbers relative to the first seen in each connection
 * (unless -S), window, options (RFC 7323 mss/wscale/TS, RFC 2018 sack, RFC 7413 fast open, RFC 6994
 * experimental), and the payload printers tcpdump picks by port.
 *
 *   | sport | dport | seq(4) | ack(4) | off/flags(2) | win | cksum | urg | options … |
 */
import { TextMemo, lazyTexts, text, type PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { TCP_FLAGS, TCP_OPTIONS, bittok2str, tok2str } from './tables.js';
import { cksum4, cksum6, cksumShouldBe, fnChar, putEndpoint } from './util.js';
import { HTTP_CMDS, RTSP_CMDS, printSsh, printTxtProto } from './txt.js';
import { dns } from './udp.js';
import { FlowTable, MAX_FLOWS } from './flows.js';
import { putTrunc } from './trunc.js';

export const TH_FIN = 0x01;
export const TH_SYN = 0x02;
export const TH_RST = 0x04;
export const TH_PUSH = 0x08;
export const TH_ACK = 0x10;
const TH_URG = 0x20;
const MAX_RST_DATA_LEN = 30;
/** Connections (4-tuples) whose first sequence numbers are kept for relative numbering; the oldest goes first. */
export const MAX_SEQ_FLOWS = MAX_FLOWS;

/** "Flags [S.]" for each value of the flags byte, computed once. */
const flagText = lazyTexts(256, (f) => `Flags [${bittok2str(TCP_FLAGS, 'none', f, '')}]`);
const T_COLON = text(': ');
const T_CKSUM = text(', cksum 0x');
const T_CORRECT = text(' (correct)');
const T_SEQ = text(', seq ');
const T_ACK = text(', ack ');
const T_WIN = text(', win ');
const T_OPTIONS = text(', options [');
const T_OPTIONS_TS = text(', options [nop,nop,TS val ');
/** The first four option bytes of a segment with only a timestamp: NOP, NOP, kind 8, length 10. */
const NOP_NOP_TS = 0x0101080a;
const T_LENGTH = text(', length ');
const T_VAL = text(' val ');
const T_ECR = text(' ecr ');

// TCP option kinds, as tcpdump's tcp.h names them (IANA "TCP Option Kind Numbers").
const TCPOPT_EOL = 0;
const TCPOPT_NOP = 1;
export const TCPOPT_MAXSEG = 2;
export const TCPOPT_WSCALE = 3; // RFC 7323
const TCPOPT_SACKOK = 4; // RFC 2018
const TCPOPT_SACK = 5; // RFC 2018
const TCPOPT_ECHO = 6; // RFC 1072
const TCPOPT_ECHOREPLY = 7; // RFC 1072
export const TCPOPT_TIMESTAMP = 8; // RFC 7323
const TCPOPT_CC = 11; // RFC 1644
const TCPOPT_CCNEW = 12; // RFC 1644
const TCPOPT_CCECHO = 13; // RFC 1644
const TCPOPT_SIGNATURE = 19; // RFC 2385
const TCPOPT_SCPS = 20; // SCPS-TP (CCSDS 714.0-B-2)
const TCPOPT_UTO = 28; // RFC 5482
const TCPOPT_TCPAO = 29; // RFC 5925
const TCPOPT_FASTOPEN = 34; // RFC 7413
const TCPOPT_EXPERIMENT2 = 254; // RFC 4727, RFC 6994
/** The experiment ID of TCP Fast Open in an experimental option (RFC 6994, before kind 34 was assigned). */
const TCPOPT_FASTOPEN_MAGIC = 0xf989;

/** The name of each option kind as printed ("unknown-N" for kinds without one), computed once. */
const optionText = lazyTexts(256, (kind) => tok2str(TCP_OPTIONS, 'unknown-%u', kind));

/** How option parsing ended: after the last option, at a bad length (tcpdump's `goto bad`) or cut short (`goto trunc`). */
const OPTS_DONE = 0;
const OPTS_BAD = 1;
const OPTS_TRUNC = 2;
type OptsEnd = typeof OPTS_DONE | typeof OPTS_BAD | typeof OPTS_TRUNC;

function fastOpen(r: Reader, cp: number, datalen: number, exp: boolean): string {
  let s = exp ? 'tfo' : '';
  if (datalen === 0) return s + ' cookiereq';
  if (datalen % 2 !== 0 || datalen < 4 || datalen > 16) return s + ' (invalid)';
  s += ' cookie ';
  for (let i = 0; i < datalen; i++)
    s += r
      .u8(cp + i)
      .toString(16)
      .padStart(2, '0');
  return s;
}

/**
 * The relative numbering of the segment printed last (relate()): its sequence and acknowledgment numbers as
 * printed, the connection's first numbers, and whether it goes against the canonical direction.
 */
const rel = { seq: 0, ack: 0, thseq: 0, thack: 0, rev: false };

/** Prints a TCP segment of `length` bytes at `off`, inside the IP header at `ipOff`. */
export function printTcp(
  ctx: PrintContext,
  r: Reader,
  off: number,
  length: number,
  ipOff: number,
  ver: 4 | 6,
  fragmented: boolean,
): void {
  ctx.proto = 'tcp';
  const out = ctx.out;
  const v6 = ver === 6;
  // The addresses are printed below, but a short header ends the packet before anything is printed.
  r.check(ipOff + (v6 ? 8 : 12), v6 ? 32 : 8);
  if (!r.has(off + 2, 2)) {
    putCutPorts(ctx, r, ipOff, v6);
    return;
  }
  const sport = r.be16(off);
  const dport = r.be16(off + 2);
  putEndpoints(ctx, r, ipOff, v6, sport, dport);
  if (!r.has(off, 20)) {
    putTrunc(ctx, 'tcp');
    return;
  }
  const hlen = (r.u8(off + 12) >> 4) * 4;
  if (hlen < 20 || ctx.opts.quick) {
    putShort(ctx, length, hlen);
    return;
  }
  const flags = r.u8(off + 13);
  out.putText(flagText(flags));
  relate(ctx, r, off, ipOff, v6, sport, dport, flags);
  if (hlen > length) {
    out.put(` [bad hdr length ${hlen} - too long, > ${length}]`);
    return;
  }
  if (ctx.opts.verbose > 0 && !fragmented && r.has(off, length)) putChecksum(ctx, r, off, length, ipOff, v6);
  length -= hlen;
  if (ctx.opts.verbose > 1 || length > 0 || flags & (TH_SYN | TH_FIN | TH_RST)) {
    out.putText(T_SEQ);
    out.num(rel.seq);
    if (length > 0) {
      out.putByte(0x3a);
      out.num((rel.seq + length) >>> 0);
    }
  }
  if (flags & TH_ACK) {
    out.putText(T_ACK);
    out.num(rel.ack);
  }
  out.putText(T_WIN);
  out.num(r.be16(off + 14));
  if (flags & TH_URG) {
    out.put(', urg ');
    out.num(r.be16(off + 18));
  }
  if (hlen > 20 && !putOptions(ctx, r, off, hlen, length)) return;
  out.putText(T_LENGTH);
  out.num(length);
  if (length > 0) printData(ctx, r, off, length, flags, sport, dport);
}

/** The addresses of a segment too short for its ports, and the truncation mark. */
function putCutPorts(ctx: PrintContext, r: Reader, ipOff: number, v6: boolean): void {
  putEndpoint(ctx.out, r, ipOff, v6, 0, -1);
  ctx.out.put(' > ');
  putEndpoint(ctx.out, r, ipOff, v6, 1, -1);
  ctx.out.put(':');
  putTrunc(ctx, 'tcp');
}

/** "src.sport > dst.dport: " (only the ports inside IPv6 extension headers and tunnels' inner headers). */
function putEndpoints(ctx: PrintContext, r: Reader, ipOff: number, v6: boolean, sport: number, dport: number): void {
  const out = ctx.out;
  if (r.u8(ipOff + (v6 ? 6 : 9)) !== 6) {
    out.num(sport);
    out.put(' > ');
    out.num(dport);
    out.put(': ');
    return;
  }
  // Over IPv4 the same text for every segment of a connection: remembered once formatted.
  const memo = v6 ? undefined : (ctx.tcpEndpoints ??= new TextMemo());
  const src = v6 ? 0 : r.be32(ipOff + 12);
  const dst = v6 ? 0 : r.be32(ipOff + 16);
  const ports = (sport << 16) | dport;
  const slot = memo ? memo.find(src, dst, ports) : -1;
  if (memo && slot >= 0) {
    memo.put(out, slot);
    return;
  }
  const from = out.length;
  putEndpoint(out, r, ipOff, v6, 0, sport);
  out.put(' > ');
  putEndpoint(out, r, ipOff, v6, 1, dport);
  out.put(': ');
  memo?.remember(out, slot, from, src, dst, ports);
}

/** -q's "tcp N", or the report of a header length below 20 bytes. */
function putShort(ctx: PrintContext, length: number, hlen: number): void {
  const out = ctx.out;
  if (hlen < 20) {
    out.put(` tcp ${(length - hlen) >>> 0} [bad hdr length ${hlen} - too short, < 20]`);
    return;
  }
  out.put(`tcp ${(length - hlen) >>> 0}`);
  if (hlen > length) out.put(` [bad hdr length ${hlen} - too long, > ${length}]`);
}

/**
 * Sets `rel` for the segment at `off`: its numbers relative to the first ones seen in its connection (unless -S,
 * and only once the other side's number is known, from the first ACK on), as tcpdump's tcp_seq_hash does.
 */
function relate(
  ctx: PrintContext,
  r: Reader,
  off: number,
  ipOff: number,
  v6: boolean,
  sport: number,
  dport: number,
  flags: number,
): void {
  let seq = r.be32(off + 4);
  let ack = r.be32(off + 8);
  let rev = false;
  let thseq = 0;
  let thack = 0;
  if (!ctx.opts.absoluteSeq && flags & TH_ACK) {
    if (sport > dport) rev = true;
    else if (sport === dport) rev = compareAddr(r, ipOff, v6) > 0;
    // The key, in tcpdump's canonical direction: lower address/port first.
    const table = v6
      ? (ctx.tcpSeq6 ??= new FlowTable(9, MAX_SEQ_FLOWS))
      : (ctx.tcpSeq4 ??= new FlowTable(3, MAX_SEQ_FLOWS));
    const key = table.key;
    const a = ipOff + (v6 ? 8 : 12);
    const b = ipOff + (v6 ? 24 : 16);
    const n = v6 ? 4 : 1;
    for (let i = 0; i < n; i++) {
      key[i] = r.be32((rev ? b : a) + 4 * i);
      key[n + i] = r.be32((rev ? a : b) + 4 * i);
    }
    // Both ports in one word (as a 32-bit pattern: the table's words are unsigned).
    key[2 * n] = rev ? (dport << 16) | sport : (sport << 16) | dport;
    const slot = flags & TH_SYN ? -1 : table.find();
    if (slot < 0) {
      if (rev) {
        thseq = (ack - 1) >>> 0;
        thack = seq;
      } else {
        thseq = seq;
        thack = (ack - 1) >>> 0;
      }
      table.set(thseq, thack);
    } else {
      thseq = table.value(slot, 0);
      thack = table.value(slot, 1);
      if (rev) {
        seq = (seq - thack) >>> 0;
        ack = (ack - thseq) >>> 0;
      } else {
        seq = (seq - thseq) >>> 0;
        ack = (ack - thack) >>> 0;
      }
    }
  }
  rel.seq = seq;
  rel.ack = ack;
  rel.thseq = thseq;
  rel.thack = thack;
  rel.rev = rev;
}

/** ", cksum 0x1234 (correct)" (-v), for the `length` bytes of the segment at `off`, all captured. */
function putChecksum(ctx: PrintContext, r: Reader, off: number, length: number, ipOff: number, v6: boolean): void {
  const out = ctx.out;
  const sum = v6 ? cksum6(r, ipOff, off, length, 6) : cksum4(r, ipOff, off, length, 6);
  const field = r.be16(off + 16);
  out.putText(T_CKSUM);
  out.putHex(field, 4);
  if (sum === 0) out.putText(T_CORRECT);
  else out.put(` (incorrect -> 0x${cksumShouldBe(field, sum).toString(16).padStart(4, '0')})`);
}

/**
 * ", options [...]" of the segment at `off` with a header of `hlen` bytes (over 20) and `length` bytes of data;
 * false when the options ended the line (bad or cut).
 */
function putOptions(ctx: PrintContext, r: Reader, off: number, hlen: number, length: number): boolean {
  const out = ctx.out;
  if (hlen === 32 && r.has(off + 20, 12) && r.be32(off + 20) === NOP_NOP_TS) {
    // The options of nearly every segment Linux sends: printed as printOptions would, without its walk.
    out.putText(T_OPTIONS_TS);
    out.num(r.be32(off + 24));
    out.putText(T_ECR);
    out.num(r.be32(off + 28));
    out.putByte(0x5d);
    return true;
  }
  out.putText(T_OPTIONS);
  const count = { n: 0 };
  const end = printOptions(ctx, r, off + 20, hlen - 20, rel.rev, rel.thseq, rel.thack, off + hlen + length, count);
  if (end === OPTS_DONE) {
    out.put(']');
    return true;
  }
  // tcpdump closes with a bracket (or, when cut, its old '>') only after at least one whole option.
  const after = count.n > 0;
  if (end === OPTS_BAD) out.put(after ? '[bad opt]]' : '[bad opt]');
  else {
    putTrunc(ctx, 'tcp');
    if (after) out.put('>');
  }
  return false;
}

/** What follows ", length N" for the `length` (> 0) bytes of data of the segment at `off`. */
function printData(
  ctx: PrintContext,
  r: Reader,
  off: number,
  length: number,
  flags: number,
  sport: number,
  dport: number,
): void {
  const headerLen = (r.u8(off + 12) >> 4) * 4;
  if (!r.has(off, headerLen)) {
    ctx.out.put(` [remaining caplen(${Math.max(0, r.caplen - off)}) < header length(${headerLen})]`);
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

/** tcpdump's LENCHECK: `l` bytes of option data at `cp` must fit in the `hlen` left (else bad) and be captured. */
function lencheck(r: Reader, cp: number, hlen: number, l: number): OptsEnd {
  return l > hlen ? OPTS_BAD : r.has(cp, l) ? OPTS_DONE : OPTS_TRUNC;
}

/**
 * Prints the options in the `hlen` bytes at `cp` (counting whole ones in `count`); returns how it ended. A kind
 * or length byte that was not captured ends the packet (Truncated), as tcpdump's GET_U_1 does.
 */
function printOptions(
  ctx: PrintContext,
  r: Reader,
  cp: number,
  hlen: number,
  rev: boolean,
  thseq: number,
  thack: number,
  dataEnd: number,
  count: { n: number },
): OptsEnd {
  const out = ctx.out;
  let first = true;
  while (hlen > 0) {
    if (!first) out.put(',');
    first = false;
    const opt = r.u8(cp++);
    let len: number;
    if (opt === TCPOPT_EOL || opt === TCPOPT_NOP) len = 1;
    else {
      len = r.u8(cp++);
      if (len < 2 || len > hlen) return OPTS_BAD;
      --hlen;
    }
    --hlen;
    let datalen = 0;
    let end: OptsEnd;
    out.putText(optionText(opt));
    switch (opt) {
      case TCPOPT_MAXSEG:
        datalen = 2;
        if ((end = lencheck(r, cp, hlen, datalen)) !== OPTS_DONE) return end;
        out.put(' ');
        out.num(r.be16(cp));
        break;
      case TCPOPT_WSCALE:
        datalen = 1;
        if ((end = lencheck(r, cp, hlen, datalen)) !== OPTS_DONE) return end;
        out.put(' ');
        out.num(r.u8(cp));
        break;
      case TCPOPT_SACK:
        datalen = len - 2;
        if (datalen % 8 !== 0) out.put(' invalid sack');
        else {
          out.put(` ${datalen / 8} `);
          for (let i = 0; i < datalen; i += 8) {
            if ((end = lencheck(r, cp, hlen, i + 4)) !== OPTS_DONE) return end;
            let s = r.be32(cp + i);
            if ((end = lencheck(r, cp, hlen, i + 8)) !== OPTS_DONE) return end;
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
      case TCPOPT_ECHO:
      case TCPOPT_ECHOREPLY:
      case TCPOPT_CC:
      case TCPOPT_CCNEW:
      case TCPOPT_CCECHO:
        datalen = 4;
        if ((end = lencheck(r, cp, hlen, datalen)) !== OPTS_DONE) return end;
        out.put(` ${r.be32(cp)}`);
        break;
      case TCPOPT_TIMESTAMP:
        datalen = 8;
        if ((end = lencheck(r, cp, hlen, datalen)) !== OPTS_DONE) return end;
        {
          const val = r.be32(cp);
          const ecr = r.be32(cp + 4);
          out.putText(T_VAL);
          out.num(val);
          out.putText(T_ECR);
          out.num(ecr);
        }
        break;
      case TCPOPT_SIGNATURE: {
        datalen = 16;
        if ((end = lencheck(r, cp, hlen, datalen)) !== OPTS_DONE) return end;
        let s = '';
        for (let i = 0; i < 16; i++)
          s += r
            .u8(cp + i)
            .toString(16)
            .padStart(2, '0');
        // RFC 2385: checking needs the shared secret (tcpdump -M), which ntk does not take; say so as tcpdump does.
        out.put(dataEnd > r.caplen ? ' snaplen too short, ' : ' shared secret not supplied with -M, ');
        out.put("can't check - " + s);
        break;
      }
      case TCPOPT_SCPS:
        datalen = 2;
        if ((end = lencheck(r, cp, hlen, datalen)) !== OPTS_DONE) return end;
        out.put(` cap ${r.u8(cp).toString(16).padStart(2, '0')} id ${r.u8(cp + 1)}`);
        break;
      case TCPOPT_TCPAO:
        datalen = len - 2;
        if (datalen < 2) out.put(' (invalid)');
        else {
          if ((end = lencheck(r, cp, hlen, 1)) !== OPTS_DONE) return end;
          out.put(` keyid ${r.u8(cp)}`);
          if ((end = lencheck(r, cp, hlen, 2)) !== OPTS_DONE) return end;
          out.put(` rnextkeyid ${r.u8(cp + 1)}`);
          if (datalen > 2) {
            out.put(' mac 0x');
            for (let i = 2; i < datalen; i++) {
              if ((end = lencheck(r, cp, hlen, i + 1)) !== OPTS_DONE) return end;
              out.put(
                r
                  .u8(cp + i)
                  .toString(16)
                  .padStart(2, '0'),
              );
            }
          }
        }
        break;
      case TCPOPT_EOL:
      case TCPOPT_NOP:
      case TCPOPT_SACKOK:
        break;
      case TCPOPT_UTO: {
        datalen = 2;
        if ((end = lencheck(r, cp, hlen, datalen)) !== OPTS_DONE) return end;
        let uto = r.be16(cp);
        out.put(` 0x${uto.toString(16)}`);
        uto = uto & 1 ? (uto >> 1) * 60 : uto >> 1;
        out.put(` ${uto}`);
        break;
      }
      case TCPOPT_FASTOPEN:
        datalen = len - 2;
        if ((end = lencheck(r, cp, hlen, datalen)) !== OPTS_DONE) return end;
        // tcpdump prints a space, then the cookie text with its own leading space.
        out.put(' ' + fastOpen(r, cp, datalen, false));
        break;
      case TCPOPT_EXPERIMENT2: {
        datalen = len - 2;
        if ((end = lencheck(r, cp, hlen, datalen)) !== OPTS_DONE) return end;
        if (datalen < 2) return OPTS_BAD;
        const magic = r.be16(cp);
        out.put('-');
        if (magic === TCPOPT_FASTOPEN_MAGIC) out.put(fastOpen(r, cp + 2, datalen - 2, true));
        else out.put(magic.toString(16).padStart(4, '0'));
        break;
      }
      default:
        datalen = len - 2;
        if (datalen) out.put(' 0x');
        for (let i = 0; i < datalen; i++) {
          if ((end = lencheck(r, cp, hlen, i + 1)) !== OPTS_DONE) return end;
          out.put(
            r
              .u8(cp + i)
              .toString(16)
              .padStart(2, '0'),
          );
        }
    }
    cp += datalen;
    hlen -= datalen;
    count.n++;
    datalen++;
    if (opt !== TCPOPT_EOL && opt !== TCPOPT_NOP) datalen++;
    if (datalen !== len) out.put(`[len ${len}]`);
    if (opt === TCPOPT_EOL) break;
  }
  return OPTS_DONE;
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

// The ports tcpdump picks payload printers by, with its names (print-tcp.c, tcp.h).
const FTP_PORT = 21;
const SSH_PORT = 22;
const TELNET_PORT = 23;
const SMTP_PORT = 25;
const WHOIS_PORT = 43;
const NAMESERVER_PORT = 53;
const HTTP_PORT = 80;
const BGP_PORT = 179;
const RTSP_PORT = 554;
const PPTP_PORT = 1723;
const REDIS_PORT = 6379;
const OPENFLOW_PORT_OLD = 6633;
const OPENFLOW_PORT_IANA = 6653;
const HTTP_PORT_ALT = 8080;
const RTSP_PORT_ALT = 8554;
const BEEP_PORT = 10288; // RFC 3080

type PayloadPrinter = (ctx: PrintContext, r: Reader, bp: number, length: number) => void;

/** A text protocol's printer (txtproto_print), after ": ". */
function textProto(proto: string, cmds?: string[], respSecondToken = false): PayloadPrinter {
  return (ctx, r, bp, length) => {
    ctx.out.putText(T_COLON);
    ctx.proto = proto;
    printTxtProto(ctx, r, bp, length, cmds, respSecondToken);
  };
}

/**
 * The payload printers tcpdump chooses by port, in its order (print-tcp.c): the first entry that names either
 * port of the segment prints its data; an entry without a printer prints nothing more.
 */
const PAYLOADS: { ports: number[]; print?: PayloadPrinter }[] = [
  { ports: [TELNET_PORT] }, // only IAC sequences are printed, which ntk does not decode
  { ports: [SMTP_PORT], print: textProto('smtp') },
  { ports: [WHOIS_PORT], print: textProto('whois') },
  { ports: [BGP_PORT, PPTP_PORT, REDIS_PORT] },
  { ports: [SSH_PORT], print: printSsh },
  { ports: [BEEP_PORT, OPENFLOW_PORT_OLD, OPENFLOW_PORT_IANA] },
  { ports: [FTP_PORT], print: textProto('ftp') },
  { ports: [HTTP_PORT, HTTP_PORT_ALT], print: textProto('http', HTTP_CMDS, true) },
  { ports: [RTSP_PORT, RTSP_PORT_ALT], print: textProto('rtsp', RTSP_CMDS, true) },
  { ports: [NAMESERVER_PORT], print: (ctx, r, bp, length) => dns(ctx, r, bp, length, true) },
];

/** Per port: 1 + the index of the first entry of PAYLOADS that names it, 0 for none (a lookup, not a search). */
const PAYLOAD_RANK = new Uint8Array(65536);
PAYLOADS.forEach((entry, i) => {
  for (const port of entry.ports) if (PAYLOAD_RANK[port] === 0) PAYLOAD_RANK[port] = i + 1;
});

/** Prints the `length` bytes of data at `bp` with the printer the ports choose. */
function printPayload(ctx: PrintContext, r: Reader, bp: number, length: number, sport: number, dport: number): void {
  const a = PAYLOAD_RANK[sport] as number;
  const b = PAYLOAD_RANK[dport] as number;
  const rank = a === 0 ? b : b === 0 ? a : Math.min(a, b);
  if (rank !== 0) PAYLOADS[rank - 1]?.print?.(ctx, r, bp, length);
}
