/**
 * Wording tables of the DNS printer (tcpdump's ns_type2str, ns_class2str, ns_ops, ns_resp, edns_opt2str and the
 * DNSSEC algorithm tables), kept apart from the decoding logic in dns.ts. Numbers are IANA's "Domain Name System
 * (DNS) Parameters" registry; the names, including their odd spellings, are the ones tcpdump 4.99 prints.
 */

/**
 * RR TYPE names (RFC 1035 §3.2.2 and later registrations) as far as tcpdump 4.99.3 knows them: types registered
 * after DNSKEY (DHCID, NSEC3, TLSA, CAA, …) print as `Type<n>` there, so they do here. 104 is MIT's UNSPECA.
 */
export const DNS_TYPES: ReadonlyMap<number, string> = new Map([
  [1, 'A'],
  [2, 'NS'],
  [3, 'MD'],
  [4, 'MF'],
  [5, 'CNAME'],
  [6, 'SOA'],
  [7, 'MB'],
  [8, 'MG'],
  [9, 'MR'],
  [10, 'NULL'],
  [11, 'WKS'],
  [12, 'PTR'],
  [13, 'HINFO'],
  [14, 'MINFO'],
  [15, 'MX'],
  [16, 'TXT'],
  [17, 'RP'],
  [18, 'AFSDB'],
  [19, 'X25'],
  [20, 'ISDN'],
  [21, 'RT'],
  [22, 'NSAP'],
  [23, 'NSAP_PTR'],
  [24, 'SIG'],
  [25, 'KEY'],
  [26, 'PX'],
  [27, 'GPOS'],
  [28, 'AAAA'],
  [29, 'LOC'],
  [30, 'NXT'],
  [31, 'EID'],
  [32, 'NIMLOC'],
  [33, 'SRV'],
  [34, 'ATMA'],
  [35, 'NAPTR'],
  [36, 'KX'],
  [37, 'CERT'],
  [38, 'A6'],
  [39, 'DNAME'],
  [40, 'SINK'],
  [41, 'OPT'],
  [42, 'APL'],
  [43, 'DS'],
  [44, 'SSHFP'],
  [45, 'IPSECKEY'],
  [46, 'RRSIG'],
  [47, 'NSEC'],
  [48, 'DNSKEY'],
  [99, 'SPF'],
  [100, 'UINFO'],
  [101, 'UID'],
  [102, 'GID'],
  [103, 'UNSPEC'],
  [104, 'UNSPECA'],
  [249, 'TKEY'],
  [250, 'TSIG'],
  [251, 'IXFR'],
  [252, 'AXFR'],
  [253, 'MAILB'],
  [254, 'MAILA'],
  [255, 'ANY'],
  [256, 'URI'],
]);

/** RR CLASS names; IN is never printed (RFC 1035 §3.2.4). */
export const DNS_CLASSES: ReadonlyMap<number, string> = new Map([
  [1, 'IN'],
  [3, 'CHAOS'],
  [4, 'HS'],
  [255, 'ANY'],
]);

/** OPCODE suffixes, indexed by the 4-bit opcode (RFC 1035 §4.1.1, RFC 1996, RFC 2136). */
export const DNS_OPCODES: readonly string[] = [
  '',
  ' inv_q',
  ' stat',
  ' op3',
  ' notify',
  ' update',
  ' op6',
  ' op7',
  ' op8',
  ' updateA',
  ' updateD',
  ' updateDA',
  ' updateM',
  ' updateMA',
  ' zoneInit',
  ' zoneRef',
];

/**
 * RCODE suffixes, indexed by the 12-bit extended rcode (RFC 6891 §6.1.3). tcpdump 4.99 spells 17 and 21 without
 * the leading space; that is reproduced so the text stays identical.
 */
const DNS_RCODES: readonly string[] = [
  '',
  ' FormErr',
  ' ServFail',
  ' NXDomain',
  ' NotImp',
  ' Refused',
  ' YXDomain',
  ' YXRRSet',
  ' NXRRSet',
  ' NotAuth',
  ' NotZone',
  ' Resp11',
  ' Resp12',
  ' Resp13',
  ' Resp14',
  ' NoChange',
  ' BadVers',
  'Resp17',
  ' Resp18',
  ' Resp19',
  ' Resp20',
  'Resp21',
  ' Resp22',
  ' BadCookie',
];

/** The response-code suffix of a (possibly extended) rcode. */
export function rcodeName(rcode: number): string {
  return DNS_RCODES[rcode] ?? ` Resp${rcode & 0xfff}`;
}

/** EDNS(0) option codes (RFC 6891 §6.1.2 and the IANA "DNS EDNS0 Option Codes" registry). */
export const EDNS_OPTIONS: ReadonlyMap<number, string> = new Map([
  [1, 'LLQ'],
  [2, 'UL'],
  [3, 'NSID'],
  [5, 'DAU'],
  [6, 'DHU'],
  [7, 'N3U'],
  [8, 'ECS'],
  [9, 'EXPIRE'],
  [10, 'COOKIE'],
  [11, 'KEEPALIVE'],
  [12, 'PADDING'],
  [13, 'CHAIN'],
  [14, 'KEY-TAG'],
  [16, 'CLIENT-TAG'],
  [17, 'SERVER-TAG'],
]);

/** EDNS option codes whose contents get their own layout in eoptText (dns.ts). */
export const E_NSID = 3;
export const E_DAU = 5;
export const E_DHU = 6;
export const E_N3U = 7;
export const E_ECS = 8;
export const E_EXPIRE = 9;
export const E_COOKIE = 10;
export const E_KEEPALIVE = 11;
export const E_PADDING = 12;
export const E_CHAIN = 13;
export const E_KEYTAG = 14;

/** DNSSEC algorithm numbers for the DAU option (RFC 6975; "DS" for DSA is tcpdump's spelling). */
export const DAU_ALGORITHMS: ReadonlyMap<number, string> = new Map([
  [0, 'DELETE'],
  [1, 'RSAMD5'],
  [2, 'DH'],
  [3, 'DS'],
  [5, 'RSASHA1'],
  [6, 'DSA-NSEC3-SHA1'],
  [7, 'RSASHA1-NSEC3-SHA1'],
  [8, 'RSASHA256'],
  [10, 'RSASHA512'],
  [12, 'ECC-GOST'],
  [13, 'ECDSAP256SHA256'],
  [14, 'ECDSAP384SHA384'],
  [15, 'ED25519'],
  [16, 'ED448'],
  [252, 'INDIRECT'],
  [253, 'PRIVATEDNS'],
  [254, 'PRIVATEOID'],
]);

/** DS hash algorithms for the DHU option (RFC 6975). */
export const DHU_ALGORITHMS: ReadonlyMap<number, string> = new Map([
  [1, 'SHA-1'],
  [2, 'SHA-256'],
  [3, 'GOST_R_34.11-94'],
  [4, 'SHA-384'],
]);

/** NSEC3 hash algorithms for the N3U option (RFC 6975). */
export const N3U_ALGORITHMS: ReadonlyMap<number, string> = new Map([[1, 'SHA-1']]);
