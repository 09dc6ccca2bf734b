/**
 * BOOTP/DHCP printer: tcpdump 4.99's print-bootp.c, e.g. `BOOTP/DHCP, Request from 02:42:ac:11:00:02, length
 * 300`; -v adds the header fields and the vendor area: RFC 1048/2132 options (`DHCP-Message (53), length 1:
 * Discover`) or CMU's. RFC 951 (BOOTP), RFC 2131 (DHCP), RFC 2132 (options), RFC 3004, 3046, 3442, 4702.
 *
 *   0    1     2    3    4     8     10    12       16       20       24       28        44       108      236
 *   +----+-----+----+----+-----+-----+-----+--------+--------+--------+---------+--------+--------+--------+
 *   | op |htype|hlen|hops| xid |secs |flags| ciaddr | yiaddr | siaddr | giaddr  | chaddr | sname  | file   | vend…
 *   +----+-----+----+----+-----+-----+-----+--------+--------+--------+---------+--------+--------+--------+
 *   vend: magic cookie 99.130.83.99, then options: | tag | len | data… | (0 pad and 255 end have no length)
 */
import type { Out, PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { hexDump } from './hex.js';
import { printN, printZtn } from './strings.js';
import { bittok2str, HEX2, tok2str } from './tables.js';
import { truncated } from './trunc.js';

const BOOTPREQUEST = 1;
const MAC_ADDR_LEN = 6;

// Field offsets (struct bootp).
const OP = 0;
const HTYPE = 1;
const HLEN = 2;
const HOPS = 3;
const XID = 4;
const SECS = 8;
const FLAGS = 10;
const CIADDR = 12;
const YIADDR = 16;
const SIADDR = 20;
const GIADDR = 24;
const CHADDR = 28;
const SNAME = 44;
const SNAME_LEN = 64;
const FILE = 108;
const FILE_LEN = 128;
const VEND = 236;

/** The vendor area's magic cookies: RFC 1048 (99.130.83.99) and CMU ("CMU\0"). */
const VM_RFC1048 = 0x63825363;
const VM_CMU = 0x434d5500;

const TAG_PAD = 0;
const TAG_END = 255;
const TAG_NETBIOS_NODE = 46;
const TAG_OPT_OVERLOAD = 52;
const TAG_DHCP_MESSAGE = 53;
const TAG_PARM_REQUEST = 55;
const TAG_CLIENT_ID = 61;
const TAG_USER_CLASS = 77;
const TAG_CLIENT_FQDN = 81;
const TAG_AGENT_CIRCUIT = 82;
const TAG_CLASSLESS_STATIC_RT = 121;
const TAG_CLASSLESS_STA_RT_MS = 249;

const AGENT_SUBOPTION_CIRCUIT_ID = 1;
const AGENT_SUBOPTION_REMOTE_ID = 2;
const AGENT_SUBOPTION_SUBSCRIBER_ID = 6;

const FLAG_VALUES: ReadonlyArray<readonly [number, string]> = [[0x8000, 'Broadcast']];
const OPS: ReadonlyMap<number, string> = new Map([
  [1, 'Request'],
  [2, 'Reply'],
]);

/**
 * Option names, each prefixed with its data format (tcpdump's tag2str): i IPv4 addresses, p address pairs,
 * l unsigned 32-bit, L signed 32-bit, s 16-bit, b decimal bytes, x hex bytes, a text, B booleans, $ special,
 * ' ' no data.
 */
const TAGS: ReadonlyMap<number, string> = new Map([
  [0, ' PAD'],
  [1, 'iSubnet-Mask'],
  [2, 'LTime-Zone'],
  [3, 'iDefault-Gateway'],
  [4, 'iTime-Server'],
  [5, 'iIEN-Name-Server'],
  [6, 'iDomain-Name-Server'],
  [7, 'iLOG'],
  [8, 'iCS'],
  [9, 'iLPR-Server'],
  [10, 'iIM'],
  [11, 'iRL'],
  [12, 'aHostname'],
  [13, 'sBS'],
  [255, ' END'],
  [14, 'aDP'],
  [15, 'aDomain-Name'],
  [16, 'iSS'],
  [17, 'aRP'],
  [18, 'aEP'],
  [19, 'BIPF'],
  [20, 'BSRT'],
  [21, 'pPF'],
  [22, 'sRSZ'],
  [23, 'bTTL'],
  [24, 'lMTU-Timeout'],
  [25, 'sMTU-Table'],
  [26, 'sMTU'],
  [27, 'BLSN'],
  [28, 'iBR'],
  [29, 'BMD'],
  [30, 'BMS'],
  [31, 'BRouter-Discovery'],
  [32, 'iRSA'],
  [33, 'pStatic-Route'],
  [34, 'BUT'],
  [35, 'lAT'],
  [36, 'BIE'],
  [37, 'bTT'],
  [38, 'lKI'],
  [39, 'BKG'],
  [40, 'aYD'],
  [41, 'iYS'],
  [42, 'iNTP'],
  [43, 'bVendor-Option'],
  [44, 'iNetbios-Name-Server'],
  [45, 'iWDD'],
  [46, '$Netbios-Node'],
  [47, 'aNetbios-Scope'],
  [48, 'iXFS'],
  [49, 'iXDM'],
  [64, 'sN+D'],
  [65, 'iN+S'],
  [68, 'iMH'],
  [69, 'iSMTP'],
  [70, 'iPOP3'],
  [71, 'iNNTP'],
  [72, 'iWWW'],
  [73, 'iFG'],
  [74, 'iIRC'],
  [75, 'iSTS'],
  [76, 'iSTDA'],
  [50, 'iRequested-IP'],
  [51, 'lLease-Time'],
  [52, '$OO'],
  [66, 'aTFTP'],
  [67, 'aBF'],
  [53, ' DHCP-Message'],
  [54, 'iServer-ID'],
  [55, 'bParameter-Request'],
  [56, 'aMSG'],
  [57, 'sMSZ'],
  [58, 'lRN'],
  [59, 'lRB'],
  [60, 'aVendor-Class'],
  [61, '$Client-ID'],
  [98, 'aUAP'],
  [116, 'BNOAUTO'],
  [78, 'bSLP-DA'],
  [79, 'bSLP-SCOPE'],
  [117, 'sNSSEARCH'],
  [77, '$User-Class'],
  [118, 'iSUBNET'],
  [121, '$Classless-Static-Route'],
  [249, '$Classless-Static-Route-Microsoft'],
  [150, 'iTFTP-Server-Address'],
  [80, 'aSLP-NA'],
  [81, '$FQDN'],
  [82, '$Agent-Information'],
  [83, 'bARMT'],
  [88, 'aTZSTR'],
  [89, 'bFQDNS'],
  [90, 'bAUTH'],
  [91, 'LLast-Transaction-Time'],
  [92, 'iAssociated-IP'],
  [93, 'sARCH'],
  [94, 'bNDI'],
  [97, 'bGUID'],
  [95, 'aLDAP'],
  [100, 'aPOSIX-TZ'],
  [101, 'aTZ-Name'],
  [112, 'iNI'],
  [113, 'aNITAG'],
  [114, 'aURL'],
  [161, 'aMUD-URL'],
]);

const OVERLOADS: ReadonlyMap<number, string> = new Map([
  [1, 'file'],
  [2, 'sname'],
  [3, 'file+sname'],
]);
const NETBIOS_NODES: ReadonlyMap<number, string> = new Map([
  [0x1, 'b-node'],
  [0x2, 'p-node'],
  [0x4, 'm-node'],
  [0x8, 'h-node'],
]);
const ARP_TYPES: ReadonlyMap<number, string> = new Map([
  [0x1, 'ether'],
  [0x6, 'ieee802'],
  [0x7, 'arcnet'],
  [0xf, 'frelay'],
  [0x17, 'strip'],
  [0x18, 'ieee1394'],
]);
const DHCP_MESSAGES: ReadonlyMap<number, string> = new Map([
  [1, 'Discover'],
  [2, 'Offer'],
  [3, 'Request'],
  [4, 'Decline'],
  [5, 'ACK'],
  [6, 'NACK'],
  [7, 'Release'],
  [8, 'Inform'],
  [10, 'LeaseQuery'],
  [11, 'LeaseUnassigned'],
  [12, 'LeaseUnknown'],
  [13, 'LeaseActive'],
]);
const AGENT_SUBOPTIONS: ReadonlyMap<number, string> = new Map([
  [AGENT_SUBOPTION_CIRCUIT_ID, 'Circuit-ID'],
  [AGENT_SUBOPTION_REMOTE_ID, 'Remote-ID'],
  [AGENT_SUBOPTION_SUBSCRIBER_ID, 'Subscriber-ID'],
]);

/** Prints the BOOTP message of `length` bytes at `off` (bootp_print). */
export function printBootp(ctx: PrintContext, r: Reader, off: number, length: number): void {
  ctx.proto = 'bootp';
  const out = ctx.out;
  const op = r.u8(off + OP);
  out.put(`BOOTP/DHCP, ${tok2str(OPS, 'unknown (0x%02x)', op).replace('%02x', op.toString(16).padStart(2, '0'))}`);
  const htype = r.u8(off + HTYPE);
  const hlen = r.u8(off + HLEN);
  if (htype === 1 && hlen === MAC_ADDR_LEN && op === BOOTPREQUEST) out.put(` from ${r.mac(off + CHADDR)}`);
  out.put(`, length ${length}`);
  if (!ctx.opts.verbose) return;
  r.check(off + SECS, 2);
  if (htype !== 1) out.put(`, htype ${htype}`);
  if (htype !== 1 || hlen !== MAC_ADDR_LEN) out.put(`, hlen ${hlen}`);
  if (r.u8(off + HOPS)) out.put(`, hops ${r.u8(off + HOPS)}`);
  if (r.be32(off + XID)) out.put(`, xid 0x${r.be32(off + XID).toString(16)}`);
  if (r.be16(off + SECS)) out.put(`, secs ${r.be16(off + SECS)}`);
  const flags = r.be16(off + FLAGS);
  out.put(`, Flags [${bittok2str(FLAG_VALUES, 'none', flags)}]`);
  if (ctx.opts.verbose > 1) out.put(` (0x${flags.toString(16).padStart(4, '0')})`);
  const addr = (at: number, label: string): void => {
    if (r.be32(off + at)) out.put(`\n\t  ${label} ${r.ipv4(off + at)}`);
  };
  addr(CIADDR, 'Client-IP');
  addr(YIADDR, 'Your-IP');
  addr(SIADDR, 'Server-IP');
  addr(GIADDR, 'Gateway-IP');
  if (htype === 1 && hlen === MAC_ADDR_LEN) out.put(`\n\t  Client-Ethernet-Address ${r.mac(off + CHADDR)}`);
  const text = (at: number, size: number, label: string): void => {
    if (!r.u8(off + at)) return;
    out.put(`\n\t  ${label} "`);
    const used = printZtn(out, r, off + at, size);
    out.put('"');
    if (used === 0) truncated();
  };
  text(SNAME, SNAME_LEN, 'sname');
  text(FILE, FILE_LEN, 'file');
  r.check(off + VEND, 4);
  const magic = r.be32(off + VEND);
  if (magic === VM_RFC1048) rfc1048(ctx, r, off + VEND);
  else if (magic === VM_CMU) cmu(ctx, r, off + VEND);
  else if (magic !== 0) out.put(`\n\t  Vendor-#0x${magic.toString(16)}`);
}

/** rfc1048_print: the magic cookie and each option up to END (with -vvv, PAD and END too). */
function rfc1048(ctx: PrintContext, r: Reader, bp: number): void {
  const out = ctx.out;
  const vflag = ctx.opts.verbose;
  out.put('\n\t  Vendor-rfc1048 Extensions');
  out.put(`\n\t    Magic Cookie 0x${r.be32(bp).toString(16).padStart(8, '0')}`);
  bp += 4;
  while (r.has(bp, 1)) {
    const tag = r.u8(bp++);
    if (tag === TAG_PAD && vflag < 3) continue;
    if (tag === TAG_END && vflag < 3) return;
    const entry = tok2str(TAGS, '?Unknown', tag);
    let c = entry.charAt(0);
    const name = entry.slice(1);
    let len = 0;
    if (tag !== TAG_PAD && tag !== TAG_END) len = r.u8(bp++);
    out.put(`\n\t    ${name} (${tag}), length ${len}${len > 0 ? ': ' : ''}`);
    if (tag === TAG_PAD && vflag > 2) {
      let ntag = 1;
      while (r.has(bp, 1) && r.u8(bp) === TAG_PAD) {
        bp++;
        ntag++;
      }
      if (ntag > 1) out.put(`, occurs ${ntag}`);
    }
    if (!r.has(bp, len)) truncated();
    if (tag === TAG_DHCP_MESSAGE && len === 1) {
      out.put(tok2str(DHCP_MESSAGES, 'Unknown (%u)', r.u8(bp++)));
      continue;
    }
    if (tag === TAG_PARM_REQUEST) {
      for (let idx = 0; len > 0; idx++, len--) {
        const inner = r.u8(bp++);
        out.put(idx % 4 === 0 ? '\n\t      ' : ', ');
        out.put(`${tok2str(TAGS, '?Unknown', inner).slice(1)} (${inner})`);
      }
      continue;
    }
    if (c === '?') c = len & 1 ? 'b' : len & 2 ? 's' : 'l';
    const left = c === '$' ? special(ctx, r, tag, bp, len) : plain(out, r, c, bp, len);
    bp += len - left;
    if (left) {
      out.put(`\n\t  trailing data length ${left}`);
      bp += left;
    }
  }
}

/** One option's data in its plain format `c`; returns the bytes left over. */
function plain(out: Out, r: Reader, c: string, bp: number, len: number): number {
  const sep = (first: boolean, s: string): void => {
    if (!first) out.put(s);
  };
  switch (c) {
    case 'a':
      out.put('"');
      if (printN(out, r, bp, len)) {
        out.put('"');
        truncated();
      }
      out.put('"');
      return 0;
    case 'i':
    case 'l':
    case 'L':
      for (let first = true; len >= 4; bp += 4, len -= 4, first = false) {
        sep(first, ',');
        if (c === 'i') out.put(r.ipv4(bp));
        else if (c === 'L') out.put(String(r.be32(bp) | 0));
        else out.put(String(r.be32(bp)));
      }
      return len;
    case 'p':
      for (let first = true; len >= 8; bp += 8, len -= 8, first = false) {
        sep(first, ',');
        out.put(`(${r.ipv4(bp)}:${r.ipv4(bp + 4)})`);
      }
      return len;
    case 's':
      for (let first = true; len >= 2; bp += 2, len -= 2, first = false) {
        sep(first, ',');
        out.put(String(r.be16(bp)));
      }
      return len;
    case 'B':
      for (let first = true; len > 0; bp++, len--, first = false) {
        sep(first, ',');
        const v = r.u8(bp);
        out.put(v === 0 ? 'N' : v === 1 ? 'Y' : `${v}?`);
      }
      return 0;
    default:
      for (let first = true; len > 0; bp++, len--, first = false) {
        sep(first, c === 'x' ? ':' : '.');
        out.put(c === 'x' ? (HEX2[r.u8(bp)] as string) : String(r.u8(bp)));
      }
      return 0;
  }
}

/** The options tcpdump decodes by hand (`$` in the table); returns the bytes left over. */
function special(ctx: PrintContext, r: Reader, tag: number, bp: number, len: number): number {
  const out = ctx.out;
  switch (tag) {
    case TAG_NETBIOS_NODE:
    case TAG_OPT_OVERLOAD:
      if (len < 1) {
        out.put('[ERROR: length < 1 bytes]');
        return len;
      }
      out.put(tok2str(tag === TAG_NETBIOS_NODE ? NETBIOS_NODES : OVERLOADS, '#%u', r.u8(bp)));
      return len - 1;
    case TAG_CLIENT_FQDN: {
      if (len < 3) {
        out.put('[ERROR: length < 3 bytes]');
        return 0;
      }
      const flags = r.u8(bp);
      if (flags & 0xf0) out.put(`[ERROR: MBZ nibble 0x${((flags & 0xf0) >> 4).toString(16)} != 0] `);
      if (flags & 0x0f) out.put(`[${fqdnFlags(flags)}] `);
      if (r.u8(bp + 1) || r.u8(bp + 2)) out.put(`${r.u8(bp + 1)}/${r.u8(bp + 2)} `);
      out.put('"');
      if (printN(out, r, bp + 3, len - 3)) {
        out.put('"');
        truncated();
      }
      out.put('"');
      return 0;
    }
    case TAG_CLIENT_ID: {
      if (len < 1) {
        out.put('[ERROR: length < 1 bytes]');
        return len;
      }
      const type = r.u8(bp);
      if (type === 0) {
        out.put('"');
        if (printN(out, r, bp + 1, len - 1)) {
          out.put('"');
          truncated();
        }
        out.put('"');
        return 0;
      }
      out.put(`${tok2str(ARP_TYPES, 'hardware-type %u,', type)} `);
      for (let i = 1; i < len; i++) out.put((i > 1 ? ':' : '') + (HEX2[r.u8(bp + i)] as string));
      return 0;
    }
    case TAG_AGENT_CIRCUIT:
      while (len >= 2) {
        const subopt = r.u8(bp);
        const suboptlen = r.u8(bp + 1);
        bp += 2;
        len -= 2;
        const subName = tok2str(AGENT_SUBOPTIONS, 'Unknown', subopt);
        if (suboptlen > len) {
          out.put(`\n\t      ${subName} SubOption ${subopt}, length ${suboptlen}: length goes past end of option`);
          return 0;
        }
        out.put(`\n\t      ${subName} SubOption ${subopt}, length ${suboptlen}: `);
        if (AGENT_SUBOPTIONS.has(subopt)) {
          if (printN(out, r, bp, suboptlen)) truncated();
        } else {
          out.put(hexDump(r, '\n\t\t', bp, suboptlen).text);
        }
        len -= suboptlen;
        bp += suboptlen;
      }
      return len;
    case TAG_CLASSLESS_STATIC_RT:
    case TAG_CLASSLESS_STA_RT_MS: {
      if (len < 5) {
        out.put('[ERROR: length < 5 bytes]');
        return 0;
      }
      for (let first = true; len > 0; first = false) {
        if (!first) out.put(',');
        const width = r.u8(bp++);
        len--;
        if (width > 32) {
          out.put(`[ERROR: Mask width (${width}) > 32]`);
          return 0;
        }
        const octets = Math.floor((width + 7) / 8);
        if (len < octets + 4) {
          out.put(`[ERROR: Remaining length (${len}) < ${octets + 4} bytes]`);
          return 0;
        }
        out.put('(');
        if (width === 0) out.put('default');
        else {
          const parts: string[] = [];
          for (let i = 0; i < octets; i++) parts.push(String(r.u8(bp++)));
          for (let i = octets; i < 4; i++) parts.push('0');
          out.put(`${parts.join('.')}/${width}`);
        }
        out.put(`:${r.ipv4(bp)})`);
        bp += 4;
        len -= octets + 4;
      }
      return 0;
    }
    case TAG_USER_CLASS: {
      if (len < 2) {
        out.put('[ERROR: length < 2 bytes]');
        return 0;
      }
      for (let n = 1; len > 0; n++) {
        const sublen = r.u8(bp++);
        len--;
        out.put(`\n\t      instance#${n}: `);
        if (sublen === 0) {
          out.put('[ERROR: suboption length must be non-zero]');
          return 0;
        }
        if (len < sublen) {
          out.put('[ERROR: invalid option]');
          return 0;
        }
        out.put('"');
        if (printN(out, r, bp, sublen)) {
          out.put('"');
          truncated();
        }
        out.put(`", length ${sublen}`);
        len -= sublen;
        bp += sublen;
      }
      return 0;
    }
    default:
      out.put(`[unknown special tag ${tag}, size ${len}]`);
      return 0;
  }
}

/** client_fqdn_flags: the S, O, E and N bits of RFC 4702's flags byte. */
function fqdnFlags(flags: number): string {
  return (flags & 0x01 ? 'S' : '') + (flags & 0x02 ? 'O' : '') + (flags & 0x04 ? 'E' : '') + (flags & 0x08 ? 'N' : '');
}

/** cmu_print: the CMU vendor area's addresses. */
function cmu(ctx: PrintContext, r: Reader, bp: number): void {
  const out = ctx.out;
  out.put(' vend-cmu');
  r.check(bp + 4, 4);
  const flags = r.u8(bp + 4);
  if ((flags & ~1) !== 0) out.put(` F:0x${flags.toString(16)}`);
  const fields: Array<[number, string]> = [
    [12, 'DG'],
    [8, flags & 1 ? 'SM' : 'SM*'],
    [16, 'NS1'],
    [20, 'NS2'],
    [24, 'IEN1'],
    [28, 'IEN2'],
    [32, 'TS1'],
    [36, 'TS2'],
  ];
  for (const [at, label] of fields) {
    r.check(bp + at, 4);
    if (r.be32(bp + at) !== 0) out.put(` ${label}:${r.ipv4(bp + at)}`);
  }
}
