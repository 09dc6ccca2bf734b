/**
 * NTP printer: tcpdump 4.99's print-ntp.c. Default: `NTPv4, Client, length 48`; -v adds the leap indicator, and
 * for time messages (RFC 5905 §7.3) stratum, poll, precision, root delay and dispersion, reference ID and the four
 * timestamps; for control messages (mode 6, RFC 9327) the header fields.
 *
 * Time message (48 bytes, then optional key id and digest):
 *
 *   0      1       2      3        4            8                12       16        24        32        40    48
 *   +------+-------+------+---------+------------+----------------+--------+---------+---------+---------+
 *   |LI VN M|stratum|poll |precision| root delay | root dispersion| ref ID | ref ts  | orig ts | recv ts | xmt ts |
 *   +------+-------+------+---------+------------+----------------+--------+---------+---------+---------+
 *
 * Control message (mode 6): | LI VN M | R E M opcode | sequence | status | assoc | offset | count | data… |
 */
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { fnChar } from './util.js';
import { tok2str } from './tables.js';

const TIMEMSG_MINLEN = 48;
const CTRLMSG_MINLEN = 12;

const MODE_UNSPEC = 0;
const MODE_BROADCAST = 5;
const MODE_CONTROL = 6;

const STRATUM_UNSPECIFIED = 0;
const STRATUM_PRIM_REF = 1;
const STRATUM_INFO_QUERY = 62;
const STRATUM_INFO_REPLY = 63;

/** 2^32 as a double: the NTP fraction's scale (tcpdump's FMAXINT). */
const FMAXINT = 4294967296.0;
/** Seconds from 1900 (NTP's era 0) to 1970 (the Unix epoch). */
const JAN_1970 = 2208988800;

const MODES: ReadonlyMap<number, string> = new Map([
  [0, 'unspecified'],
  [1, 'symmetric active'],
  [2, 'symmetric passive'],
  [3, 'Client'],
  [4, 'Server'],
  [5, 'Broadcast'],
  [6, 'Control Message'],
  [7, 'Reserved'],
]);

const LEAP_INDICATORS: ReadonlyMap<number, string> = new Map([
  [0x00, ''],
  [0x40, '+1s'],
  [0x80, '-1s'],
  [0xc0, 'clock unsynchronized'],
]);

const STRATA: ReadonlyMap<number, string> = new Map([
  [STRATUM_UNSPECIFIED, 'unspecified'],
  [STRATUM_PRIM_REF, 'primary reference'],
]);

/** Prints the NTP message of `length` bytes at `off` (ntp_print). */
export function printNtp(ctx: PrintContext, r: Reader, off: number, length: number): void {
  ctx.proto = 'ntp';
  const out = ctx.out;
  const status = r.u8(off);
  out.put(`NTPv${(status & 0x38) >> 3}`);
  const mode = status & 0x07;
  const modeName = tok2str(MODES, 'Unknown mode', mode);
  if (!ctx.opts.verbose) {
    out.put(`, ${modeName}, length ${length}`);
    return;
  }
  out.put(`, ${modeName}, length ${length}\n`);
  const leap = status & 0xc0;
  out.put(`\tLeap indicator: ${tok2str(LEAP_INDICATORS, 'Unknown', leap)} (${leap})`);
  if (mode >= MODE_UNSPEC && mode <= MODE_BROADCAST) timeMessage(ctx, r, off, length);
  else if (mode === MODE_CONTROL) controlMessage(ctx, r, off, length);
}

/** ntp_time_print: the fields of a time message. */
function timeMessage(ctx: PrintContext, r: Reader, off: number, length: number): void {
  const out = ctx.out;
  if (length < TIMEMSG_MINLEN) {
    out.put(' (invalid)');
    r.check(off, length);
    return;
  }
  const stratum = r.u8(off + 1);
  const fallback = stratum >= 2 && stratum <= 15 ? 'secondary reference' : 'reserved';
  out.put(`, Stratum ${stratum} (${tok2str(STRATA, fallback, stratum)})`);
  const poll = signed8(r.u8(off + 2));
  out.put(`, poll ${poll}`);
  if (poll > -32 && poll < 32) out.put(poll >= 0 ? ` (${2 ** poll}s)` : ` (1/${2 ** -poll}s)`);
  out.put(`, precision ${signed8(r.u8(off + 3))}`);
  out.put(`\n\tRoot Delay: ${shortFixed(r, off + 4)}`);
  out.put(`, Root dispersion: ${shortFixed(r, off + 8)}`);
  r.check(off + 12, 4);
  out.put(', Reference-ID: ');
  const refid = off + 12;
  switch (stratum) {
    case STRATUM_UNSPECIFIED:
      out.put('(unspec)');
      break;
    case STRATUM_PRIM_REF:
      for (let i = 0; i < 4; i++) out.put(fnChar(r.u8(refid + i)));
      break;
    case STRATUM_INFO_QUERY:
      out.put(`${r.ipv4(refid)} INFO_QUERY`);
      return;
    case STRATUM_INFO_REPLY:
      out.put(`${r.ipv4(refid)} INFO_REPLY`);
      return;
    default:
      out.put(`0x${r.be32(refid).toString(16).padStart(8, '0')}`);
  }
  const ref = off + 16;
  const org = off + 24;
  const rec = off + 32;
  const xmt = off + 40;
  r.check(ref, 8);
  out.put(`\n\t  Reference Timestamp:  ${ntpTime(r, ref)}`);
  r.check(org, 8);
  out.put(`\n\t  Originator Timestamp: ${ntpTime(r, org)}`);
  r.check(rec, 8);
  out.put(`\n\t  Receive Timestamp:    ${ntpTime(r, rec)}`);
  r.check(xmt, 8);
  out.put(`\n\t  Transmit Timestamp:   ${ntpTime(r, xmt)}`);
  out.put(`\n\t    Originator - Receive Timestamp:  ${ntpDelta(r, org, rec)}`);
  out.put(`\n\t    Originator - Transmit Timestamp: ${ntpDelta(r, org, xmt)}`);
  const keyId = off + TIMEMSG_MINLEN;
  const digest = keyId + 4;
  const words = (n: number): string => {
    r.check(digest, n * 4);
    let s = '';
    for (let i = 0; i < n; i++)
      s += r
        .be32(digest + 4 * i)
        .toString(16)
        .padStart(8, '0');
    return s;
  };
  if (length === TIMEMSG_MINLEN + 4) {
    out.put(`\n\tKey id: ${r.be32(keyId)}`);
  } else if (length === TIMEMSG_MINLEN + 4 + 16) {
    out.put(`\n\tKey id: ${r.be32(keyId)}`);
    out.put(`\n\tAuthentication: ${words(4)}`);
  } else if (length === TIMEMSG_MINLEN + 4 + 20) {
    out.put(`\n\tKey id: ${r.be32(keyId)}`);
    out.put(`\n\tAuthentication: ${words(5)}`);
  } else if (length > TIMEMSG_MINLEN) {
    out.put(`\n\t(${length - TIMEMSG_MINLEN} more bytes after the header)`);
  }
}

/** ntp_control_print: the header of a mode 6 message; its data is not interpreted. */
function controlMessage(ctx: PrintContext, r: Reader, off: number, length: number): void {
  const out = ctx.out;
  if (length < CTRLMSG_MINLEN) {
    out.put(' (invalid)');
    r.check(off, length);
    return;
  }
  const control = r.u8(off + 1);
  const R = control & 0x80 ? 'Response' : 'Request';
  const E = control & 0x40 ? 'Error' : 'OK';
  const M = control & 0x20 ? 'More' : 'Last';
  out.put(`, ${R}, ${E}, ${M}, OpCode=${control & 0x1f}\n`);
  out.put(`\tSequence=${r.be16(off + 2)}`);
  const status = r.be16(off + 4);
  out.put(`, Status=${status === 0 ? '0' : `0x${status.toString(16)}`}`);
  out.put(`, Assoc.=${r.be16(off + 6)}`);
  out.put(`, Offset=${r.be16(off + 8)}`);
  const count = r.be16(off + 10);
  out.put(`, Count=${count}`);
  if (CTRLMSG_MINLEN + count > length) {
    out.put(' (invalid)');
    r.check(off, length);
    return;
  }
  if (count !== 0) {
    r.check(off + CTRLMSG_MINLEN, count);
    out.put('\n\tTO-BE-DONE: data not interpreted');
  }
}

function signed8(v: number): number {
  return v >= 0x80 ? v - 0x100 : v;
}

/** p_sfix: a 16.16 fixed-point value as `%d.%06d`. */
function shortFixed(r: Reader, off: number): string {
  const i = r.be16(off);
  const f = Math.trunc((r.be16(off + 2) / 65536.0) * 1000000.0);
  return `${i}.${String(f).padStart(6, '0')}`;
}

/** The 32-bit fraction as nanoseconds, truncated the way tcpdump's `(uint32_t)(ff * 1e9)` is. */
function nanos(fraction: number): string {
  return String(Math.trunc((fraction / FMAXINT) * 1000000000.0)).padStart(9, '0');
}

/** p_ntp_time: `seconds.nanoseconds` since 1900 and, unless zero, the UTC time in ISO 8601. */
function ntpTime(r: Reader, off: number): string {
  const i = r.be32(off);
  const text = `${i}.${nanos(r.be32(off + 4))}`;
  if (i === 0) return text;
  const d = new Date((i - JAN_1970) * 1000);
  return `${text} (${d.toISOString().slice(0, 19)}Z)`;
}

/** p_ntp_delta: the signed difference of the timestamps at `lfp` and `olfp` (`olfp` zero: `lfp` itself). */
function ntpDelta(r: Reader, olfp: number, lfp: number): string {
  const u = r.be32(lfp);
  const ou = r.be32(olfp);
  const uf = r.be32(lfp + 4);
  const ouf = r.be32(olfp + 4);
  if (ou === 0 && ouf === 0) return ntpTime(r, lfp);
  let sign: boolean;
  let i: number;
  let f: number;
  if (u > ou) {
    sign = false;
    i = u - ou;
    f = (uf - ouf) >>> 0;
    if (ouf > uf) i = (i - 1) >>> 0;
  } else if (u < ou) {
    sign = true;
    i = ou - u;
    f = (ouf - uf) >>> 0;
    if (uf > ouf) i = (i - 1) >>> 0;
  } else {
    i = 0;
    sign = !(uf > ouf);
    f = uf > ouf ? uf - ouf : ouf - uf;
  }
  return `${sign ? '-' : '+'}${i}.${nanos(f)}`;
}
