/**
 * UDP (print-udp.c, RFC 768): addresses and ports, checksum with -vv (IPv4) or -v (IPv6), DNS on port 53, the
 * port printers of PORT_PRINTERS (NTP, BOOTP/DHCP, TFTP, SNMP, syslog, ISAKMP), otherwise "UDP, length N".
 *
 *   | sport | dport | length | cksum | payload … |
 */
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { orTrunc, putTrunc } from './trunc.js';
import { cksum4, cksum6, cksumShouldBe, putEndpoint } from './util.js';
import { hex } from './tables.js';
import { printDns } from './dns.js';
import { printNtp } from './ntp.js';
import { printTftp } from './tftp.js';
import { printBootp } from './bootp.js';
import { printSnmp } from './snmp.js';
import { printIsakmp } from './isakmp.js';
import { printSyslog } from './syslog.js';

/** A printer of a UDP payload: `length` bytes at `off`, inside the IP header at `ipOff`. */
type PayloadPrinter = (ctx: PrintContext, r: Reader, off: number, length: number, ipOff: number) => void;

/**
 * The port printers after DNS, in tcpdump's order (udp_print): the first entry with the source or the destination
 * port among its ports prints the payload. A printer that reads past the captured bytes ends the line with
 * ` [|proto]` (the dispatcher's catch).
 */
const PORT_PRINTERS: ReadonlyArray<readonly [readonly number[], PayloadPrinter]> = [
  [[69], printTftp], // TFTP_PORT
  [[68, 67], printBootp], // BOOTPC_PORT, BOOTPS_PORT
  [[500], printIsakmp], // ISAKMP_PORT
  [[161, 162], printSnmp], // SNMP_PORT, SNMPTRAP_PORT
  [[123], printNtp], // NTP_PORT
  [[514], printSyslog], // SYSLOG_PORT
];

/** udpipaddr_print: "src.sport > dst.dport: " (or only the ports inside IPv6 extension headers). */
function addrs(ctx: PrintContext, r: Reader, ipOff: number, v6: boolean, sport: number, dport: number): void {
  const out = ctx.out;
  const direct = r.u8(ipOff + (v6 ? 6 : 9)) === 17;
  if (direct) {
    // Both addresses are read before either is printed: a short header ends the packet with neither.
    r.check(ipOff + (v6 ? 8 : 12), v6 ? 32 : 8);
    putEndpoint(out, r, ipOff, v6, 0, sport);
    out.put(' > ');
    putEndpoint(out, r, ipOff, v6, 1, sport >= 0 ? dport : -1);
    out.put(': ');
  } else if (sport >= 0) {
    out.num(sport);
    out.put(' > ');
    out.num(dport);
    out.put(': ');
  }
}

/** Prints a UDP datagram of `length` bytes at `off`, inside the IP header at `ipOff`; DNS on 53 and mDNS on 5353. */
export function printUdp(
  ctx: PrintContext,
  r: Reader,
  off: number,
  length: number,
  ipOff: number,
  ver: 4 | 6,
  fragmented: boolean,
): void {
  ctx.proto = 'udp';
  const out = ctx.out;
  const v6 = ver === 6;
  if (!r.has(off + 2, 2)) {
    addrs(ctx, r, ipOff, v6, -1, -1);
    putTrunc(ctx);
    return;
  }
  const sport = r.be16(off);
  const dport = r.be16(off + 2);
  if (length < 8) {
    addrs(ctx, r, ipOff, v6, sport, dport);
    out.put(`truncated-udp ${length}`);
    return;
  }
  if (!r.has(off + 4, 2)) {
    addrs(ctx, r, ipOff, v6, sport, dport);
    putTrunc(ctx);
    return;
  }
  let ulen = r.be16(off + 4);
  // RFC 2675: a zero length in an IPv6 jumbogram means "see the IP length".
  if (ulen === 0 && length > 65535) ulen = length;
  if (ulen < 8) {
    addrs(ctx, r, ipOff, v6, sport, dport);
    out.put(`truncated-udplength ${ulen}`);
    return;
  }
  ulen -= 8;
  length -= 8;
  if (ulen < length) length = ulen;
  const cp = off + 8;
  if (cp > r.caplen) {
    addrs(ctx, r, ipOff, v6, sport, dport);
    putTrunc(ctx);
    return;
  }
  addrs(ctx, r, ipOff, v6, sport, dport);
  if (ctx.opts.verbose > 0 && !fragmented) {
    if (!v6 && ctx.opts.verbose > 1) {
      const field = r.be16(off + 6);
      if (field === 0) out.put('[no cksum] ');
      else if (r.has(cp, length)) {
        const sum = cksum4(r, ipOff, off, length + 8, 17);
        out.put(
          sum !== 0
            ? `[bad udp cksum 0x${hex(field, 4)} -> 0x${hex(cksumShouldBe(field, sum), 4)}!] `
            : '[udp sum ok] ',
        );
      }
    } else if (v6 && r.has(cp, length)) {
      const sum = cksum6(r, ipOff, off, length + 8, 17);
      const field = r.be16(off + 6);
      out.put(
        sum !== 0 ? `[bad udp cksum 0x${hex(field, 4)} -> 0x${hex(cksumShouldBe(field, sum), 4)}!] ` : '[udp sum ok] ',
      );
    }
  }
  if (!ctx.opts.quick && (sport === 53 || dport === 53)) {
    dns(ctx, r, cp, length, false);
    return;
  }
  // Multicast DNS (RFC 6762): tcpdump checks it after its other port printers, none of which use 5353.
  if (!ctx.opts.quick && (sport === 5353 || dport === 5353)) {
    dns(ctx, r, cp, length, false, true);
    return;
  }
  const port = ctx.opts.quick
    ? undefined
    : PORT_PRINTERS.find(([ports]) => ports.includes(sport) || ports.includes(dport));
  if (port) {
    port[1](ctx, r, cp, length, ipOff);
    return;
  }
  if (ulen > length && !fragmented) out.put(`UDP, bad length ${ulen} > ${length}`);
  else out.put(`UDP, length ${ulen}`);
}

/** Runs the DNS printer; a cut message ends the line with ` [|domain]` the way tcpdump's domain_print returns. */
export function dns(ctx: PrintContext, r: Reader, off: number, len: number, overTcp: boolean, mdns = false): void {
  orTrunc(ctx, () => printDns(ctx, r, off, len, overTcp, mdns));
}
