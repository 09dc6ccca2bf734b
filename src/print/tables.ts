/**
 * Output wording as data (tcpdump's `tok2str` tables): ethertypes, IP protocols, TCP flags, ARP operations,
 * ICMP/ICMPv6 types. Printers look names up here and never spell them inline.
 */

/** Returns the name of `v` in `table`, or `fallback` with "%u"/"%04x" replaced by the value. */
export function tok2str(table: ReadonlyMap<number, string>, fallback: string, v: number): string {
  const s = table.get(v);
  if (s !== undefined) return s;
  return fallback.replace('%u', String(v)).replace('%04x', hex(v, 4)).replace('%x', v.toString(16));
}

/** Two-digit lowercase hex of every byte value (printf's %02x), for dumps and addresses. */
export const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of `v` padded with zeros to `width` digits (printf's %0Nx). */
export function hex(v: number, width: number): string {
  return v.toString(16).padStart(width, '0');
}

/** tcpdump's bittok2str: names of the bits set in `v`, joined by `sep`, or `none` when no bit matches. */
export function bittok2str(
  table: ReadonlyArray<readonly [number, string]>,
  none: string,
  v: number,
  sep = ', ',
): string {
  const parts: string[] = [];
  for (const [bit, name] of table) if ((v & bit) >>> 0 === bit >>> 0 && bit !== 0) parts.push(name);
  return parts.length === 0 ? none : parts.join(sep);
}

/** Ethertypes (ethertype.c), as tcpdump names them. */
export const ETHERTYPES: ReadonlyMap<number, string> = new Map([
  [0x0800, 'IPv4'],
  [0x0806, 'ARP'],
  [0x86dd, 'IPv6'],
  [0x8035, 'Reverse ARP'],
  [0x8100, '802.1Q'],
  [0x88a8, '802.1Q-QinQ'],
  [0x9100, '802.1Q-9100'],
  [0x9200, '802.1Q-9200'],
  [0x8847, 'MPLS unicast'],
  [0x8848, 'MPLS multicast'],
  [0x8863, 'PPPoE D'],
  [0x8864, 'PPPoE S'],
  [0x888e, 'EAPOL'],
  [0x88cc, 'LLDP'],
  [0x8809, 'Slow Protocols'],
  [0x88e5, '802.1AE MACsec'],
  [0x88f7, 'PTP'],
  [0x8902, 'CFM'],
  [0x9000, 'Loopback'],
  [0x809b, 'Appletalk'],
  [0x80f3, 'Appletalk ARP'],
  [0x8137, 'IPX'],
  [0x6003, 'DN'],
  [0x6004, 'LAT'],
  [0x6007, 'SCA'],
  [0x8038, 'Lanbridge'],
  [0x0200, 'PUP'],
  [0x0500, 'Sprite'],
  [0x1000, 'Trail'],
  [0x876b, 'TCP/IP Compression'],
  [0x8808, 'MAC control'],
  [0x880b, 'PPP'],
  [0x8819, 'CobraNet'],
  [0x886f, 'MS NLB heartbeat'],
  [0x8892, 'PROFINET'],
  [0x88a2, 'AoE'],
  [0x88b5, 'Local Experimental Ethertype 1'],
  [0x88b6, 'Local Experimental Ethertype 2'],
  [0x88ca, 'TIPC'],
  [0x88e7, '802.1ah'],
  [0x8906, 'FCoE'],
  [0x8914, 'FIP'],
  [0x8915, 'RoCE'],
  [0x893f, 'BR-TAG'],
  [0x9999, 'Cisco OUI ARP?'],
  [0xfefe, 'GeoNet'],
  [0x8950, 'ECMP'],
  [0x6558, 'TEB'],
  [0x22f0, 'ARISTA'],
  [0x88a4, 'EtherCAT'],
  [0x894f, 'NSH'],
  [0x8901, 'CALM FAST'],
  [0x8947, 'GeoNet'],
  [0x88ab, 'EtherCAT'],
]);

/** IP protocol numbers the printers switch on (netinet/in.h's names). */
export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_NONE = 59;

/** IP protocol numbers (ipproto.c). */
export const IPPROTOS: ReadonlyMap<number, string> = new Map([
  [0, 'Options'],
  [1, 'ICMP'],
  [2, 'IGMP'],
  [4, 'IPIP'],
  [6, 'TCP'],
  [8, 'EGP'],
  [9, 'IGRP'],
  [17, 'UDP'],
  [33, 'DCCP'],
  [41, 'IPv6'],
  [43, 'Routing'],
  [44, 'Fragment'],
  [46, 'RSVP'],
  [47, 'GRE'],
  [50, 'ESP'],
  [51, 'AH'],
  [55, 'Mobile IP'],
  [58, 'ICMPv6'],
  [62, 'Mobile IP (old)'],
  [88, 'EIGRP'],
  [89, 'OSPF'],
  [103, 'PIM'],
  [108, 'Compressed IP'],
  [112, 'VRRP'],
  [113, 'PGM'],
  [132, 'SCTP'],
  [135, 'Mobility'],
  [240, 'pfsync'],
]);

/** TCP flag letters, in tcpdump's printing order (F S R P . U E W). */
export const TCP_FLAGS: ReadonlyArray<readonly [number, string]> = [
  [0x01, 'F'],
  [0x02, 'S'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x10, '.'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'W'],
];

/** TCP option names (print-tcp.c tcp_option_values). */
export const TCP_OPTIONS: ReadonlyMap<number, string> = new Map([
  [0, 'eol'],
  [1, 'nop'],
  [2, 'mss'],
  [3, 'wscale'],
  [4, 'sackOK'],
  [5, 'sack'],
  [6, 'echo'],
  [7, 'echoreply'],
  [8, 'TS'],
  [11, 'cc'],
  [12, 'ccnew'],
  [13, ''],
  [19, 'md5'],
  [20, 'scps'],
  [28, 'uto'],
  [29, 'tcp-ao'],
  [30, 'mptcp'],
  [34, 'tfo'],
  [254, 'exp'],
]);

/** IPv4 fragment flags (print-ip.c ip_frag_values). */
export const IP_FRAG_FLAGS: ReadonlyArray<readonly [number, string]> = [
  [0x2000, '+'],
  [0x4000, 'DF'],
  [0x8000, 'rsvd'],
];

/** IPv4 option names (print-ip.c ip_option_values). */
export const IP_OPTIONS: ReadonlyMap<number, string> = new Map([
  [0, 'EOL'],
  [1, 'NOP'],
  [68, 'timestamp'],
  [130, 'security'],
  [7, 'RR'],
  [137, 'SSRR'],
  [131, 'LSRR'],
  [148, 'RA'],
  [82, 'traceroute'],
]);

/** ARP operations (print-arp.c arpop_values). */
export const ARP_OPS: ReadonlyMap<number, string> = new Map([
  [1, 'Request'],
  [2, 'Reply'],
  [3, 'Reverse Request'],
  [4, 'Reverse Reply'],
  [8, 'Inverse Request'],
  [9, 'Inverse Reply'],
  [10, 'NACK Reply'],
]);

/** ARP hardware types (print-arp.c arphrd_values). */
export const ARP_HRD: ReadonlyMap<number, string> = new Map([
  [1, 'Ethernet'],
  [6, 'TokenRing'],
  [7, 'ArcNet'],
  [15, 'FrameRelay'],
  [19, 'ATM'],
  [23, 'Strip'],
  [24, 'IEEE 1394'],
]);

/** ICMP types without their own wording (print-icmp.c icmp2str). */
export const ICMP_TYPES: ReadonlyMap<number, string> = new Map([
  [0, 'echo reply'],
  [4, 'source quench'],
  [8, 'echo request'],
  [10, 'router solicitation'],
  [13, 'time stamp request'],
  [14, 'time stamp reply'],
  [15, 'information request'],
  [16, 'information reply'],
  [17, 'address mask request'],
]);

/** ICMP destination-unreachable codes 0..15 (print-icmp.c), "%s" is the destination. */
export const ICMP_UNREACH: ReadonlyMap<number, string> = new Map([
  [0, 'net %s unreachable'],
  [1, 'host %s unreachable'],
  [5, '%s unreachable - source route failed'],
  [6, 'net %s unreachable - unknown'],
  [7, 'host %s unreachable - unknown'],
  [8, '%s unreachable - source host isolated'],
  [9, 'net %s unreachable - admin prohibited'],
  [10, 'host %s unreachable - admin prohibited'],
  [11, 'net %s unreachable - tos prohibited'],
  [12, 'host %s unreachable - tos prohibited'],
  [13, 'host %s unreachable - admin prohibited filter'],
  [14, 'host %s unreachable - host precedence violation'],
  [15, 'host %s unreachable - precedence cutoff'],
]);

/** ICMPv6 types (print-icmp6.c icmp6_type_values). */
export const ICMP6_TYPES: ReadonlyMap<number, string> = new Map([
  [1, 'destination unreachable'],
  [2, 'packet too big'],
  [3, 'time exceeded in-transit'],
  [4, 'parameter problem'],
  [128, 'echo request'],
  [129, 'echo reply'],
  [130, 'multicast listener query'],
  [131, 'multicast listener report'],
  [132, 'multicast listener done'],
  [133, 'router solicitation'],
  [134, 'router advertisement'],
  [135, 'neighbor solicitation'],
  [136, 'neighbor advertisement'],
  [137, 'redirect'],
  [138, 'router renumbering'],
  [139, 'node information query'],
  [140, 'node information reply'],
  [141, 'inverse neighbor solicitation'],
  [142, 'inverse neighbor advertisement'],
  [143, 'multicast listener report v2'],
  [144, 'ha discovery request'],
  [145, 'ha discovery reply'],
  [146, 'mobile router solicitation'],
  [147, 'mobile router advertisement'],
  [148, 'certification path solicitation'],
  [149, 'certification path advertisement'],
  [151, 'multicast router advertisement'],
  [152, 'multicast router solicitation'],
  [153, 'multicast router termination'],
  [155, 'RPL'],
  [200, 'mtrace response'],
  [201, 'mtrace message'],
]);

/** ICMPv6 destination-unreachable codes. */
export const ICMP6_UNREACH: ReadonlyMap<number, string> = new Map([
  [0, 'unreachable route'],
  [1, 'unreachable prohibited'],
  [2, 'beyond scope'],
  [3, 'unreachable address'],
  [4, 'unreachable port'],
]);

/** Linux cooked packet types (print-sll.c sll_pkttype_values). */
export const SLL_PKTTYPES: ReadonlyMap<number, string> = new Map([
  [0, 'In'],
  [1, 'B'],
  [2, 'M'],
  [3, 'P'],
  [4, 'Out'],
]);

/** BSD address families in DLT_NULL/DLT_LOOP headers (af.c bsd_af_values). */
export const BSD_AF: ReadonlyMap<number, string> = new Map([
  [2, 'IPv4'],
  [7, 'ISO'],
  [16, 'Appletalk'],
  [23, 'IPX'],
  [24, 'IPv6'],
  [28, 'IPv6'],
  [30, 'IPv6'],
]);

/** pcap link types: libpcap's DLT name and description, as in "link-type EN10MB (Ethernet)". */
export const LINKTYPE_NAMES: ReadonlyMap<number, readonly [string, string]> = new Map([
  [0, ['NULL', 'BSD loopback']],
  [1, ['EN10MB', 'Ethernet']],
  [101, ['RAW', 'Raw IP']],
  [108, ['LOOP', 'OpenBSD loopback']],
  [113, ['LINUX_SLL', 'Linux cooked v1']],
  [228, ['IPV4', 'Raw IPv4']],
  [229, ['IPV6', 'Raw IPv6']],
  [276, ['LINUX_SLL2', 'Linux cooked v2']],
]);
