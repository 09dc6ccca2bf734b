/**
 * DNS printer: tcpdump 4.99's one-line summary of a DNS message (print-domain.c), e.g.
 * `17177+ [1au] A? www.tcpdump.org. (56)` or `17177*- 2/2/5 A 192.139.46.66, A 198.199.88.104 (224)`.
 * RFC 1035 (messages, names, compression), RFC 6891 (EDNS(0) OPT), RFC 7766 (length prefix over TCP).
 *
 * Header (RFC 1035 §4.1.1), 12 bytes:
 *
 *   0       2       4       6       8       10      12
 *   +-------+-------+-------+-------+-------+-------+
 *   |  ID   | flags |QDCOUNT|ANCOUNT|NSCOUNT|ARCOUNT|  then questions (name, type, class)
 *   +-------+-------+-------+-------+-------+-------+  and resource records (name, type, class, ttl, rdlength, rdata)
 *   flags: QR(15) OPCODE(14-11) AA(10) TC(9) RD(8) RA(7) Z(6) AD(5) CD(4) RCODE(3-0)
 *
 * Verbosity: -v prints owner names of records, -vv the question of responses and the authority ("ns:") and
 * additional ("ar:") sections, -vvv record TTLs. Malformed names print tcpdump's marks (`<BAD PTR>`,
 * `<BAD LABEL TYPE>`, `<ELT n>`, `<DOMAIN NAME TOO LONG>`); anything cut short ends with ` [|domain]`: this printer
 * throws Truncated (trunc.ts), and its caller prints the mark. A name walker returns null for a name it cannot use
 * (malformed or cut short), as tcpdump's fqdn_print returns NULL; its caller decides whether that ends the packet.
 * The captured end (tcpdump's snapend) is the Reader's caplen, which the IP printer narrows to the end of the
 * datagram.
 */

import type { Out, PrintContext } from './context.js';
import { formatIpv6, type Reader } from './reader.js';
import { truncated } from './trunc.js';
import {
  DAU_ALGORITHMS,
  DHU_ALGORITHMS,
  DNS_CLASSES,
  DNS_OPCODES,
  DNS_TYPES,
  E_CHAIN,
  E_COOKIE,
  E_DAU,
  E_DHU,
  E_ECS,
  E_EXPIRE,
  E_KEEPALIVE,
  E_KEYTAG,
  E_N3U,
  E_PADDING,
  EDNS_OPTIONS,
  N3U_ALGORITHMS,
  rcodeName,
} from './dns-tables.js';
import { tok2str } from './tables.js';

const HEADER_LEN = 12;
/** Longest name in presentation form that tcpdump prints before `<DOMAIN NAME TOO LONG>` (RFC 1035 §3.1). */
const MAXCDNAME = 255;

// Label types: the two top bits of a length byte (RFC 1035 §4.1.4, RFC 6891 §5 for the 01 extended type).
const TYPE_MASK = 0xc0;
const TYPE_INDIR = 0xc0;
const TYPE_EDNS0 = 0x40;
const TYPE_RESERVED = 0x80;
const EDNS0_ELT_BITLABEL = 0x01; // RFC 2673 bit-string label (historic)

const T_A = 1;
const T_NS = 2;
const T_CNAME = 5;
const T_SOA = 6;
const T_PTR = 12;
const T_MX = 15;
const T_TXT = 16;
const T_AAAA = 28;
const T_SRV = 33;
const T_A6 = 38;
const T_DNAME = 39;
const T_OPT = 41;
const T_UNSPECA = 104;
const T_TSIG = 250;
const T_URI = 256;
const C_IN = 1;
/** mDNS reuses the top bit of the class: "unicast response" in questions, "cache flush" in records (RFC 6762). */
const C_MDNS_BIT = 0x8000;
const IQUERY = 1;
/** tcpdump's nd_print_invalid; inside an EDNS option it follows the option's separating space, hence two. */
const INVALID = ' (invalid)';

/** One message being printed: the reader, where the message starts, the captured end and the options. */
interface Msg {
  readonly r: Reader;
  readonly out: Out;
  /** End of the captured bytes (tcpdump's ndo_snapend). */
  readonly end: number;
  readonly verbose: number;
  readonly mdns: boolean;
}

/**
 * Prints the DNS message of `len` bytes at `off` as tcpdump's domain_print does; when `overTcp`, the message is
 * preceded by its 2-byte length (RFC 1035 §4.2.2). Throws Truncated (proto "domain") when the capture ends early.
 * `mdns` selects the multicast-DNS reading of the class fields (tcpdump's is_mdns, UDP port 5353).
 */
export function printDns(ctx: PrintContext, r: Reader, off: number, len: number, overTcp: boolean, mdns = false): void {
  ctx.proto = 'domain';
  const out = ctx.out;
  let bp = off;
  let length = len;

  if (overTcp) {
    if (length < 2) {
      out.put(` [DNS over TCP: length ${length} < 2] (invalid)`);
      return;
    }
    length -= 2;
    const prefix = r.be16(bp);
    if (prefix !== length) {
      out.put(` [prefix length(${prefix}) != length(${length})] (invalid)`);
      return;
    }
    bp += 2;
    // Over UDP the caller has already printed the separating space; over TCP it has not.
    out.put(' ');
  }

  if (length < HEADER_LEN) {
    out.put(`domain [length ${length} < ${HEADER_LEN}] (invalid)`);
    return;
  }
  r.check(bp, HEADER_LEN);

  const m: Msg = { r, out, end: r.caplen, verbose: ctx.opts.verbose, mdns };
  const id = r.be16(bp);
  const flags = r.be16(bp + 2);
  let qdcount = r.be16(bp + 4);
  const ancount = r.be16(bp + 6);
  const nscount = r.be16(bp + 8);
  const arcount = r.be16(bp + 10);
  const opcode = (flags >> 11) & 0xf;
  const body = bp + HEADER_LEN;

  if (flags & 0x8000) {
    // A response.
    const rcode = extendedRcode(m, body, flags & 0xf, qdcount, ancount, nscount, arcount);
    out.num(id);
    out.put(DNS_OPCODES[opcode] as string);
    out.put(rcodeName(rcode));
    // AA "*", RA missing "-", TC "|", AD "$".
    if (flags & 0x0400) out.put('*');
    if (!(flags & 0x0080)) out.put('-');
    if (flags & 0x0200) out.put('|');
    if (flags & 0x0020) out.put('$');
    if (qdcount !== 1) putCount(out, ' [', qdcount, 'q]');
    let cp: number | null = body;
    for (let i = 0; i < qdcount; i++) {
      if (i !== 0) out.put(',');
      if (m.verbose > 1) {
        out.put(' q:');
        cp = qprint(m, cp, bp);
      } else {
        cp = nskip(m, cp);
        if (cp !== null) cp += 4; // QTYPE and QCLASS
      }
      if (cp === null) truncated();
    }
    putCount(out, ' ', ancount, '/');
    putCount(out, '', nscount, '/');
    out.num(arcount);
    cp = section(m, cp, bp, ancount, '');
    if (m.verbose > 1) {
      cp = section(m, cp, bp, nscount, ' ns:', true);
      section(m, cp, bp, arcount, ' ar:', true);
    }
  } else {
    // A query.
    out.num(id);
    out.put(DNS_OPCODES[opcode] as string);
    if (flags & 0x0100) out.put('+');
    if (flags & 0x0010) out.put('%');
    // "Any weirdness?": bits only a response should set (AA, TC, RA, RCODE) and the reserved Z bit.
    if (flags & 0x6cf) out.put(` [b2&3=0x${flags.toString(16)}]`);
    if (opcode === IQUERY) {
      if (qdcount) putCount(out, ' [', qdcount, 'q]');
      if (ancount !== 1) putCount(out, ' [', ancount, 'a]');
    } else {
      if (ancount) putCount(out, ' [', ancount, 'a]');
      if (qdcount !== 1) putCount(out, ' [', qdcount, 'q]');
    }
    if (nscount) putCount(out, ' [', nscount, 'n]');
    if (arcount) putCount(out, ' [', arcount, 'au]');

    let cp = body;
    if (qdcount) {
      cp = qprint(m, cp, bp);
      qdcount--;
      while (cp < m.end && qdcount) {
        cp = qprint(m, cp, bp);
        qdcount--;
      }
    }
    if (qdcount) truncated();
    if (m.verbose > 1) {
      cp = section(m, cp, bp, ancount, '');
      cp = section(m, cp, bp, nscount, ' ns:', true);
      section(m, cp, bp, arcount, ' ar:', true);
    }
  }
  putCount(out, ' (', length, ')');
}

/** Appends `before`, the decimal count `n`, then `after`. */
function putCount(out: Out, before: string, n: number, after: string): void {
  out.put(before);
  out.num(n);
  out.put(after);
}

/**
 * Prints `count` records from `cp` after `label`, separated by commas, and returns where the next section starts;
 * records the capture does not hold end the packet with the truncation mark. With `onlyIfCaptured` (authority and
 * additional sections) the label is left out when the capture has already ended, as tcpdump does.
 */
function section(m: Msg, cp: number, bp: number, count: number, label: string, onlyIfCaptured = false): number {
  if (count && (!onlyIfCaptured || cp < m.end)) {
    m.out.put(label);
    let next = rprint(m, cp, bp);
    count--;
    while (next < m.end && count) {
      m.out.put(',');
      next = rprint(m, next, bp);
      count--;
    }
    cp = next;
  }
  if (count) truncated();
  return cp;
}

/**
 * Finds the extended RCODE: the OPT record's TTL carries the upper 8 bits (RFC 6891 §6.1.3). Skips the sections
 * without printing; stops quietly at the captured end or at a malformed name.
 */
function extendedRcode(
  m: Msg,
  body: number,
  rcode: number,
  qdcount: number,
  ancount: number,
  nscount: number,
  arcount: number,
): number {
  const r = m.r;
  let cp: number | null = body;
  for (let i = 0; i < qdcount; i++) {
    cp = nskip(m, cp);
    if (cp === null) return rcode;
    cp += 4;
    if (cp >= m.end) return rcode;
  }
  for (let i = 0; i < ancount + nscount; i++) {
    cp = nskip(m, cp);
    if (cp === null) return rcode;
    cp += 8;
    if (cp + 2 > m.end) return rcode;
    cp += 2 + r.be16(cp);
    if (cp >= m.end) return rcode;
  }
  for (let i = 0; i < arcount; i++) {
    cp = nskip(m, cp);
    if (cp === null || cp + 2 > m.end) return rcode;
    const type = r.be16(cp);
    cp += 4;
    if (cp + 1 > m.end) return rcode;
    if (type === T_OPT) return rcode | (r.u8(cp) << 4);
    cp += 4;
    if (cp + 2 > m.end) return rcode;
    cp += 2 + r.be16(cp);
    if (cp >= m.end) return rcode;
  }
  return rcode;
}

/** Returns the offset after the name at `cp` without printing it, or null if it is malformed or not captured. */
function nskip(m: Msg, cp: number): number | null {
  const r = m.r;
  if (!r.has(cp, 1)) return null;
  let i = r.u8(cp++);
  while (i) {
    switch (i & TYPE_MASK) {
      case TYPE_INDIR:
        return cp + 1;
      case TYPE_EDNS0: {
        if ((i & ~TYPE_MASK) !== EDNS0_ELT_BITLABEL) return null;
        if (!r.has(cp, 1)) return null;
        const bitlen = r.u8(cp++) || 256;
        cp += Math.floor((bitlen + 7) / 8);
        break;
      }
      case TYPE_RESERVED:
        return null;
      default:
        cp += i;
    }
    if (!r.has(cp, 1)) return null;
    i = r.u8(cp++);
  }
  return cp;
}

/** Length of the label at `cp` (its byte count, or the pointer byte), or -1 after printing why it is unusable. */
function labelLen(m: Msg, cp: number): number {
  const r = m.r;
  if (!r.has(cp, 1)) return -1;
  const i = r.u8(cp);
  switch (i & TYPE_MASK) {
    case TYPE_EDNS0: {
      const elt = i & ~TYPE_MASK;
      if (elt !== EDNS0_ELT_BITLABEL) {
        m.out.put(`<ELT ${elt}>`);
        return -1;
      }
      if (!r.has(cp + 1, 1)) return -1;
      const bitlen = r.u8(cp + 1) || 256;
      return Math.floor((bitlen + 7) / 8) + 1;
    }
    case TYPE_RESERVED:
      m.out.put('<BAD LABEL TYPE>');
      return -1;
    default:
      return i;
  }
}

/** Prints an RFC 2673 bit-string label (`\[x<hex>/<bits>]`) whose bit count is at `cp`. */
function blabelPrint(m: Msg, cp: number): number | null {
  const r = m.r;
  if (!r.has(cp, 1)) return null;
  const bitlen = r.u8(cp) || 256;
  // tcpdump sizes the label in hex digits here, not bytes; kept so that the same bytes are read.
  const lim = cp + 1 + Math.floor((bitlen + 3) / 4);
  m.out.put('\\[x');
  let bitp = cp + 1;
  let b = bitlen;
  for (; bitp < lim && b > 7; b -= 8, bitp++) m.out.put(hex2(r.u8(bitp)));
  if (b > 4) {
    m.out.put(hex2(r.u8(bitp) & (0xff << (8 - b))));
  } else if (b > 0) {
    m.out.put(((r.u8(bitp) >> 4) & 0x0f & (0x0f << (4 - b))).toString(16));
  }
  m.out.put(`/${bitlen}]`);
  return lim;
}

/**
 * Prints the domain name at `cp` (compression pointers relative to the message at `bp`) and returns the offset
 * just past the name where it is stored (not past a pointer's target), or null when it is malformed or cut short.
 * Pointers must point strictly backwards, which also bounds the walk: a loop prints `<BAD PTR>` (BIND's rule;
 * RFC 1035 §4.1.4 leaves it open).
 */
function fqdnPrint(m: Msg, cp: number, bp: number): number | null {
  const r = m.r;
  const out = m.out;
  let l = labelLen(m, cp);
  if (l === -1) return null;
  if (!r.has(cp, 1)) return null;
  // Offsets are unsigned in tcpdump: a message start after `cp` (EDNS CHAIN) allows every pointer.
  let maxOffset = (cp - bp) >>> 0;
  let i = r.u8(cp++);
  let rp: number | null = null;
  let compress = false;
  if ((i & TYPE_MASK) !== TYPE_INDIR) rp = cp + l;

  if (i === 0) {
    out.put('.');
    return rp;
  }
  let nameChars = 0;
  while (i && cp < m.end) {
    switch (i & TYPE_MASK) {
      case TYPE_INDIR: {
        if (!compress) {
          rp = cp + 1;
          compress = true;
        }
        if (!r.has(cp, 1)) return null;
        const offset = ((i << 8) | r.u8(cp)) & 0x3fff;
        if (offset >= maxOffset) {
          out.put('<BAD PTR>');
          return null;
        }
        maxOffset = offset;
        cp = bp + offset;
        if (!r.has(cp, 1)) return null;
        i = r.u8(cp);
        l = labelLen(m, cp);
        if (l === -1) return null;
        cp++;
        continue;
      }
      case TYPE_EDNS0: {
        const elt = i & ~TYPE_MASK;
        if (elt !== EDNS0_ELT_BITLABEL) {
          out.put(`<ELT ${elt}>`);
          return null;
        }
        if (blabelPrint(m, cp) === null) return null;
        break;
      }
      case TYPE_RESERVED:
        out.put('<BAD LABEL TYPE>');
        return null;
      default:
        if (nameChars + l <= MAXCDNAME) {
          if (printn(m, cp, l)) return null;
        } else if (nameChars < MAXCDNAME) {
          if (printn(m, cp, MAXCDNAME - nameChars)) return null;
        }
        nameChars += l;
    }
    cp += l;
    if (nameChars <= MAXCDNAME) out.put('.');
    nameChars++;
    if (!r.has(cp, 1)) return null;
    i = r.u8(cp);
    l = labelLen(m, cp);
    if (l === -1) return null;
    cp++;
    if (!compress && rp !== null) rp += l + 1;
  }
  if (nameChars > MAXCDNAME) out.put('<DOMAIN NAME TOO LONG>');
  return rp;
}

/** Prints up to `n` bytes at `cp` escaped as tcpdump does (M- for 8-bit, ^ for controls); true if cut short. */
function printn(m: Msg, cp: number, n: number): boolean {
  const k = Math.max(0, Math.min(n, m.end - cp));
  if (k > 0) m.r.putEscaped(m.out, cp, k);
  return n !== k;
}

/** Prints a <character-string> (RFC 1035 §3.3) and returns the offset after it; throws Truncated if cut short. */
function cprint(m: Msg, cp: number): number {
  if (!m.r.has(cp, 1)) return truncated();
  const i = m.r.u8(cp++);
  if (printn(m, cp, i)) return truncated();
  return cp + i;
}

/** Prints a question ` TYPE[ CLASS]? name` and returns the offset after it; throws Truncated if cut short. */
function qprint(m: Msg, cp: number, bp: number): number {
  const r = m.r;
  const np = cp;
  const after = nskip(m, cp);
  if (after === null || !r.has(after, 4)) return truncated();
  m.out.put(' ');
  m.out.put(tok2str(DNS_TYPES, 'Type%u', r.be16(after)));
  const i = r.be16(after + 2);
  const cls = m.mdns ? i & ~C_MDNS_BIT : i;
  if (cls !== C_IN) m.out.put(` ${tok2str(DNS_CLASSES, '(Class %u)', cls)}`);
  if (m.mdns) m.out.put(i & C_MDNS_BIT ? ' (QU)' : ' (QM)');
  m.out.put('? ');
  const end = fqdnPrint(m, np, bp);
  return end === null ? truncated() : end + 4;
}

/**
 * Prints a resource record in tcpdump's short form and returns the offset after it; throws Truncated if cut short. A
 * record whose fixed fields were not captured returns the captured end, which ends the section quietly.
 */
function rprint(m: Msg, cp: number, bp: number): number {
  const r = m.r;
  const out = m.out;
  let p: number | null;
  if (m.verbose) {
    out.put(' ');
    p = fqdnPrint(m, cp, bp);
    if (p === null) return truncated();
  } else {
    p = nskip(m, cp);
  }
  if (p === null || !r.has(p, 10)) return m.end;
  cp = p;

  const typ = r.be16(cp);
  cp += 2;
  const i = r.be16(cp);
  cp += 2;
  const cls = m.mdns ? i & ~C_MDNS_BIT : i;
  if (cls !== C_IN && typ !== T_OPT) out.put(` ${tok2str(DNS_CLASSES, '(Class %u)', cls)}`);
  if (m.mdns && i & C_MDNS_BIT) out.put(' (Cache flush)');

  let optFlags = 0;
  if (typ === T_OPT) {
    // The OPT TTL holds extended rcode, version and flags (RFC 6891 §6.1.3).
    cp += 2;
    optFlags = r.be16(cp);
    cp += 2;
  } else if (m.verbose > 2) {
    out.put(` [${relts(r.be32(cp))}]`);
    cp += 4;
  } else {
    cp += 4;
  }
  const len = r.be16(cp);
  cp += 2;
  const rp = cp + len;

  out.put(' ');
  out.put(tok2str(DNS_TYPES, 'Type%u', typ));
  if (rp > m.end) return truncated();

  switch (typ) {
    case T_A:
      if (!r.has(cp, 4)) return truncated();
      out.put(' ');
      r.putIpv4(out, cp);
      break;

    case T_NS:
    case T_CNAME:
    case T_PTR:
    case T_DNAME:
      out.put(' ');
      if (fqdnPrint(m, cp, bp) === null) return truncated();
      break;

    case T_SOA: {
      if (!m.verbose) break;
      out.put(' ');
      let q = fqdnPrint(m, cp, bp);
      if (q === null) return truncated();
      out.put(' ');
      q = fqdnPrint(m, q, bp);
      if (q === null) return truncated();
      if (!r.has(q, 20)) return truncated();
      for (let k = 0; k < 5; k++) out.put(` ${r.be32(q + 4 * k)}`);
      break;
    }

    case T_MX:
      out.put(' ');
      if (!r.has(cp, 2)) return truncated();
      if (fqdnPrint(m, cp + 2, bp) === null) return truncated();
      out.put(` ${r.be16(cp)}`);
      break;

    case T_TXT: {
      let q = cp;
      while (q < rp) {
        out.put(' "');
        q = cprint(m, q);
        out.put('"');
      }
      break;
    }

    case T_SRV:
      out.put(' ');
      if (!r.has(cp, 6)) return truncated();
      if (fqdnPrint(m, cp + 6, bp) === null) return truncated();
      out.put(`:${r.be16(cp + 4)} ${r.be16(cp)} ${r.be16(cp + 2)}`);
      break;

    case T_AAAA:
      if (!r.has(cp, 16)) return truncated();
      out.put(' ');
      out.put(r.ipv6(cp));
      break;

    case T_A6: {
      // RFC 2874: prefix length, the address bits after the prefix, then the prefix name.
      if (!r.has(cp, 1)) return truncated();
      const pbit = r.u8(cp);
      const pbyte = (pbit & ~7) / 8;
      if (pbit > 128) {
        out.put(` ${pbit}(bad plen)`);
        break;
      } else if (pbit < 128) {
        // The first pbyte bytes belong to the prefix (named below) and print as zeros.
        r.check(cp + 1, 16 - pbyte);
        const text = ipv6Text((k) => (k < pbyte ? 0 : r.u8(cp + 1 + k - pbyte)));
        out.put(` ${pbit} ${text}`);
      }
      if (pbit > 0) {
        out.put(' ');
        if (fqdnPrint(m, cp + 1 + 16 - pbyte, bp) === null) return truncated();
      }
      break;
    }

    case T_URI:
      // RFC 7553: priority, weight, target.
      if (!r.has(cp, len)) return truncated();
      out.put(` ${r.be16(cp)} ${r.be16(cp + 2)} `);
      if (printn(m, cp + 4, (len - 4) >>> 0)) return truncated();
      break;

    case T_OPT:
      out.put(` UDPsize=${cls}`);
      if (optFlags & 0x8000) out.put(' DO');
      if (cp < rp) {
        out.put(' [');
        let q = cp;
        while (q < rp) {
          q = eoptPrint(m, q);
          if (q < rp) out.put(',');
        }
        out.put(']');
      }
      break;

    case T_UNSPECA:
      // MIT's "unspecified ASCII": one long string, printed right after the type name.
      if (!r.has(cp, len)) return truncated();
      if (printn(m, cp, len)) return truncated();
      break;

    case T_TSIG: {
      // RFC 8945: algorithm name, time signed (6), fudge, MAC size and MAC, original id, error, other length.
      if (!m.verbose) break;
      out.put(' ');
      let q = fqdnPrint(m, cp, bp);
      if (q === null) return truncated();
      q += 6;
      if (!r.has(q, 2)) return truncated();
      out.put(` fudge=${r.be16(q)}`);
      q += 2;
      if (!r.has(q, 2)) return truncated();
      out.put(` maclen=${r.be16(q)}`);
      q += 2 + r.be16(q);
      if (!r.has(q, 2)) return truncated();
      out.put(` origid=${r.be16(q)}`);
      q += 2;
      if (!r.has(q, 2)) return truncated();
      out.put(` error=${r.be16(q)}`);
      q += 2;
      if (!r.has(q, 2)) return truncated();
      out.put(` otherlen=${r.be16(q)}`);
      break;
    }
  }
  return rp;
}

/** Prints one EDNS option `NAME[ data]` (RFC 6891 §6.1.2) and returns the offset after it; throws Truncated if cut short. */
function eoptPrint(m: Msg, cp: number): number {
  const r = m.r;
  const out = m.out;
  if (!r.has(cp, 2)) return truncated();
  const opt = r.be16(cp);
  cp += 2;
  out.put(tok2str(EDNS_OPTIONS, 'Opt%u', opt));
  if (!r.has(cp, 2)) return truncated();
  const dataLen = r.be16(cp);
  cp += 2;
  if (!r.has(cp, dataLen)) return truncated();
  if (dataLen > 0) {
    out.put(' ');
    if (opt === E_CHAIN) {
      // RFC 7901: the closest trust point, as an uncompressed name; a bad one prints its mark and goes on.
      fqdnPrint(m, cp, cp + dataLen);
    } else {
      out.put(eoptData(r, opt, cp, dataLen));
    }
  }
  return cp + dataLen;
}

/** The text of an EDNS option's `len` captured data bytes at `cp` (all but CHAIN). */
function eoptData(r: Reader, opt: number, cp: number, len: number): string {
  const list = (table: ReadonlyMap<number, string>): string => {
    const names: string[] = [];
    for (let i = 0; i < len; i++) names.push(tok2str(table, 'Alg_%u', r.u8(cp + i)));
    return names.join(' ');
  };
  switch (opt) {
    case E_ECS:
      return ecsText(r, cp, len);
    case E_COOKIE: {
      // RFC 7873: an 8-byte client cookie, then optionally an 8-32 byte server cookie.
      if (len < 8 || (len > 8 && len < 16) || len > 40) return INVALID;
      const hex = hexBytes(r, cp, len);
      return len > 8 ? `${hex.slice(0, 16)} ${hex.slice(16)}` : hex;
    }
    case E_KEEPALIVE:
      // RFC 7828: the idle timeout in units of 100 ms.
      return len !== 2 ? INVALID : `${(r.be16(cp) / 10).toFixed(1)} sec`;
    case E_EXPIRE:
      return len !== 4 ? INVALID : `${r.be32(cp)} sec`;
    case E_PADDING:
      return `(${len})`;
    case E_KEYTAG: {
      if (len % 2 !== 0) return INVALID;
      const tags: number[] = [];
      for (let i = 0; i < len; i += 2) tags.push(r.be16(cp + i));
      return tags.join(' ');
    }
    case E_DAU:
      return list(DAU_ALGORITHMS);
    case E_DHU:
      return list(DHU_ALGORITHMS);
    case E_N3U:
      return list(N3U_ALGORITHMS);
    default:
      // NSID (RFC 5001) and unknown options: the bytes in hex.
      return hexBytes(r, cp, len);
  }
}

/** RFC 7871 client subnet: `address/source/scope`, or `(invalid)` when the lengths disagree. */
function ecsText(r: Reader, cp: number, len: number): string {
  if (len < 4) return INVALID;
  const family = r.be16(cp);
  const srcLen = r.u8(cp + 2);
  const scopeLen = r.u8(cp + 3);
  let bits: number;
  if (family === 1) bits = 32;
  else if (family === 2) bits = 128;
  else return INVALID;
  if (len - 4 > bits / 8) return INVALID;
  if (srcLen > bits || scopeLen > bits || Math.floor((srcLen + 7) / 8) !== len - 4) return INVALID;
  // The address is cut to its source prefix length; the missing bytes are zeros.
  const n = len - 4;
  const byteAt = (k: number): number => (k < n ? r.u8(cp + 4 + k) : 0);
  const addr = family === 1 ? `${byteAt(0)}.${byteAt(1)}.${byteAt(2)}.${byteAt(3)}` : ipv6Text(byteAt);
  return `${addr}/${srcLen}/${scopeLen}`;
}

/** Lowercase hex of `len` bytes at `cp`. */
function hexBytes(r: Reader, cp: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += hex2(r.u8(cp + i));
  return s;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** IPv6 text of an address rebuilt from packet bytes and zeros (A6, ECS); `byteAt(k)` gives byte k of 16. */
function ipv6Text(byteAt: (k: number) => number): string {
  const words: number[] = [];
  for (let k = 0; k < 16; k += 2) words.push((byteAt(k) << 8) | byteAt(k + 1));
  return formatIpv6(words);
}

/** A TTL as tcpdump's unsigned_relts_print writes it: `1w2d3h4m5s`, `0s` for zero. */
export function relts(secs: number): string {
  if (secs === 0) return '0s';
  const units: Array<[number, string]> = [
    [31536000, 'y'],
    [604800, 'w'],
    [86400, 'd'],
    [3600, 'h'],
    [60, 'm'],
    [1, 's'],
  ];
  let s = '';
  for (const [size, name] of units) {
    if (secs >= size) {
      const n = Math.floor(secs / size);
      s += `${n}${name}`;
      secs -= n * size;
    }
  }
  return s;
}
