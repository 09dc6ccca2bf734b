/**
 * One-line summaries of text protocols over TCP (print-txtproto / util-print.c txtproto_print, print-ssh.c):
 * HTTP, RTSP, FTP, SMTP and WHOIS request/response lines, and the SSH version banner (RFC 4253 section 4.2).
 */
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { isPrint } from './util.js';
import { truncMark } from './trunc.js';

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

/** The byte at p + idx, or -1 when it was not captured (a token cut by the capture is no token). */
function byteAt(r: Reader, p: number, idx: number): number {
  return r.has(p + idx, 1) ? r.u8(p + idx) : -1;
}

/** fetch_token: reads one token at `idx`; returns [index after it and its trailing blanks, token] or [0, ''] . */
function fetchToken(r: Reader, p: number, idx: number, len: number): [number, string] {
  const start = idx;
  for (; idx < len; idx++) {
    const c = byteAt(r, p, idx);
    if (c < 0 || c >= 0x80) return [0, ''];
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) break;
    if (!isPrint(c)) return [0, ''];
    if (idx - start + 2 > MAX_TOKEN + 1) return [0, ''];
  }
  if (idx === start) return [0, ''];
  const tok = r.latin1(p + start, idx - start);
  for (; idx < len; idx++) {
    const c = byteAt(r, p, idx);
    if (c < 0) break;
    if (c === 0x0d || c === 0x0a) break;
    if (!isPrint(c)) break;
    if (c !== 0x20 && c !== 0x09) break;
  }
  return [idx, tok];
}

/** print_txt_line: prints one line after `prefix`; returns the index after its end, 0 when not a text line. */
function printTxtLine(ctx: PrintContext, prefix: string, r: Reader, p: number, idx: number, len: number): number {
  const start = idx;
  let lineLen: number;
  for (;;) {
    if (idx >= len) {
      // Printable text without a line end: print it as a cut line.
      ctx.out.put(prefix + r.latin1(p + start, idx - start) + truncMark(ctx.proto));
      return 0;
    }
    // Past the captured bytes: abandon the packet as tcpdump's GET_U_1 does.
    const c = r.u8(p + idx);
    if (c === 0x0a) {
      lineLen = idx - start;
      idx++;
      break;
    }
    if (c === 0x0d) {
      if (idx + 1 >= len) return 0;
      if (r.u8(p + idx + 1) === 0x0a) {
        lineLen = idx - start;
        idx += 2;
        break;
      }
      return 0;
    }
    if (!isPrint(c) && c !== 0x09) return 0;
    idx++;
  }
  ctx.out.put(prefix + r.latin1(p + start, lineLen));
  return idx;
}

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
    let [idx, tok] = fetchToken(r, p, 0, len);
    if (idx !== 0) {
      const upper = tok.toUpperCase();
      if (cmds.includes(upper)) printThis = true;
      if (respSecondToken) [idx, tok] = fetchToken(r, p, idx, len);
      if (idx !== 0 && /^[0-9]{3}$/.test(tok)) printThis = true;
    }
  } else {
    printThis = true;
  }
  ctx.out.put(ctx.proto.toUpperCase());
  if (!printThis) return;
  if (ctx.opts.verbose > 0) {
    ctx.out.put(`, length: ${len}`);
    for (let idx = 0; idx < len;) {
      const eol = printTxtLine(ctx, '\n\t', r, p, idx, len);
      if (eol === 0) break;
      idx = eol;
    }
  } else {
    printTxtLine(ctx, ': ', r, p, 0, len);
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
