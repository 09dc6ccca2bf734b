/**
 * --explain: what the fields of a packet's tcpdump line mean, a few short lines under it. Written for someone
 * reading tcpdump for the first time: relative sequence numbers and `first:last`, the scaled window, why
 * loopback shows mss 65495 and wscale 10, [DF], and checksums of outgoing packets that -v calls incorrect.
 */
import type { PrintOptions } from '../../print/context.js';
import type { Packet } from '../../print/packet.js';
import { TH_ACK, TH_FIN, TH_PUSH, TH_RST, TH_SYN } from '../../print/tcp.js';
import type { Decoded } from './decode.js';

/**
 * The MSS a loopback SYN offers: loopback's MTU is 65536, but an IPv4 packet is at most 65535 bytes (its length
 * field), so 65535 − 20 − 20 over IPv4; 65536 − 40 − 20 over IPv6.
 */
const LOOPBACK_MSS = { 4: 65495, 6: 65476 } as const;

/** Returns the explanation lines for one packet (without indentation). */
export function explainPacket(
  d: Decoded,
  _pkt: Packet,
  print: PrintOptions,
  how: { out: boolean; scale?: number },
): string[] {
  const lines: string[] = [];
  const t = d.tcp;
  if (t === undefined) {
    if (d.udp !== undefined)
      lines.push(`UDP: one datagram of ${d.udp} bytes; no connection, no acknowledgement, no retransmission`);
    if (d.icmp !== undefined)
      lines.push(
        "ICMP: an error report from a router or host about a packet we sent (it quotes that packet's headers)",
      );
    return lines;
  }
  const flags: string[] = [];
  if (t.flags & TH_SYN) flags.push('S = SYN (open: carries the initial sequence number)');
  if (t.flags & TH_FIN) flags.push('F = FIN (no more data from this side)');
  if (t.flags & TH_RST) flags.push('R = RST (abort: the connection is gone at once)');
  if (t.flags & TH_PUSH) flags.push('P = PUSH (deliver to the application now)');
  if (t.flags & TH_ACK) flags.push('. = ACK (the ack field is valid)');
  lines.push(`Flags [${flags.length ? '' : 'none'}${flags.join(', ')}]`);
  if (t.flags & TH_SYN) {
    lines.push(
      print.absoluteSeq
        ? 'seq: the initial sequence number, chosen at random by the sender'
        : 'seq: the initial sequence number, random; tcpdump prints later ones relative to it (-S: absolute)',
    );
    if (t.mss !== undefined) {
      const ip = d.family === 6 ? 40 : 20;
      lines.push(
        t.mss === LOOPBACK_MSS[d.family]
          ? `mss ${t.mss}: the largest segment this side takes: loopback's ${d.family === 4 ? 'largest IPv4 packet, 65535' : 'MTU, 65536'} bytes, minus ${ip} (IPv${d.family}) and 20 (TCP) (Ethernet: ${1500 - ip - 20})`
          : `mss ${t.mss}: the largest segment this side takes: the MTU minus ${ip} (IPv${d.family}) and 20 (TCP) header bytes (Ethernet: ${1500 - ip - 20})`,
      );
    }
    if (t.wscale !== undefined) {
      lines.push(
        `wscale ${t.wscale}: later window fields are multiplied by 2^${t.wscale} = ${2 ** t.wscale} (Linux picks ${t.wscale === 10 ? "10 for loopback's large buffers" : 'it from its buffer size'}; Ethernet often 7)`,
      );
    }
    lines.push(`win ${t.win}: bytes this side can receive now (never scaled in a SYN)`);
  } else {
    if (t.payload > 0) {
      lines.push(
        `seq first:last: this segment's bytes, counted from the start of the stream${print.absoluteSeq ? '' : ' (relative to the initial sequence number)'}; last is not included: ${t.payload} bytes`,
      );
    } else if (t.flags & TH_FIN) {
      lines.push('seq: the FIN takes one sequence number of its own, after the last byte of data');
    }
    if (t.flags & TH_ACK) lines.push('ack: the next byte expected from the other side: everything before it arrived');
    lines.push(
      how.scale === undefined
        ? `win ${t.win}: the receive window as sent (multiplied by 2^wscale when both SYNs carried wscale)`
        : `win ${t.win}: the receive window: ${t.win} × 2^${how.scale} = ${t.win * 2 ** how.scale} bytes (tcpdump prints the raw field)`,
    );
  }
  if (d.df && print.verbose > 0)
    lines.push("flags [DF]: don't fragment: Linux sets it for path MTU discovery (RFC 1191)");
  if (print.verbose > 0 && how.out) {
    lines.push(
      'cksum … incorrect on packets we send: checksum offload: the kernel leaves the sum to the network card (or to nobody on loopback), and capture sees the packet before',
    );
  }
  return lines;
}
