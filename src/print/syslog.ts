/**
 * Syslog printer: tcpdump 4.99's print-syslog.c, e.g. `SYSLOG daemon.notice, length: 58`; -v adds facility and
 * severity by number and the message text, -vv a hex dump of the whole message. RFC 3164 (BSD syslog),
 * RFC 5424 (PRI).
 *
 *   | '<' | PRI: 1-3 decimal digits = facility * 8 + severity | '>' | message… |
 */
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { hexDump } from './hex.js';
import { fnChar } from './util.js';
import { tok2str } from './tables.js';

const SEVERITY_MASK = 0x0007;
const FACILITY_MASK = 0x03f8;
/** The most PRI digits read. */
const MAX_DIGITS = 3;
const LT = 0x3c;
const GT = 0x3e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

const SEVERITIES: ReadonlyMap<number, string> = new Map(
  ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'debug'].map((s, i) => [i, s] as const),
);

const FACILITIES: ReadonlyMap<number, string> = new Map(
  [
    'kernel',
    'user',
    'mail',
    'daemon',
    'auth',
    'syslog',
    'lpr',
    'news',
    'uucp',
    'cron',
    'authpriv',
    'ftp',
    'ntp',
    'security',
    'console',
    'cron',
    'local0',
    'local1',
    'local2',
    'local3',
    'local4',
    'local5',
    'local6',
    'local7',
  ].map((s, i) => [i, s] as const),
);

/** Prints the syslog message of `len` bytes at `off` (syslog_print); no `<PRI>` prints ` (invalid)`. */
export function printSyslog(ctx: PrintContext, r: Reader, off: number, len: number): void {
  ctx.proto = 'syslog';
  const out = ctx.out;
  let msgOff = 0;
  let pri = 0;
  if (r.u8(off) !== LT) {
    out.put(' (invalid)');
    return;
  }
  msgOff++;
  while (msgOff <= MAX_DIGITS && r.u8(off + msgOff) >= DIGIT_0 && r.u8(off + msgOff) <= DIGIT_9) {
    pri = pri * 10 + (r.u8(off + msgOff) - DIGIT_0);
    msgOff++;
  }
  if (r.u8(off + msgOff) !== GT) {
    out.put(' (invalid)');
    return;
  }
  msgOff++;
  const facility = (pri & FACILITY_MASK) >> 3;
  const severity = pri & SEVERITY_MASK;
  const fac = tok2str(FACILITIES, 'unknown (%u)', facility);
  const sev = tok2str(SEVERITIES, 'unknown (%u)', severity);
  if (ctx.opts.verbose < 1) {
    out.put(`SYSLOG ${fac}.${sev}, length: ${len}`);
    return;
  }
  out.put(`SYSLOG, length: ${len}\n\tFacility ${fac} (${facility}), Severity ${sev} (${severity})\n\tMsg: `);
  if (len > msgOff) {
    // nd_printn without an end: a read past the capture abandons the packet (` [|syslog]`).
    for (let i = msgOff; i < len; i++) out.put(fnChar(r.u8(off + i)));
  }
  // print_unknown_data: as much of the message as was captured.
  if (ctx.opts.verbose > 1) out.put(hexDump(r, '\n\t', off, len).text);
}
