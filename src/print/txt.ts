/**
 * One-line summaries of text protocols over TCP (print-txtproto / util-print.c txtproto_print, print-ssh.c):
 * HTTP, RTSP, FTP, SMTP and WHOIS request/response lines, and the SSH version banner (RFC 4253 section 4.2).
 */
import { text, type PrintContext, type Text } from './context.js';
import type { Reader } from './reader.js';
import { isPrint } from './util.js';
import { putTrunc, truncated } from './trunc.js';

const MAX_TOKEN = 128;

/** Request methods that make a TCP payload an HTTP request line (RFC 9110, WebDAV). */
export const HTTP_CMDS = [
  'OPTIONS',
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'TRACE',
  'CONNECT',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'ORDERPATCH',
];
/** RTSP request methods (RFC 2326). */
export const RTSP_CMDS = [
  'OPTIONS',
  'DESCRIBE',
  'ANNOUNCE',
  'SETUP',
  'PLAY',
  'PAUSE',
  'TEARDOWN',
  'GET_PARAMETER',
  'SET_PARAMETER',
  'REDIRECT',
  'RECORD',
];

/** Where the token fetchToken found last starts, and its length. */
let tokStart = 0;
let tokLen = 0;

/**
 * fetch_token: reads one token at `idx` (a token cut by the capture is no token); returns the index after it
 * and its trailing blanks (the token's place in tokStart/tokLen), or 0 when there is none.
 */
function fetchToken(r: Reader, p: number, idx: number, len: number): number {
  const start = idx;
  for (; idx < len; idx++) {
    const c = r.peek(p + idx);
    if (c < 0 || c >= 0x80) return 0;
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) break;
    if (!isPrint(c)) return 0;
    if (idx - start + 2 > MAX_TOKEN + 1) return 0;
  }
  if (idx === start) return 0;
  tokStart = p + start;
  tokLen = idx - start;
  for (; idx < len; idx++) {
    const c = r.peek(p + idx);
    if (c < 0) break;
    if (c === 0x0d || c === 0x0a) break;
    if (!isPrint(c)) break;
    if (c !== 0x20 && c !== 0x09) break;
  }
  return idx;
}

/** True when the token found last is three digits (a response's status code). */
function tokenIsStatus(r: Reader): boolean {
  if (tokLen !== 3) return false;
  for (let i = 0; i < 3; i++) {
    const c = r.u8(tokStart + i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Commands are short: a longer token is none of them. */
const MAX_CMD = 16;

/** True when the token found last is one of `cmds` (upper-case ASCII), whatever its case, as strcasecmp finds. */
function tokenIsCommand(r: Reader, cmds: readonly string[]): boolean {
  if (tokLen > MAX_CMD) return false;
  next: for (const cmd of cmds) {
    if (cmd.length !== tokLen) continue;
    for (let i = 0; i < tokLen; i++) {
      let c = r.u8(tokStart + i);
      if (c >= 0x61 && c <= 0x7a) c -= 0x20;
      if (c !== cmd.charCodeAt(i)) continue next;
    }
    return true;
  }
  return false;
}

/** The upper-case name of each protocol printed here. */
const PROTO_TEXT = new Map<string, Text>();
/** The protocol named last, and its name: a run prints the same one packet after packet. */
let lastProto = '';
let lastText = text('');
function protoText(proto: string): Text {
  if (proto === lastProto) return lastText;
  let t = PROTO_TEXT.get(proto);
  if (t === undefined) PROTO_TEXT.set(proto, (t = text(proto.toUpperCase())));
  lastProto = proto;
  lastText = t;
  return t;
}

/** print_txt_line: prints one line after `prefix`; returns the index after its end, 0 when not a text line. */
function printTxtLine(ctx: PrintContext, prefix: Text, r: Reader, p: number, idx: number, len: number): number {
  const out = ctx.out;
  const before = out.length;
  out.putText(prefix);
  // The printable run from idx on, copied as it is read; past the captured bytes the packet is abandoned, as
  // tcpdump's GET_U_1 does.
  let stop: number;
  try {
    stop = r.putTextRun(out, p + idx, p + len) - p;
  } catch (err) {
    out.length = before;
    throw err;
  }
  if (stop >= len) {
    // Printable text without a line end: printed as a cut line.
    putTrunc(ctx);
    return 0;
  }
  const c = r.u8(p + stop);
  if (c === 0x0a) return stop + 1;
  if (c === 0x0d && stop + 1 < len) {
    if (!r.has(p + stop + 1, 1)) {
      out.length = before;
      truncated();
    }
    if (r.u8(p + stop + 1) === 0x0a) return stop + 2;
  }
  // Not a text line after all: nothing of it is printed.
  out.length = before;
  return 0;
}

const T_LINE = text('\n\t');
const T_FIRST = text(': ');
const T_LENGTH = text(', length: ');

/** txtproto_print: "HTTP: GET / HTTP/1.1" (-v: every line); `cmds` undefined means always a text protocol. */
export function printTxtProto(
  ctx: PrintContext,
  r: Reader,
  p: number,
  len: number,
  cmds: string[] | undefined,
  respSecondToken: boolean,
): void {
  let printThis = false;
  if (cmds !== undefined) {
    let idx = fetchToken(r, p, 0, len);
    if (idx !== 0) {
      if (tokenIsCommand(r, cmds)) printThis = true;
      if (respSecondToken) idx = fetchToken(r, p, idx, len);
      if (idx !== 0 && tokenIsStatus(r)) printThis = true;
    }
  } else {
    printThis = true;
  }
  ctx.out.putText(protoText(ctx.proto));
  if (!printThis) return;
  if (ctx.opts.verbose > 0) {
    ctx.out.putText(T_LENGTH);
    ctx.out.num(len);
    for (let idx = 0; idx < len;) {
      const eol = printTxtLine(ctx, T_LINE, r, p, idx, len);
      if (eol === 0) break;
      idx = eol;
    }
  } else {
    printTxtLine(ctx, T_FIRST, r, p, 0, len);
  }
}

/** ssh_print: the version banner line "SSH: SSH-2.0-OpenSSH_7.8", nothing for other segments. */
export function printSsh(ctx: PrintContext, r: Reader, p: number, len: number): void {
  ctx.proto = 'ssh';
  if (r.u8(p) !== 0x53 || r.u8(p + 1) !== 0x53 || r.u8(p + 2) !== 0x48 || r.u8(p + 3) !== 0x2d) return;
  let idx = 4;
  for (; idx < len; idx++) {
    const c = r.u8(p + idx);
    if (c === 0x0a) break;
    if (c === 0x0d) {
      if (idx + 1 >= len) return;
      if (r.u8(p + idx + 1) === 0x0a) break;
      return;
    }
    if (!isPrint(c)) return;
  }
  if (idx >= len) return;
  ctx.out.put(': SSH: ' + r.latin1(p, idx));
}
