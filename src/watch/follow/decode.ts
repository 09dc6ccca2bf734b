/**
 * What session following needs of a packet, read once through the bounds-checked reader: addresses, TCP
 * header fields and options (RFC 9293, RFC 7323 wscale), UDP ports, and for ICMP/ICMPv6 errors (RFC 792,
 * RFC 4443) the session the quoted header belongs to. Never throws: a packet it cannot read is undefined.
 *
 *   IPv4: | ver/ihl | tos | len(2) | id(2) | frag(2) | ttl | proto | cksum(2) | src(4) | dst(4) |
 *   IPv6: | ver/tc/flow(4) | plen(2) | next | hops | src(16) | dst(16) |
 *   TCP:  | sport | dport | seq(4) | ack(4) | off/flags(2) | win | cksum | urg | options … |
 */
import type { Packet } from '../../print/packet.js';
import { Reader } from '../../print/reader.js';
import { networkLayer } from '../../print/link.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from '../../print/tables.js';
import { TCPOPT_MAXSEG, TCPOPT_TIMESTAMP, TCPOPT_WSCALE } from '../../print/tcp.js';

export interface TcpFields {
  seq: number;
  ack: number;
  flags: number;
  win: number;
  /** Payload bytes (from the IP length, not the captured length). */
  payload: number;
  mss?: number;
  wscale?: number;
  /** TSval, when the timestamp option is there. */
  tsval?: number;
}

/** The session an ICMP error speaks of: the header it quotes (our packet that caused it). */
export interface IcmpQuote {
  proto: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

export interface IcmpFields {
  v6: boolean;
  type: number;
  code: number;
  /** Path MTU for "fragmentation needed" (ICMP 3/4) and "packet too big" (ICMPv6 2). */
  mtu?: number;
  quote?: IcmpQuote;
}

export interface Decoded {
  family: 4 | 6;
  src: string;
  dst: string;
  proto: number;
  /** IPv4 "don't fragment". */
  df: boolean;
  sport: number;
  dport: number;
  tcp?: TcpFields;
  /** UDP payload bytes. */
  udp?: number;
  icmp?: IcmpFields;
}

/** Decodes the parts of a captured packet session following uses; undefined when it is not IP or is cut short. */
export function decodePacket(linktype: number, pkt: Packet): Decoded | undefined {
  try {
    const r = new Reader(pkt.data, pkt.caplen, pkt.offset);
    const net = networkLayer(linktype, r);
    if (net === undefined) return undefined;
    if (net.type === 0x0800) return ipv4(r, net.off);
    if (net.type === 0x86dd) return ipv6(r, net.off);
    return undefined;
  } catch {
    return undefined; // Truncated: not enough of it was captured to follow
  }
}

function ipv4(r: Reader, off: number): Decoded | undefined {
  const vihl = r.u8(off);
  if (vihl >> 4 !== 4) return undefined;
  const ihl = (vihl & 0x0f) * 4;
  const total = r.be16(off + 2);
  const frag = r.be16(off + 6);
  const proto = r.u8(off + 9);
  const d: Decoded = {
    family: 4,
    src: r.ipv4(off + 12),
    dst: r.ipv4(off + 16),
    proto,
    df: (frag & 0x4000) !== 0,
    sport: 0,
    dport: 0,
  };
  // Only first fragments carry the transport header.
  if ((frag & 0x1fff) !== 0) return d;
  return transport(r, d, off + ihl, total - ihl, false);
}

function ipv6(r: Reader, off: number): Decoded | undefined {
  if (r.u8(off) >> 4 !== 6) return undefined;
  const plen = r.be16(off + 4);
  const d: Decoded = {
    family: 6,
    src: r.ipv6(off + 8),
    dst: r.ipv6(off + 24),
    proto: r.u8(off + 6),
    df: false,
    sport: 0,
    dport: 0,
  };
  return transport(r, d, off + 40, plen, true);
}

function transport(r: Reader, d: Decoded, off: number, length: number, v6: boolean): Decoded {
  if (d.proto === IPPROTO_TCP) {
    d.sport = r.be16(off);
    d.dport = r.be16(off + 2);
    const hlen = (r.u8(off + 12) >> 4) * 4;
    const tcp: TcpFields = {
      seq: r.be32(off + 4),
      ack: r.be32(off + 8),
      flags: r.u8(off + 13),
      win: r.be16(off + 14),
      payload: Math.max(0, length - hlen),
    };
    d.tcp = tcp;
    try {
      tcpOptions(r, off + 20, off + hlen, tcp);
    } catch {
      // options cut short: the header fields above are enough
    }
  } else if (d.proto === IPPROTO_UDP) {
    d.sport = r.be16(off);
    d.dport = r.be16(off + 2);
    d.udp = Math.max(0, r.be16(off + 4) - 8);
  } else if ((!v6 && d.proto === IPPROTO_ICMP) || (v6 && d.proto === IPPROTO_ICMPV6)) {
    const icmp: IcmpFields = { v6, type: r.u8(off), code: r.u8(off + 1) };
    d.icmp = icmp;
    const error = v6 ? icmp.type < 128 : [3, 4, 5, 11, 12].includes(icmp.type);
    if (error) {
      if (!v6 && icmp.type === 3 && icmp.code === 4) icmp.mtu = r.be16(off + 6);
      if (v6 && icmp.type === 2) icmp.mtu = r.be32(off + 4);
      try {
        icmp.quote = quoted(r, off + 8, v6);
      } catch {
        // the quoted header was not captured
      }
    }
  }
  return d;
}

function tcpOptions(r: Reader, off: number, end: number, tcp: TcpFields): void {
  let p = off;
  while (p < end) {
    const kind = r.u8(p);
    if (kind === 0) return;
    if (kind === 1) {
      p++;
      continue;
    }
    const len = r.u8(p + 1);
    if (len < 2) return;
    if (kind === TCPOPT_MAXSEG && len === 4) tcp.mss = r.be16(p + 2);
    else if (kind === TCPOPT_WSCALE && len === 3) tcp.wscale = r.u8(p + 2);
    else if (kind === TCPOPT_TIMESTAMP && len === 10) tcp.tsval = r.be32(p + 2);
    p += len;
  }
}

/** The IP and transport header an ICMP error quotes (at least the first 8 bytes of the transport header). */
function quoted(r: Reader, off: number, v6: boolean): IcmpQuote | undefined {
  let proto: number;
  let src: string;
  let dst: string;
  let t: number;
  if (v6) {
    proto = r.u8(off + 6);
    src = r.ipv6(off + 8);
    dst = r.ipv6(off + 24);
    t = off + 40;
  } else {
    const ihl = (r.u8(off) & 0x0f) * 4;
    proto = r.u8(off + 9);
    src = r.ipv4(off + 12);
    dst = r.ipv4(off + 16);
    t = off + ihl;
  }
  if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) return { proto, src, dst, sport: 0, dport: 0 };
  return { proto, src, dst, sport: r.be16(t), dport: r.be16(t + 2) };
}

/** ICMP and ICMPv6 errors in words, for the annotation of an error that concerns a session. */
export function icmpWords(icmp: IcmpFields): string {
  if (icmp.v6) {
    if (icmp.type === 1) {
      const what = [
        'no route to destination',
        'administratively prohibited',
        'beyond scope',
        'address unreachable',
        'port unreachable',
        'source address failed policy',
        'reject route',
      ][icmp.code];
      return `ICMPv6 ${what ?? `unreachable code ${icmp.code}`}`;
    }
    if (icmp.type === 2) return `ICMPv6 packet too big (mtu ${icmp.mtu ?? '?'})`;
    if (icmp.type === 3) return 'ICMPv6 time exceeded';
    return `ICMPv6 type ${icmp.type}`;
  }
  if (icmp.type === 3) {
    if (icmp.code === 4) return `ICMP fragmentation needed (mtu ${icmp.mtu ?? '?'})`;
    const what = ['net unreachable', 'host unreachable', 'protocol unreachable', 'port unreachable'][icmp.code];
    if (what) return `ICMP ${what}`;
    if (icmp.code === 9 || icmp.code === 10 || icmp.code === 13) return 'ICMP administratively prohibited';
    return `ICMP unreachable code ${icmp.code}`;
  }
  if (icmp.type === 11) return 'ICMP time exceeded';
  return `ICMP type ${icmp.type}`;
}
