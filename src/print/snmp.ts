/**
 * SNMP printer: tcpdump 4.99's print-snmp.c (built without libsmi, run with -n: object identifiers as numbers),
 * e.g. `  GetRequest(28)  .1.3.6.1.2.1.1.1.0` or, with -v, `  { SNMPv1 { GetResponse(25) R=2  tooBig@1 .1.3.6.1.2.1.1.1.0= } } `.
 * RFC 1157 (SNMPv1), RFC 3416 (v2c PDUs), RFC 3412/3414 (v3 message and USM); X.690 BER.
 *
 *   Message  SEQUENCE { version INTEGER, community OCTET STRING, pdu }            (v1, v2c)
 *            SEQUENCE { version 3, header SEQUENCE, security OCTET STRING, scoped SEQUENCE }   (v3)
 *   PDU      [n] { request-id, error-status, error-index, SEQUENCE OF SEQUENCE { name OID, value ANY } }
 *   Trap     [4] { enterprise OID, agent-addr IpAddress, generic INTEGER, specific INTEGER, time TimeTicks, varbinds }
 *   BER      | tag: class(2) form(1) id(5, 31 = more bytes) | length (0x80 | n: n bytes follow) | contents |
 *
 * Parse errors print tcpdump's bracketed notes (`[len12<asnlen40]`) and stop; a length that passes the captured
 * bytes prints ` [|snmp]` where tcpdump's ND_TCHECK does and the printing goes on from the caller, as tcpdump's.
 */
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { truncMark } from './trunc.js';
import { printN } from './strings.js';
import { HEX2 } from './tables.js';
import { isPrint } from './util.js';

const UNIVERSAL_IDS = [
  'U-0',
  'Boolean',
  'Integer',
  'Bitstring',
  'String',
  'Null',
  'ObjID',
  'ObjectDes',
  'U-8',
  'U-9',
  'U-10',
  'U-11',
  'U-12',
  'U-13',
  'U-14',
  'U-15',
  'Sequence',
  'Set',
];
const APPLICATION_IDS = ['IpAddress', 'Counter', 'Gauge', 'TimeTicks', 'Opaque', 'C-5', 'Counter64'];
const CONTEXT_IDS = [
  'GetRequest',
  'GetNextRequest',
  'GetResponse',
  'SetRequest',
  'Trap',
  'GetBulk',
  'Inform',
  'V2Trap',
  'Report',
];
const PRIVATE_IDS = ['P-0'];
const EXCEPTION_IDS = ['noSuchObject', 'noSuchInstance', 'endOfMibView'];
/** The classes by their two tag bits; tcpdump's defineCLASS names every one "x" (its macro does not stringify). */
const CLASSES = [UNIVERSAL_IDS, APPLICATION_IDS, CONTEXT_IDS, PRIVATE_IDS];
const CLASS_NAME = 'x';
const FORMS = ['Primitive', 'Constructed'];

const ERROR_STATUS = [
  'noError',
  'tooBig',
  'noSuchName',
  'badValue',
  'readOnly',
  'genErr',
  'noAccess',
  'wrongType',
  'wrongLength',
  'wrongEncoding',
  'wrongValue',
  'noCreation',
  'inconsistentValue',
  'resourceUnavailable',
  'commitFailed',
  'undoFailed',
  'authorizationError',
  'notWritable',
  'inconsistentName',
];
const GENERIC_TRAPS = [
  'coldStart',
  'warmStart',
  'linkDown',
  'linkUp',
  'authenticationFailure',
  'egpNeighborLoss',
  'enterpriseSpecific',
];
const GT_ENTERPRISE = 6;
const VERSIONS = ['SNMPv1', 'SNMPv2c', 'SNMPv2u', 'SNMPv3'];
const SNMP_VERSION_1 = 0;
const SNMP_VERSION_2 = 1;
const SNMP_VERSION_3 = 3;
const DEF_COMMUNITY = 'public';

// Tag classes, forms and ids (X.690 §8.1.2; RFC 1155 and RFC 3416 application and context tags).
const UNIVERSAL = 0;
const APPLICATION = 1;
const CONTEXT = 2;
const PRIMITIVE = 0;
const INTEGER = 2;
const STRING = 4;
const ASN_NULL = 5;
const OBJECTID = 6;
const SEQUENCE = 16;
const IPADDR = 0;
const COUNTER = 1;
const GAUGE = 2;
const TIMETICKS = 3;
const COUNTER64 = 6;
const GETREQ = 0;
const GETNEXTREQ = 1;
const SETREQ = 3;
const TRAP = 4;
const GETBULKREQ = 5;
const INFORMREQ = 6;
const V2TRAP = 7;
const REPORT = 8;
const ASN_ID_EXT = 0x1f;
const ASNLEN_INETADDR = 4;
const OIDMUX = 40;

/** What a BER element decodes to (tcpdump's BE_* types). */
const enum Be {
  ANY,
  NULL,
  OCTET,
  OID,
  INT,
  UNS,
  STR,
  SEQ,
  INETADDR,
  PDU,
  UNS64,
  NOSUCHOBJECT,
  NOSUCHINST,
  ENDOFMIBVIEW,
}

/** One parsed BER element (tcpdump's struct be): its contents start at `data`. */
interface Elem {
  asnlen: number;
  type: Be;
  id: number;
  data: number;
  integer: number;
  uns: number;
  uns64: bigint;
}

const TRUNC = truncMark('snmp');

/** The message being printed. */
interface Snmp {
  ctx: PrintContext;
  r: Reader;
}

/**
 * asn1_parse: reads the element at `p` within `len` bytes into `elem`; returns its whole length (header and
 * contents) or -1 after printing why not.
 */
function parse(s: Snmp, p: number, len: number, elem: Elem): number {
  const { r, ctx } = s;
  const out = ctx.out;
  elem.asnlen = 0;
  elem.type = Be.ANY;
  if (len < 1) {
    out.put('[nothing to parse]');
    return -1;
  }
  const first = r.u8(p);
  let id = first & 0x1f;
  const form = (first & 0x20) >> 5;
  const cls = (first & 0xc0) >> 6;
  elem.id = id;
  p++;
  len--;
  let hdr = 1;
  if (id === ASN_ID_EXT) {
    id = 0;
    while (r.u8(p) & 0x80) {
      if (len < 1) {
        out.put('[Xtagfield?]');
        return -1;
      }
      id = ((id << 7) | (r.u8(p) & 0x7f)) & 0xff;
      len--;
      hdr++;
      p++;
    }
    if (len < 1) {
      out.put('[Xtagfield?]');
      return -1;
    }
    id = ((id << 7) | r.u8(p)) & 0xff; // tcpdump keeps the id in a u_char
    elem.id = id;
    len--;
    hdr++;
    p++;
  }
  if (len < 1) {
    out.put('[no asnlen]');
    return -1;
  }
  elem.asnlen = r.u8(p);
  p++;
  len--;
  hdr++;
  if (elem.asnlen & 0x80) {
    let noct = elem.asnlen % 0x80;
    elem.asnlen = 0;
    if (len < noct) {
      out.put(`[asnlen? ${len}<${noct}]`);
      return -1;
    }
    if (!r.has(p, noct)) {
      out.put(TRUNC);
      return -1;
    }
    for (; noct !== 0; len--, hdr++, noct--) elem.asnlen = ((elem.asnlen << 8) | r.u8(p++)) >>> 0;
  }
  if (len < elem.asnlen) {
    out.put(`[len${len}<asnlen${elem.asnlen}]`);
    return -1;
  }
  const ids = CLASSES[cls] as string[];
  if (id >= ids.length) {
    out.put(`[id?${(FORMS[form] as string).charAt(0)}/${CLASS_NAME}/${id}]`);
    return -1;
  }
  if (!r.has(p, elem.asnlen)) {
    out.put(TRUNC);
    return -1;
  }
  elem.data = p;
  if (form === PRIMITIVE) {
    if (cls === UNIVERSAL) {
      switch (id) {
        case STRING:
          elem.type = Be.STR;
          break;
        case INTEGER: {
          elem.type = Be.INT;
          if (elem.asnlen === 0) {
            out.put('[asnlen=0]');
            return -1;
          }
          let data = r.u8(p) & 0x80 ? -1 : 0;
          for (let i = 0; i < elem.asnlen; i++) data = (data << 8) | r.u8(p + i);
          elem.integer = data;
          break;
        }
        case OBJECTID:
          elem.type = Be.OID;
          break;
        case ASN_NULL:
          elem.type = Be.NULL;
          break;
        default:
          elem.type = Be.OCTET;
          out.put(`[P/U/${ids[id]}]`);
      }
    } else if (cls === APPLICATION) {
      switch (id) {
        case IPADDR:
          elem.type = Be.INETADDR;
          break;
        case COUNTER:
        case GAUGE:
        case TIMETICKS: {
          elem.type = Be.UNS;
          let data = 0;
          for (let i = 0; i < elem.asnlen; i++) data = (((data << 8) >>> 0) + r.u8(p + i)) >>> 0;
          elem.uns = data;
          break;
        }
        case COUNTER64: {
          elem.type = Be.UNS64;
          let data = 0n;
          for (let i = 0; i < elem.asnlen; i++) data = ((data << 8n) + BigInt(r.u8(p + i))) & 0xffffffffffffffffn;
          elem.uns64 = data;
          break;
        }
        default:
          elem.type = Be.OCTET;
          out.put(`[P/A/${ids[id]}]`);
      }
    } else if (cls === CONTEXT) {
      // The exceptions of RFC 3416 (noSuchObject, …); other ids stay BE_ANY, as in tcpdump.
      if (id === 0) elem.type = Be.NOSUCHOBJECT;
      else if (id === 1) elem.type = Be.NOSUCHINST;
      else if (id === 2) elem.type = Be.ENDOFMIBVIEW;
    } else {
      out.put(`[P/${CLASS_NAME}/${ids[id]}]`);
      elem.type = Be.OCTET;
    }
  } else if (cls === UNIVERSAL) {
    if (id === SEQUENCE) elem.type = Be.SEQ;
    else {
      elem.type = Be.OCTET;
      out.put(`C/U/${ids[id]}`);
    }
  } else if (cls === CONTEXT) {
    elem.type = Be.PDU;
  } else {
    elem.type = Be.OCTET;
    out.put(`C/${CLASS_NAME}/${ids[id]}`);
  }
  return elem.asnlen + hdr;
}

function typeOf(elem: Elem): Be {
  return elem.type;
}

function newElem(): Elem {
  return { asnlen: 0, type: Be.ANY, id: 0, data: 0, integer: 0, uns: 0, uns64: 0n };
}

/** asn1_print_octets: `_xx` for each byte. */
function printOctets(s: Snmp, elem: Elem): number {
  if (!s.r.has(elem.data, elem.asnlen)) {
    s.ctx.out.put(TRUNC);
    return -1;
  }
  let text = '';
  for (let i = 0; i < elem.asnlen; i++) text += `_${HEX2[s.r.u8(elem.data + i)]}`;
  s.ctx.out.put(text);
  return 0;
}

/** asn1_print_string: a printable string in quotes, anything else as `xx_xx_…`. */
function printString(s: Snmp, elem: Elem): number {
  const { r } = s;
  const out = s.ctx.out;
  if (!r.has(elem.data, elem.asnlen)) {
    out.put(TRUNC);
    return -1;
  }
  let printable = true;
  for (let i = 0; printable && i < elem.asnlen; i++) printable = isPrint(r.u8(elem.data + i));
  if (printable) {
    out.put('"');
    if (printN(out, r, elem.data, elem.asnlen)) {
      out.put('"' + TRUNC);
      return -1;
    }
    out.put('"');
  } else {
    const parts: string[] = [];
    for (let i = 0; i < elem.asnlen; i++) parts.push(HEX2[r.u8(elem.data + i)] as string);
    out.put(parts.join('_'));
  }
  return 0;
}

/** asn1_print: the element's value in tcpdump's notation; -1 after a truncation. */
function print(s: Snmp, elem: Elem): number {
  const { r } = s;
  const out = s.ctx.out;
  switch (elem.type) {
    case Be.OCTET:
      return printOctets(s, elem);
    case Be.NULL:
      return 0;
    case Be.OID: {
      // With -n no MIB names: every sub-identifier as `.N`, the first byte holding two (X.690 §8.19.4).
      let o = 0;
      let first = true;
      let text = '';
      for (let i = 0; i < elem.asnlen; i++) {
        const b = r.u8(elem.data + i);
        o = ((o << 7) + (b & 0x7f)) | 0;
        if (b & 0x80) continue;
        if (first) {
          first = false;
          const top = Math.min(2, Math.trunc(o / OIDMUX));
          text += `.${top}`;
          o -= top * OIDMUX;
        }
        text += `.${o >>> 0}`;
        o = 0;
      }
      out.put(text);
      return 0;
    }
    case Be.INT:
      out.put(String(elem.integer));
      return 0;
    case Be.UNS:
      out.put(String(elem.uns));
      return 0;
    case Be.UNS64:
      out.put(String(elem.uns64));
      return 0;
    case Be.STR:
      return printString(s, elem);
    case Be.SEQ:
      out.put(`Seq(${elem.asnlen})`);
      return 0;
    case Be.INETADDR: {
      if (elem.asnlen !== ASNLEN_INETADDR) out.put(`[inetaddr len!=${ASNLEN_INETADDR}]`);
      if (!r.has(elem.data, elem.asnlen)) {
        out.put(TRUNC);
        return -1;
      }
      const parts: string[] = [];
      for (let i = 0; i < elem.asnlen; i++) parts.push(String(r.u8(elem.data + i)));
      out.put(parts.join('.'));
      return 0;
    }
    case Be.NOSUCHOBJECT:
    case Be.NOSUCHINST:
    case Be.ENDOFMIBVIEW:
      out.put(`[${EXCEPTION_IDS[elem.id]}]`);
      return 0;
    case Be.PDU:
      out.put(`${CONTEXT_IDS[elem.id]}(${elem.asnlen})`);
      return 0;
    default:
      out.put('[BE_ANY!?]');
      return 0;
  }
}

/**
 * Parses the element at `p` expecting `type`; on a mismatch prints `[what]` and the element. Returns the element's
 * length or -1 (the caller stops).
 */
function expect(s: Snmp, p: number, len: number, elem: Elem, type: Be, what: string): number {
  const count = parse(s, p, len, elem);
  if (count < 0) return -1;
  if (elem.type !== type) {
    s.ctx.out.put(`[${what}]`);
    print(s, elem);
    return -1;
  }
  return count;
}

function errorStatus(e: number): string {
  return e >= 0 && e < ERROR_STATUS.length ? (ERROR_STATUS[e] as string) : `err=${e >>> 0}`;
}

/** varbind_print: ` name` (`=value` unless a Get request) for each variable binding. */
function varbinds(s: Snmp, pduid: number, np: number, length: number): void {
  const out = s.ctx.out;
  const elem = newElem();
  let count = parse(s, np, length, elem);
  if (count < 0) return;
  if (elem.type !== Be.SEQ) {
    out.put('[!SEQ of varbind]');
    print(s, elem);
    return;
  }
  if (count < length) out.put(`[${length - count} extra after SEQ of varbind]`);
  length = elem.asnlen;
  np = elem.data;
  const isGet = pduid === GETREQ || pduid === GETNEXTREQ || pduid === GETBULKREQ;
  while (length) {
    out.put(' ');
    if ((count = expect(s, np, length, elem, Be.SEQ, '!varbind')) < 0) return;
    const vbend = np + count;
    const vblength = length - count;
    length = elem.asnlen;
    np = elem.data;
    if ((count = expect(s, np, length, elem, Be.OID, 'objName!=OID')) < 0) return;
    let status = print(s, elem);
    if (status < 0) return;
    length -= count;
    np += count;
    if (!isGet) out.put('=');
    if ((count = parse(s, np, length, elem)) < 0) return;
    const value = typeOf(elem); // parse() has just set it; TypeScript would keep the narrowing from above
    if (isGet) {
      if (value !== Be.NULL) {
        out.put('[objVal!=NULL]');
        if (print(s, elem) < 0) return;
      }
    } else {
      if (value !== Be.NULL) status = print(s, elem);
      if (status < 0) return;
    }
    length = vblength;
    np = vbend;
  }
}

/** snmppdu_print: request id (-v), error status and index, then the variable bindings. */
function snmpPdu(s: Snmp, pduid: number, np: number, length: number): void {
  const out = s.ctx.out;
  const elem = newElem();
  let count: number;
  if ((count = expect(s, np, length, elem, Be.INT, 'reqId!=INT')) < 0) return;
  if (s.ctx.opts.verbose) out.put(`R=${elem.integer} `);
  length -= count;
  np += count;
  if ((count = expect(s, np, length, elem, Be.INT, 'errorStatus!=INT')) < 0) return;
  const strict = [GETREQ, GETNEXTREQ, SETREQ, INFORMREQ, V2TRAP, REPORT].includes(pduid);
  let status = 0;
  if (strict && elem.integer !== 0) out.put(`[errorStatus(${errorStatus(elem.integer)})!=0]`);
  else if (pduid === GETBULKREQ) out.put(` N=${elem.integer}`);
  else if (elem.integer !== 0) {
    out.put(` ${errorStatus(elem.integer)}`);
    status = elem.integer;
  }
  length -= count;
  np += count;
  if ((count = expect(s, np, length, elem, Be.INT, 'errorIndex!=INT')) < 0) return;
  if (strict && elem.integer !== 0) out.put(`[errorIndex(${elem.integer})!=0]`);
  else if (pduid === GETBULKREQ) out.put(` M=${elem.integer}`);
  else if (elem.integer !== 0) {
    out.put(status ? `@${elem.integer}` : `[errorIndex(${elem.integer}) w/o errorStatus]`);
  } else if (status) out.put('[errorIndex==0]');
  length -= count;
  np += count;
  varbinds(s, pduid, np, length);
}

/** trappdu_print: an SNMPv1 trap's enterprise, agent, generic and specific trap, time stamp and bindings. */
function trapPdu(s: Snmp, np: number, length: number): void {
  const out = s.ctx.out;
  const elem = newElem();
  let count: number;
  out.put(' ');
  if ((count = expect(s, np, length, elem, Be.OID, 'enterprise!=OID')) < 0) return;
  if (print(s, elem) < 0) return;
  length -= count;
  np += count;
  out.put(' ');
  if ((count = expect(s, np, length, elem, Be.INETADDR, 'agent-addr!=INETADDR')) < 0) return;
  if (print(s, elem) < 0) return;
  length -= count;
  np += count;
  if ((count = expect(s, np, length, elem, Be.INT, 'generic-trap!=INT')) < 0) return;
  const generic = elem.integer;
  out.put(` ${generic >= 0 && generic < GENERIC_TRAPS.length ? GENERIC_TRAPS[generic] : `gt=${generic}`}`);
  length -= count;
  np += count;
  if ((count = expect(s, np, length, elem, Be.INT, 'specific-trap!=INT')) < 0) return;
  if (generic !== GT_ENTERPRISE) {
    if (elem.integer !== 0) out.put(`[specific-trap(${elem.integer})!=0]`);
  } else out.put(` s=${elem.integer}`);
  length -= count;
  np += count;
  out.put(' ');
  if ((count = expect(s, np, length, elem, Be.UNS, 'time-stamp!=TIMETICKS')) < 0) return;
  if (print(s, elem) < 0) return;
  length -= count;
  np += count;
  varbinds(s, TRAP, np, length);
}

/** pdu_print: the PDU's name and length, then its contents by type. */
function pdu(s: Snmp, np: number, length: number, version: number): void {
  const out = s.ctx.out;
  const verbose = s.ctx.opts.verbose > 0;
  const p = newElem();
  const count = parse(s, np, length, p);
  if (count < 0) return;
  if (p.type !== Be.PDU) {
    out.put('[no PDU]');
    return;
  }
  if (count < length) out.put(`[${length - count} extra after PDU]`);
  if (verbose) out.put('{ ');
  if (print(s, p) < 0) return;
  out.put(' ');
  if (version === SNMP_VERSION_1 && [GETBULKREQ, INFORMREQ, V2TRAP, REPORT].includes(p.id)) {
    out.put('[v2 PDU in v1 message]');
    return;
  }
  if (version === SNMP_VERSION_2 && p.id === TRAP) {
    out.put('[v1 PDU in v2 message]');
    return;
  }
  if (p.id === TRAP) trapPdu(s, p.data, p.asnlen);
  else if (p.id <= REPORT) snmpPdu(s, p.id, p.data, p.asnlen);
  if (verbose) out.put(' } ');
}

/** scopedpdu_print: an SNMPv3 scoped PDU's context engine and name, then the PDU. */
function scopedPdu(s: Snmp, np: number, length: number, version: number): void {
  const out = s.ctx.out;
  const elem = newElem();
  let count: number;
  if ((count = expect(s, np, length, elem, Be.SEQ, '!scoped PDU')) < 0) return;
  length = elem.asnlen;
  np = elem.data;
  if ((count = expect(s, np, length, elem, Be.STR, 'contextEngineID!=STR')) < 0) return;
  length -= count;
  np += count;
  out.put('E=');
  if (printOctets(s, elem) === -1) return;
  out.put(' ');
  if ((count = expect(s, np, length, elem, Be.STR, 'contextName!=STR')) < 0) return;
  length -= count;
  np += count;
  out.put('C=');
  if (printString(s, elem) === -1) return;
  out.put(' ');
  pdu(s, np, length, version);
}

/** community_print: the community (unless "public"), then the PDU. */
function community(s: Snmp, np: number, length: number, version: number): void {
  const out = s.ctx.out;
  const elem = newElem();
  const count = expect(s, np, length, elem, Be.STR, 'comm!=STR');
  if (count < 0) return;
  const isPublic = elem.asnlen === DEF_COMMUNITY.length && s.r.latin1(elem.data, elem.asnlen) === DEF_COMMUNITY;
  if (!isPublic) {
    out.put('C=');
    if (printString(s, elem) === -1) return;
    out.put(' ');
  }
  pdu(s, np + count, length - count, version);
}

/** usm_print: the User-based Security Model parameters: boots and time (-v) and the user name. */
function usm(s: Snmp, np: number, length: number): void {
  const out = s.ctx.out;
  const verbose = s.ctx.opts.verbose > 0;
  const elem = newElem();
  let count: number;
  if ((count = expect(s, np, length, elem, Be.SEQ, '!usm')) < 0) return;
  length = elem.asnlen;
  np = elem.data;
  const steps: Array<[Be, string, (e: Elem) => number]> = [
    [Be.STR, 'msgAuthoritativeEngineID!=STR', () => 0],
    [Be.INT, 'msgAuthoritativeEngineBoots!=INT', (e) => (verbose && out.put(`B=${e.integer} `), 0)],
    [Be.INT, 'msgAuthoritativeEngineTime!=INT', (e) => (verbose && out.put(`T=${e.integer} `), 0)],
    [
      Be.STR,
      'msgUserName!=STR',
      (e) => {
        out.put('U=');
        if (printString(s, e) === -1) return -1;
        out.put(' ');
        return 0;
      },
    ],
    [Be.STR, 'msgAuthenticationParameters!=STR', () => 0],
    [Be.STR, 'msgPrivacyParameters!=STR', () => 0],
  ];
  for (const [type, what, show] of steps) {
    if ((count = expect(s, np, length, elem, type, what)) < 0) return;
    if (show(elem) < 0) return;
    length -= count;
    np += count;
  }
  if (count < length) out.put(`[${length - count} extra after usm SEQ]`);
}

/** v3msg_print: the SNMPv3 header (flags), the USM parameters and the scoped PDU. */
function v3msg(s: Snmp, np: number, length: number): void {
  const out = s.ctx.out;
  const verbose = s.ctx.opts.verbose > 0;
  const elem = newElem();
  const xnp = np;
  const xlength = length;
  let count: number;
  if ((count = expect(s, np, length, elem, Be.SEQ, '!message')) < 0) return;
  length = elem.asnlen;
  np = elem.data;
  if (verbose) out.put('{ ');
  if ((count = expect(s, np, length, elem, Be.INT, 'msgID!=INT')) < 0) return;
  length -= count;
  np += count;
  if ((count = expect(s, np, length, elem, Be.INT, 'msgMaxSize!=INT')) < 0) return;
  length -= count;
  np += count;
  if ((count = expect(s, np, length, elem, Be.STR, 'msgFlags!=STR')) < 0) return;
  if (elem.asnlen !== 1) {
    out.put(`[msgFlags size ${elem.asnlen}]`);
    return;
  }
  const flags = s.r.u8(elem.data);
  if (![0x00, 0x01, 0x03, 0x04, 0x05, 0x07].includes(flags)) {
    out.put(`[msgFlags=0x${HEX2[flags]?.toUpperCase()}]`);
    return;
  }
  length -= count;
  np += count;
  out.put(`F=${flags & 0x01 ? 'a' : ''}${flags & 0x02 ? 'p' : ''}${flags & 0x04 ? 'r' : ''} `);
  if ((count = expect(s, np, length, elem, Be.INT, 'msgSecurityModel!=INT')) < 0) return;
  const model = elem.integer;
  length -= count;
  np += count;
  if (count < length) out.put(`[${length - count} extra after message SEQ]`);
  if (verbose) out.put('} ');
  if (model !== 3) {
    out.put(`[security model ${model}]`);
    return;
  }
  if (verbose) out.put('{ USM ');
  length = xlength - (np - xnp);
  if ((count = expect(s, np, length, elem, Be.STR, 'msgSecurityParameters!=STR')) < 0) return;
  length -= count;
  np += count;
  usm(s, elem.data, elem.asnlen);
  if (verbose) out.put('} ');
  if (verbose) out.put('{ ScopedPDU ');
  scopedPdu(s, np, length, 3);
  if (verbose) out.put('} ');
}

/** Prints the SNMP message of `length` bytes at `off` (snmp_print). */
export function printSnmp(ctx: PrintContext, r: Reader, off: number, length: number): void {
  ctx.proto = 'snmp';
  const out = ctx.out;
  const s: Snmp = { ctx, r };
  const elem = newElem();
  out.put(' ');
  let count = parse(s, off, length, elem);
  if (count < 0) return;
  if (elem.type !== Be.SEQ) {
    out.put('[!init SEQ]');
    print(s, elem);
    return;
  }
  if (count < length) out.put(`[${length - count} extra after iSEQ]`);
  length = elem.asnlen;
  let np = elem.data;
  if ((count = expect(s, np, length, elem, Be.INT, 'version!=INT')) < 0) return;
  const version = elem.integer;
  if (version !== SNMP_VERSION_1 && version !== SNMP_VERSION_2 && version !== SNMP_VERSION_3) {
    out.put(`SNMP [version = ${version}]`);
    return;
  }
  if (ctx.opts.verbose) out.put(`{ ${VERSIONS[version]} `);
  length -= count;
  np += count;
  if (version === SNMP_VERSION_3) v3msg(s, np, length);
  else community(s, np, length, version);
  if (ctx.opts.verbose) out.put('} ');
}
