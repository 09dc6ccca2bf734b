/**
 * One-line summaries of text protocols over TCP (print-txtproto / util-print.c txtproto_print, print-ssh.c):
 * HTTP, RTSP, FTP, SMTP and WHOIS request/response lines, and the SSH version banner (RFC 4253 section 4.2).
 */
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { isPrint } from './util.js';

const MAX_TOKEN = 128;

/** Request methods that make a TCP payload an HTTP request line (RFC 9110, WebDAV). */
export const HTTP_CMDS = ['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'ORDERPATCH'];
/** RTSP request methods (RFC 2326). */
export const RTSP_CMDS = ['OPTIONS', 'DESCRIBE', 'ANNOUNCE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER', 'REDIRECT', 'RECORD'];

/** The captured part of [p, p+len): every index below its length was captured. */
function captured(r: Reader, p: number, len: number): Uint8Array {
  const n = Math.max(0, Math.min(len, r.caplen - p));
  return n > 0 ? r.bytes(p, n) : new Uint8Array(0);
}

/** fetch_token: reads one token at `idx`; returns [index after it and its trailing blanks, token] or [0, ''] . */
function fetchToken(r: Reader, p: number, idx: number, len: number): [number, string] {
  const b = captured(r, p, len);
  const start = idx;
  for (; idx < len; idx++) {
    if (idx >= b.length) return [0, ''];
    const c = b[idx] as number;
    if (c >= 0x80) return [0, ''];
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) break;
    if (!isPrint(c)) return [0, ''];
    if (idx - start + 2 > MAX_TOKEN + 1) return [0, ''];
  }
  if (idx === start) return [0, ''];
  const tok = Buffer.from(b.buffer, b.byteOffset + start, idx - start).toString('latin1');
  for (; idx < len; idx++) {
    if (idx >= b.length) break;
    const c = b[idx] as number;
    if (c === 0x0d || c === 0x0a) break;
    if (!isPrint(c)) break;
    if (c !== 0x20 && c !== 0x09) break;
  }
  return [idx, tok];
}

/** print_txt_line: prints one line after `prefix`; returns the index after its end, 0 when not a text line. */
function printTxtLine(ctx: PrintContext, prefix: string, r: Reader, p: number, idx: number, len: number): number {
  const start = idx;
  const b = captured(r, p, len);
  let lineLen: number;
  for (;;) {
    if (idx >= len) {
      // Printable text without a line end: print it as a cut line.
      ctx.out.put(prefix + text(r, p + start, idx - start) + ` [|${ctx.proto}]`);
      return 0;
    }
    // Past the captured bytes: abandon the packet as tcpdump's GET_U_1 does.
    const c = idx < b.length ? (b[idx] as number) : r.u8(p + idx);
    if (c === 0x0a) {
      lineLen = idx - start;
      idx++;
      break;
    }
    if (c === 0x0d) {
      if (idx + 1 >= len) return 0;
      if ((idx + 1 < b.length ? (b[idx + 1] as number) : r.u8(p + idx + 1)) === 0x0a) {
        lineLen = idx - start;
        idx += 2;
        break;
      }
      return 0;
    }
    if (!isPrint(c) && c !== 0x09) return 0;
    idx++;
  }
  ctx.out.put(prefix + text(r, p + start, lineLen));
  return idx;
}

function text(r: Reader, off: number, len: number): string {
  return Buffer.from(r.bytes(off, len)).toString('latin1');
}

/** txtproto_print: "HTTP: GET / HTTP/1.1" (-v: every line); `cmds` undefined means always a text protocol. */
export function printTxtProto(ctx: PrintContext, r: Reader, p: number, len: number, cmds: string[] | undefined, respSecondToken: boolean): void {
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
    for (let idx = 0; idx < len; ) {
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
  ctx.out.put(': SSH: ' + text(r, p, idx));
}
