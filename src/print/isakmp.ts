/**
 * ISAKMP/IKE printer: tcpdump 4.99's print-isakmp.c, e.g. `isakmp: phase 1 I ident` (IKEv1) or
 * `isakmp: parent_sa ikev2_init[I]` (IKEv2); -v adds version, message ID and the payload chain (SA, proposals,
 * transforms with their attributes, KE, nonce, ID, notify, …), -vv the cookies and more data. RFC 2408 (ISAKMP),
 * RFC 2407 (IPsec DOI), RFC 2409 (IKEv1), RFC 7296 (IKEv2).
 *
 *   0            8            16   17    18     19    20      24      28
 *   +------------+------------+----+-----+------+-----+-------+-------+
 *   | i cookie   | r cookie   | np | ver | xchg |flags| msgid | len   |  then payloads:
 *   +------------+------------+----+-----+------+-----+-------+-------+
 *   payload: | next payload | critical/reserved | length (2) | body… |
 *
 * tcpdump tells initiator from responder with a cache of the last 20 initiator cookies and addresses; the cache
 * here is per run (PrintContext state). Without keys (ntk has none) encrypted payloads print their length only.
 */
import type { PrintContext } from './context.js';
import type { Reader } from './reader.js';
import { truncMark } from './trunc.js';
import { fnChar, isPrint } from './util.js';

const HDR_LEN = 28;
const GEN_LEN = 4;

const NP_SA = 1;
const NP_P = 2;
const NP_T = 3;
const NP_KE = 4;
const NP_ID = 5;
const NP_CERT = 6;
const NP_CR = 7;
const NP_HASH = 8;
const NP_SIG = 9;
const NP_NONCE = 10;
const NP_N = 11;
const NP_D = 12;
const NP_VID = 13;
const NP_V2E = 46;

const FLAG_E = 0x01;
const FLAG_C = 0x02;
const FLAG_I = 0x08;
const FLAG_V = 0x10;
const FLAG_R = 0x20;

const IKEV1_MAJOR = 1;
const IKEV2_MAJOR = 2;
const MAXINITIATORS = 20;

const PROTO_IDS = [undefined, 'isakmp', 'ipsec-ah', 'ipsec-esp', 'ipcomp'];
const NP_NAMES = [
  'none',
  'sa',
  'p',
  't',
  'ke',
  'id',
  'cert',
  'cr',
  'hash',
  'sig',
  'nonce',
  'n',
  'd',
  'vid',
  'pay14',
  'pay15',
  'pay16',
  'pay17',
  'pay18',
  'pay19',
  'pay20',
  'pay21',
  'pay22',
  'pay23',
  'pay24',
  'pay25',
  'pay26',
  'pay27',
  'pay28',
  'pay29',
  'pay30',
  'pay31',
  'pay32',
  'v2sa',
  'v2ke',
  'v2IDi',
  'v2IDr',
  'v2cert',
  'v2cr',
  'v2auth',
  'v2nonce',
  'v2n',
  'v2d',
  'v2vid',
  'v2TSi',
  'v2TSr',
  'v2e',
  'v2cp',
  'v2eap',
];
const EXCHANGES: Array<string | undefined> = [
  'none',
  'base',
  'ident',
  'auth',
  'agg',
  'inf',
  ...Array<undefined>(26),
  'oakley-quick',
  'oakley-newgroup',
  'ikev2_init',
  'ikev2_auth',
  'child_sa',
  'inf2',
];
const IKEV1_P_MAP = [undefined, 'ike'];
const IKEV2_T_TYPES = [undefined, 'encr', 'prf', 'integ', 'dh', 'esn'];
const AH_P_MAP = [undefined, '(reserved)', 'md5', 'sha', '1des', 'sha2-256', 'sha2-384', 'sha2-512'];
const PRF_P_MAP = [undefined, 'hmac-md5', 'hmac-sha', 'hmac-tiger', 'aes128_xcbc'];
const INTEG_P_MAP = [undefined, 'hmac-md5', 'hmac-sha', 'dec-mac', 'kpdk-md5', 'aes-xcbc'];
const ESN_P_MAP = ['no-esn', 'esn'];
const DH_GROUPS = [
  undefined,
  'modp768',
  'modp1024',
  'EC2N 2^155',
  'EC2N 2^185',
  'modp1536',
  'iana-grp06',
  'iana-grp07',
  'iana-grp08',
  'iana-grp09',
  'iana-grp10',
  'iana-grp11',
  'iana-grp12',
  'iana-grp13',
  'modp2048',
  'modp3072',
  'modp4096',
  'modp6144',
  'modp8192',
];
const ESP_P_MAP = [
  undefined,
  '1des-iv64',
  '1des',
  '3des',
  'rc5',
  'idea',
  'cast',
  'blowfish',
  '3idea',
  '1des-iv32',
  'rc4',
  'null',
  'aes',
];
const IPCOMP_P_MAP = [undefined, 'oui', 'deflate', 'lzs'];
const CERT_TYPES = ['none', 'pkcs7', 'pgp', 'dns', 'x509sign', 'x509ke', 'kerberos', 'crl', 'arl', 'spki', 'x509attr'];
const ID_TYPES = [
  undefined,
  'IPv4',
  'FQDN',
  'user FQDN',
  'IPv4net',
  'IPv6',
  'IPv6net',
  'IPv4range',
  'IPv6range',
  'ASN1 DN',
  'ASN1 GN',
  'keyid',
];
const V2_AUTH = ['invalid', 'rsasig', 'shared-secret', 'dsssig'];

/** An attribute table (tcpdump's attrmap): the type's name and the names of its values (nvalue bounds them). */
interface AttrMap {
  type?: string;
  nvalue: number;
  value: Array<string | undefined>;
}
const A = (type?: string, nvalue = 0, value: Array<string | undefined> = []): AttrMap => ({ type, nvalue, value });
const IPSEC_T_MAP: AttrMap[] = [
  A(),
  A('lifetype', 3, [undefined, 'sec', 'kb']),
  A('life'),
  A('group desc', 18, DH_GROUPS),
  A('enc mode', 3, [undefined, 'tunnel', 'transport']),
  A('auth', 5, [undefined, 'hmac-md5', 'hmac-sha1', '1des-mac', 'keyed']),
  A('keylen'),
  A('rounds'),
  A('dictsize'),
  A('privalg'),
];
const ENCR_T_MAP: AttrMap[] = [...Array.from({ length: 14 }, () => A()), A('keylen', 14)];
const OAKLEY_T_MAP: AttrMap[] = [
  A(),
  A('enc', 8, [undefined, '1des', 'idea', 'blowfish', 'rc5', '3des', 'cast', 'aes']),
  A('hash', 7, [undefined, 'md5', 'sha1', 'tiger', 'sha2-256', 'sha2-384', 'sha2-512']),
  A('auth', 6, [undefined, 'preshared', 'dss', 'rsa sig', 'rsa enc', 'rsa enc revised']),
  A('group desc', 18, DH_GROUPS),
  A('group type', 4, [undefined, 'MODP', 'ECP', 'EC2N']),
  A('group prime'),
  A('group gen1'),
  A('group gen2'),
  A('group curve A'),
  A('group curve B'),
  A('lifetype', 3, [undefined, 'sec', 'kb']),
  A('lifeduration'),
  A('prf'),
  A('keylen'),
  A('field'),
  A('order'),
];

const NOTIFY_ERRORS = [
  undefined,
  'INVALID-PAYLOAD-TYPE',
  'DOI-NOT-SUPPORTED',
  'SITUATION-NOT-SUPPORTED',
  'INVALID-COOKIE',
  'INVALID-MAJOR-VERSION',
  'INVALID-MINOR-VERSION',
  'INVALID-EXCHANGE-TYPE',
  'INVALID-FLAGS',
  'INVALID-MESSAGE-ID',
  'INVALID-PROTOCOL-ID',
  'INVALID-SPI',
  'INVALID-TRANSFORM-ID',
  'ATTRIBUTES-NOT-SUPPORTED',
  'NO-PROPOSAL-CHOSEN',
  'BAD-PROPOSAL-SYNTAX',
  'PAYLOAD-MALFORMED',
  'INVALID-KEY-INFORMATION',
  'INVALID-ID-INFORMATION',
  'INVALID-CERT-ENCODING',
  'INVALID-CERTIFICATE',
  'CERT-TYPE-UNSUPPORTED',
  'INVALID-CERT-AUTHORITY',
  'INVALID-HASH-INFORMATION',
  'AUTHENTICATION-FAILED',
  'INVALID-SIGNATURE',
  'ADDRESS-NOTIFICATION',
  'NOTIFY-SA-LIFETIME',
  'CERTIFICATE-UNAVAILABLE',
  'UNSUPPORTED-EXCHANGE-TYPE',
  'UNEQUAL-PAYLOAD-LENGTHS',
];
const IPSEC_NOTIFY_ERRORS = ['RESERVED'];
const NOTIFY_STATUS = ['CONNECTED'];
const IPSEC_NOTIFY_STATUS = ['RESPONDER-LIFETIME', 'REPLAY-STATUS', 'INITIAL-CONTACT'];
const IPSECDOI_NTYPE_RESPONDER_LIFETIME = 24576;
const IPSECDOI_NTYPE_REPLAY_STATUS = 24577;

/** IKEv2 notify types: [name, show the SPI, show some data] (RFC 7296 §3.10.1). */
const V2_NOTIFIES: ReadonlyMap<number, readonly [string, boolean, boolean]> = new Map([
  [1, ['unsupported_critical_payload', false, false]],
  [4, ['invalid_ike_spi', true, false]],
  [5, ['invalid_major_version', false, false]],
  [7, ['invalid_syntax', true, false]],
  [9, ['invalid_message_id', true, false]],
  [11, ['invalid_spi', true, false]],
  [14, ['no_protocol_chosen', true, false]],
  [17, ['invalid_ke_payload', true, false]],
  [24, ['authentication_failed', true, false]],
  [34, ['single_pair_required', true, false]],
  [35, ['no_additional_sas', false, false]],
  [36, ['internal_address_failure', false, false]],
  [37, ['failed:cp_required', false, false]],
  [39, ['invalid_selectors', false, false]],
  [16384, ['initial_contact', false, false]],
  [16385, ['set_window_size', false, false]],
  [16386, ['additional_ts_possible', false, false]],
  [16387, ['ipcomp_supported', false, false]],
  [16388, ['nat_detection_source_ip', true, false]],
  [16389, ['nat_detection_destination_ip', true, false]],
  [16390, ['cookie', true, true]],
  [16391, ['use_transport_mode', false, false]],
  [16392, ['http_cert_lookup_supported', false, false]],
  [16393, ['rekey_sa', true, false]],
  [16394, ['tfc_padding_not_supported', false, false]],
  [16395, ['non_first_fragment_also', false, false]],
]);

/** STR_OR_ID: the name at `x` in `table`, or `#x`. */
function strOrId(x: number, table: ReadonlyArray<string | undefined>): string {
  return table[x] ?? `#${x}`;
}
const npstr = (np: number): string => strOrId(np, NP_NAMES);

/** One remembered initiator: its cookie and the addresses of the packet that carried it first. */
interface CookieEntry {
  cookie: string;
  version: number;
  iaddr: string;
  raddr: string;
}
interface CookieCache {
  entries: CookieEntry[];
  next: number;
}

/** The message being printed: `ep` is the captured end (tcpdump's snapend), `ipOff` the IP header (bp2). */
interface Msg {
  ctx: PrintContext;
  r: Reader;
  ep: number;
  ipOff: number;
  base: number;
}

/** rawprint: the `len` bytes at `off` in hex; false when they were not all captured. */
function raw(m: Msg, off: number, len: number): boolean {
  if (!m.r.has(off, len)) return false;
  m.ctx.out.put(m.r.hex(off, len, ''));
  return true;
}

/** ike_show_somedata: the first 10 and the last 20 bytes up to the captured end. */
function someData(m: Msg, cp: number, ep: number): boolean {
  let end = ep - 20;
  let elen = 20;
  let len = ep - cp;
  if (len > 10) len = 10;
  if (end < cp + len) {
    end = cp + len;
    elen = ep - end;
  }
  m.ctx.out.put(' data=(');
  if (!raw(m, cp, len)) return false;
  m.ctx.out.put('...');
  if (elen && !raw(m, end, elen)) return false;
  m.ctx.out.put(')');
  return true;
}

/** The IP source and destination of the packet (v4 or v6), as hex, and the IP version. */
function ipAddrs(m: Msg): { version: number; src: string; dst: string } {
  const version = m.r.u8(m.ipOff) >> 4;
  if (version === 4) return { version, src: m.r.hex(m.ipOff + 12, 4, ''), dst: m.r.hex(m.ipOff + 16, 4, '') };
  if (version === 6) return { version, src: m.r.hex(m.ipOff + 8, 16, ''), dst: m.r.hex(m.ipOff + 24, 16, '') };
  return { version, src: '', dst: '' };
}

function cookieCache(ctx: PrintContext): CookieCache {
  return ctx.stateOf<CookieCache>('isakmp', () => ({
    entries: Array.from({ length: MAXINITIATORS }, () => ({
      cookie: '0000000000000000',
      version: 0,
      iaddr: '',
      raddr: '',
    })),
    next: 0,
  }));
}

/** Prints the ISAKMP message of `length` bytes at `off` (isakmp_print); `ipOff` is its IP header. */
export function printIsakmp(ctx: PrintContext, r: Reader, off: number, length: number, ipOff: number): void {
  ctx.proto = 'isakmp';
  const out = ctx.out;
  const m: Msg = { ctx, r, ep: r.caplen, ipOff, base: off };
  if (m.ep < off + HDR_LEN) {
    out.put(truncMark('isakmp'));
    return;
  }
  out.put('isakmp');
  const vers = r.u8(off + 17);
  const major = (vers & 0xf0) >> 4;
  const minor = vers & 0x0f;
  const v = ctx.opts.verbose;
  if (v) out.put(` ${major}.${minor}`);
  if (v) out.put(` msgid ${r.hex(off + 20, 4, '')}`);
  if (v > 1) out.put(` cookie ${r.hex(off, 8, '')}->${r.hex(off + 8, 8, '')}`);
  out.put(':');
  if (major === IKEV1_MAJOR) ikev1(m, length);
  else if (major === IKEV2_MAJOR) ikev2(m, length);
}

/** ikev1_print: phase, initiator or responder, exchange and flags; -v the payloads. */
function ikev1(m: Msg, length: number): void {
  const { r, ctx, base } = m;
  const out = ctx.out;
  const phase = r.be32(base + 20) === 0 ? 1 : 2;
  out.put(phase === 1 ? ` phase ${phase}` : ` phase ${phase}/others`);
  const cache = cookieCache(ctx);
  const cookie = r.hex(base, 8, '');
  const i = cache.entries.findIndex((e) => e.cookie === cookie);
  const ip = ipAddrs(m);
  if (i < 0) {
    if (r.hex(base + 8, 8, '') === '0000000000000000') {
      out.put(' I');
      record(cache, cookie, ip);
    } else out.put(' ?');
  } else {
    const e = cache.entries[i] as CookieEntry;
    const known = (ip.version === 4 || ip.version === 6) && e.version === ip.version;
    if (known && ip.src === e.iaddr) out.put(' I');
    else if (known && ip.src === e.raddr) out.put(' R');
    else out.put(' ?');
  }
  out.put(` ${strOrId(r.u8(base + 18), EXCHANGES)}`);
  const flags = r.u8(base + 19);
  if (flags) out.put(`[${flags & FLAG_E ? 'E' : ''}${flags & FLAG_C ? 'C' : ''}]`);
  payloads(m, length, flags, 1, phase);
}

/** cookie_record: remembers the initiator's cookie and addresses (a known cookie only moves the slot pointer). */
function record(cache: CookieCache, cookie: string, ip: { version: number; src: string; dst: string }): void {
  const i = cache.entries.findIndex((e) => e.cookie === cookie);
  if (i >= 0) {
    cache.next = (i + 1) % MAXINITIATORS;
    return;
  }
  if (ip.version !== 4 && ip.version !== 6) return;
  cache.entries[cache.next] = { cookie, version: ip.version, iaddr: ip.src, raddr: ip.dst };
  cache.next = (cache.next + 1) % MAXINITIATORS;
}

/** ikev2_print: parent or child SA, exchange and flags; -v the payloads. */
function ikev2(m: Msg, length: number): void {
  const { r, ctx, base } = m;
  const out = ctx.out;
  const phase = r.be32(base + 20) === 0 ? 1 : 2;
  out.put(phase === 1 ? ' parent_sa' : ' child_sa ');
  out.put(` ${strOrId(r.u8(base + 18), EXCHANGES)}`);
  const flags = r.u8(base + 19);
  if (flags) out.put(`[${flags & FLAG_I ? 'I' : ''}${flags & FLAG_V ? 'V' : ''}${flags & FLAG_R ? 'R' : ''}]`);
  payloads(m, length, flags, 2, phase);
}

/** The -v part shared by both versions: the payload chain (or `[encrypted …]`) and a length mismatch. */
function payloads(m: Msg, length: number, flags: number, version: 1 | 2, phase: number): void {
  const { r, ctx, base } = m;
  const out = ctx.out;
  if (!ctx.opts.verbose) return;
  out.put(':');
  const np = r.u8(base + 16);
  if (flags & FLAG_E) out.put(` [encrypted ${npstr(np)}]`);
  else if (m.ep < base + HDR_LEN) out.put(truncMark(npstr(np)));
  else if (version === 1) v1Sub(m, np, base + HDR_LEN, phase, 0, 0);
  else v2Sub(m, np, base + HDR_LEN, 0);
  const len = r.be32(base + 24);
  if (len !== length) out.put(` (len mismatch: isakmp ${len}/ip ${length})`);
}

/** Prints `\n` and four spaces per level of `depth`, then `(`. */
function open(m: Msg, depth: number): void {
  m.ctx.out.put(`\n${'    '.repeat(depth)}(`);
}

/** ikev1_sub_print: the chain of payloads starting with type `np` at `ext`; the end, or null to stop. */
function v1Sub(m: Msg, np: number, ext: number, phase: number, proto: number, depth: number): number | null {
  const { r } = m;
  let cp: number | null = ext;
  while (np) {
    if (!r.has(ext, GEN_LEN)) return v1Trunc(m, np);
    const itemLen = r.be16(ext + 2);
    if (!r.has(ext, itemLen)) return v1Trunc(m, np);
    open(m, depth + 1);
    cp = sub0(m, np, ext, phase, proto, depth + 1, 1);
    m.ctx.out.put(')');
    if (cp === null) return null;
    np = r.u8(ext);
    ext = cp;
  }
  return cp;
}

function v1Trunc(m: Msg, np: number): null {
  m.ctx.out.put(truncMark(npstr(np)));
  return null;
}

/** ike_sub0_print / ikev2_sub0_print: one payload by its type; null for a length of 4 or less. */
function sub0(
  m: Msg,
  np: number,
  ext: number,
  phase: number,
  proto: number,
  depth: number,
  version: 1 | 2,
): number | null {
  if (!m.r.has(ext, GEN_LEN)) {
    m.ctx.out.put(truncMark('isakmp'));
    return null;
  }
  const itemLen = m.r.be16(ext + 2);
  if (itemLen <= 4) return null;
  const printer = version === 2 && np === NP_V2E ? v2Encrypted : PAYLOADS[np];
  if (printer) return printer(m, np, ext, itemLen, phase, proto, depth);
  m.ctx.out.put(npstr(np));
  return ext + itemLen;
}

type PayloadPrinter = (
  m: Msg,
  np: number,
  ext: number,
  itemLen: number,
  phase: number,
  proto: number,
  depth: number,
) => number | null;

/** Prints ` [|name]` (a payload cut short) and returns null. */
function trunc(m: Msg, np: number): null {
  m.ctx.out.put(truncMark(npstr(np)));
  return null;
}

/** The payloads that print their length and, with -vvv, their bytes (hash, sig, vid; and cert/cr with a type). */
function v1Generic(label: string): PayloadPrinter {
  return (m, np, ext, itemLen) => {
    const out = m.ctx.out;
    out.put(`${npstr(np)}:`);
    if (!m.r.has(ext, np === NP_CERT || np === NP_CR ? 6 : GEN_LEN)) return trunc(m, np);
    out.put(` ${label}=${itemLen - 4}`);
    if (np === NP_CERT || np === NP_CR) out.put(` type=${strOrId(m.r.u8(ext + 4), CERT_TYPES)}`);
    if (m.ctx.opts.verbose > 2 && itemLen > 4) {
      out.put(' ');
      if (!raw(m, ext + 4, itemLen - 4)) return trunc(m, np);
    }
    return ext + itemLen;
  };
}

/** ikev1_sa_print: DOI and situation, then the proposals. */
const v1Sa: PayloadPrinter = (m, _np, ext, _itemLen, phase, proto, depth) => {
  const { r } = m;
  const out = m.ctx.out;
  out.put(`${npstr(NP_SA)}:`);
  if (!r.has(ext, 12)) return trunc(m, NP_SA);
  const doi = r.be32(ext + 4);
  const sit = r.be32(ext + 8);
  if (doi !== 1) {
    out.put(` doi=${doi} situation=${sit}`);
    return ext + 12;
  }
  out.put(' doi=ipsec situation=');
  let t = 0;
  if (sit & 0x01) {
    out.put('identity');
    t++;
  }
  if (sit & 0x02) {
    out.put(`${t ? '+' : ''}secrecy`);
    t++;
  }
  if (sit & 0x04) out.put(`${t ? '+' : ''}integrity`);
  let next = ext + 12;
  if (sit !== 0x01) {
    out.put(` ident=${r.be32(ext + 4)}`);
    next += 4;
  }
  if (!r.has(next, GEN_LEN)) return trunc(m, NP_SA);
  return v1Sub(m, NP_P, next, phase, proto, depth);
};

/** ikev1_p_print: proposal number, protocol, transforms, SPI; then the transforms. */
const v1P: PayloadPrinter = (m, _np, ext, _itemLen, phase, _proto, depth) => {
  const { r } = m;
  const out = m.ctx.out;
  out.put(`${npstr(NP_P)}:`);
  if (!r.has(ext, 8)) return trunc(m, NP_P);
  const protoId = r.u8(ext + 5);
  out.put(` #${r.u8(ext + 4)} protoid=${strOrId(protoId, PROTO_IDS)} transform=${r.u8(ext + 7)}`);
  const spiSize = r.u8(ext + 6);
  if (spiSize) {
    out.put(' spi=');
    if (!raw(m, ext + 8, spiSize)) return trunc(m, NP_P);
  }
  const next = ext + 8 + spiSize;
  if (!r.has(next, GEN_LEN)) return trunc(m, NP_P);
  return v1Sub(m, NP_T, next, phase, protoId, depth);
};

/** ikev1_attrmap_print / ikev1_attr_print: one attribute `(type=… value=…)`; null when cut short. */
function attr(m: Msg, p: number, ep2: number, map?: AttrMap[]): number | null {
  const { r } = m;
  const out = m.ctx.out;
  const tv = r.u8(p) & 0x80;
  const totlen = tv ? 4 : 4 + r.be16(p + 2);
  if (ep2 < p + totlen) {
    out.put('[|attr]');
    return ep2 + 1;
  }
  out.put('(');
  const t = r.be16(p) & 0x7fff;
  const entry = map?.[t];
  out.put(entry?.type !== undefined ? `type=${entry.type} ` : `type=#${t} `);
  if (tv) {
    out.put('value=');
    const v = r.be16(p + 2);
    const name = entry && v < entry.nvalue ? entry.value[v] : undefined;
    if (name !== undefined) out.put(name);
    else if (!raw(m, p + 2, 2)) {
      out.put(')');
      return null;
    }
  } else {
    out.put(`len=${totlen - 4} value=`);
    if (!raw(m, p + 4, totlen - 4)) {
      out.put(')');
      return null;
    }
  }
  out.put(')');
  return p + totlen;
}

/** The attributes of a transform, from `cp` to `ep2` or the captured end. */
function attrs(m: Msg, cp: number, ep2: number, np: number, map?: AttrMap[]): number | null {
  while (cp < m.ep && cp < ep2) {
    const next = attr(m, cp, ep2, map);
    if (next === null) return trunc(m, np);
    cp = next;
  }
  if (m.ep < ep2) m.ctx.out.put('...');
  return cp;
}

/** ikev1_t_print: transform number and id, then its attributes by the proposal's protocol. */
const v1T: PayloadPrinter = (m, _np, ext, itemLen, _phase, proto) => {
  const { r } = m;
  const out = m.ctx.out;
  out.put(`${npstr(NP_T)}:`);
  if (!r.has(ext, 8)) return trunc(m, NP_T);
  const tid = r.u8(ext + 5);
  const tables: Record<number, [ReadonlyArray<string | undefined>, AttrMap[]]> = {
    1: [IKEV1_P_MAP, OAKLEY_T_MAP],
    2: [AH_P_MAP, IPSEC_T_MAP],
    3: [ESP_P_MAP, IPSEC_T_MAP],
    4: [IPCOMP_P_MAP, IPSEC_T_MAP],
  };
  const table = tables[proto];
  out.put(table ? ` #${r.u8(ext + 4)} id=${strOrId(tid, table[0])} ` : ` #${r.u8(ext + 4)} id=${tid} `);
  return attrs(m, ext + 8, ext + itemLen, NP_T, table?.[1]);
};

/** ikev1_ke_print. */
const v1Ke: PayloadPrinter = (m, _np, ext, itemLen) => {
  const out = m.ctx.out;
  out.put(`${npstr(NP_KE)}:`);
  if (!m.r.has(ext, GEN_LEN)) return trunc(m, NP_KE);
  out.put(` key len=${itemLen - 4}`);
  if (m.ctx.opts.verbose > 2 && itemLen > 4) {
    out.put(' ');
    if (!raw(m, ext + 4, itemLen - 4)) return trunc(m, NP_KE);
  }
  return ext + itemLen;
};

/** ikev1_id_print (the IPsec DOI form, used in both phases). */
const v1Id: PayloadPrinter = (m, _np, ext, itemLen) => {
  const { r } = m;
  const out = m.ctx.out;
  out.put(`${npstr(NP_ID)}:`);
  if (!r.has(ext, 8)) return trunc(m, NP_ID);
  const data: number | undefined = itemLen > 8 ? ext + 8 : undefined;
  let len = itemLen > 8 ? itemLen - 8 : 0;
  const type = r.u8(ext + 4);
  out.put(` idtype=${strOrId(type, ID_TYPES)}`);
  out.put(` protoid=${r.u8(ext + 5)}`);
  out.put(` port=${r.be16(ext + 6)}`);
  if (len && data !== undefined) {
    if (!r.has(data, len)) return trunc(m, NP_ID);
    const d = data;
    const sized = (min: number, text: () => string): void => {
      out.put(len < min ? ` len=${len} [bad: < ${min}]` : ` len=${len} ${text()}`);
      len = 0;
    };
    switch (type) {
      case 1:
        sized(4, () => r.ipv4(d));
        break;
      case 2:
      case 3: {
        let s = '';
        for (let i = 0; i < len; i++) s += fnChar(r.u8(d + i));
        out.put(` len=${len} ${s}`);
        len = 0;
        break;
      }
      case 4:
        sized(8, () => `${r.ipv4(d)}/${r.u8(d + 4)}.${r.u8(d + 5)}.${r.u8(d + 6)}.${r.u8(d + 7)}`);
        break;
      case 5:
        sized(16, () => r.ipv6(d));
        break;
      case 6:
        sized(32, () => `${r.ipv6(d)}/0x${r.hex(d + 16, 16, '')}`);
        break;
      case 7:
        sized(8, () => `${r.ipv4(d)}-${r.ipv4(d + 4)}`);
        break;
      case 8:
        sized(32, () => `${r.ipv6(d)}-${r.ipv6(d + 16)}`);
        break;
    }
  }
  if (data !== undefined && len) {
    out.put(` len=${len}`);
    if (m.ctx.opts.verbose > 2) {
      out.put(' ');
      if (!raw(m, data, len)) return trunc(m, NP_ID);
    }
  }
  return ext + itemLen;
};

/** ikev1_nonce_print. */
const v1Nonce: PayloadPrinter = (m, _np, ext, itemLen) => {
  const out = m.ctx.out;
  out.put(`${npstr(NP_NONCE)}:`);
  if (!m.r.has(ext, GEN_LEN)) return trunc(m, NP_NONCE);
  out.put(` n len=${itemLen - 4}`);
  if (itemLen > 4) {
    if (m.ctx.opts.verbose > 2) {
      out.put(' ');
      if (!raw(m, ext + 4, itemLen - 4)) return trunc(m, NP_NONCE);
    } else if (m.ctx.opts.verbose > 1) {
      out.put(' ');
      if (!someData(m, ext + 4, m.ep)) return trunc(m, NP_NONCE);
    }
  }
  return ext + itemLen;
};

/** ikev1_n_print: DOI, protocol, notify type, SPI and, for some types, their data. */
const v1N: PayloadPrinter = (m, _np, ext, itemLen) => {
  const { r } = m;
  const out = m.ctx.out;
  out.put(`${npstr(NP_N)}:`);
  if (!r.has(ext, 12)) return trunc(m, NP_N);
  const doi = r.be32(ext + 4);
  const proto = r.u8(ext + 8);
  const spiSize = r.u8(ext + 9);
  const type = r.be16(ext + 10);
  const spi = (): boolean => {
    if (!spiSize) return true;
    out.put(' spi=');
    return raw(m, ext + 12, spiSize);
  };
  if (doi !== 1) {
    out.put(` doi=${doi} proto=${proto}`);
    const name =
      type < 8192
        ? strOrId(type, NOTIFY_ERRORS)
        : type >= 16384 && type < 24576
          ? strOrId(type - 16384, NOTIFY_STATUS)
          : `#${type}`;
    out.put(` type=${name}`);
    if (!spi()) return trunc(m, NP_N);
    return ext + 12 + spiSize;
  }
  out.put(` doi=ipsec proto=${strOrId(proto, PROTO_IDS)}`);
  let name: string;
  if (type < 8192) name = strOrId(type, NOTIFY_ERRORS);
  else if (type < 16384) name = strOrId(type - 8192, IPSEC_NOTIFY_ERRORS);
  else if (type < 24576) name = strOrId(type - 16384, NOTIFY_STATUS);
  else if (type < 32768) name = strOrId(type - 24576, IPSEC_NOTIFY_STATUS);
  else name = `#${type}`;
  out.put(` type=${name}`);
  if (!spi()) return trunc(m, NP_N);
  const cp = ext + 12 + spiSize;
  const ep2 = ext + itemLen;
  if (cp < m.ep) {
    if (type === IPSECDOI_NTYPE_RESPONDER_LIFETIME) {
      out.put(' attrs=(');
      let c = cp;
      while (c < m.ep && c < ep2) {
        const next = attr(m, c, ep2, OAKLEY_T_MAP);
        if (next === null) {
          out.put(')');
          return trunc(m, NP_N);
        }
        c = next;
      }
      out.put(')');
    } else if (type === IPSECDOI_NTYPE_REPLAY_STATUS) {
      out.put(' status=(');
      out.put(`replay detection ${r.be32(cp) ? 'en' : 'dis'}abled)`);
    } else if (m.ctx.opts.verbose > 3) {
      out.put(' data=(');
      if (!raw(m, cp, m.ep - cp)) return trunc(m, NP_N);
      out.put(')');
    } else if (!someData(m, cp, m.ep)) return trunc(m, NP_N);
  }
  return ext + itemLen;
};

/** ikev1_d_print: the SPIs an SA delete names. */
const v1D: PayloadPrinter = (m, _np, ext) => {
  const { r } = m;
  const out = m.ctx.out;
  out.put(`${npstr(NP_D)}:`);
  if (!r.has(ext, 12)) return trunc(m, NP_D);
  const doi = r.be32(ext + 4);
  const proto = r.u8(ext + 8);
  out.put(doi !== 1 ? ` doi=${doi} proto=${proto}` : ` doi=ipsec proto=${strOrId(proto, PROTO_IDS)}`);
  const spiSize = r.u8(ext + 9);
  const num = r.be16(ext + 10);
  out.put(` spilen=${spiSize} nspi=${num} spi=`);
  let q = ext + 12;
  for (let i = 0; i < num; i++) {
    if (i !== 0) out.put(',');
    if (!raw(m, q, spiSize)) return trunc(m, NP_D);
    q += spiSize;
  }
  return q;
};

/** ikev2_pay_print: the payload's name, `[C]` when critical. */
function v2Name(m: Msg, name: string, critical: number): void {
  m.ctx.out.put(`${name}${critical & 0x80 ? '[C]' : ''}:`);
}

/** ikev2_gen_print: name, length and, with -vvv, the bytes. */
const v2Gen: PayloadPrinter = (m, np, ext, itemLen) => {
  if (!m.r.has(ext, GEN_LEN)) return trunc(m, np);
  v2Name(m, npstr(np), m.r.u8(ext + 1));
  m.ctx.out.put(` len=${itemLen - 4}`);
  if (m.ctx.opts.verbose > 2 && itemLen > 4) {
    m.ctx.out.put(' ');
    if (!raw(m, ext + 4, itemLen - 4)) return trunc(m, np);
  }
  return ext + itemLen;
};

/** ikev2_sub_print: the IKEv2 payload chain. */
function v2Sub(m: Msg, np: number, ext: number, depth: number): number | null {
  const { r } = m;
  let cp: number | null = ext;
  while (np) {
    if (!r.has(ext, GEN_LEN) || !r.has(ext, r.be16(ext + 2))) return v1Trunc(m, np);
    open(m, depth + 1);
    cp = sub0(m, np, ext, 0, 0, depth + 1, 2);
    m.ctx.out.put(')');
    if (cp === null) return null;
    np = r.u8(ext);
    ext = cp;
  }
  return cp;
}

/**
 * Walks the sub-items (proposals of an SA, transforms of a proposal) of `length` bytes at `cp`, printing each
 * with `item`; the end, or null. A sub-item past the parent ends it with ` [|name]` (tcpdump's `toolong`).
 */
function v2Items(
  m: Msg,
  first: number,
  cp: number,
  length: number,
  depth: number,
  tooLongName: string,
  item: (count: number, ext: number, itemLen: number, depth: number) => number | null,
): number | null {
  const { r } = m;
  let count = 0;
  for (let np = first, ext = cp; np !== 0; np = r.u8(ext)) {
    count++;
    ext = cp;
    if (length < GEN_LEN) return tooLong(m, cp + length, tooLongName);
    if (!r.has(ext, GEN_LEN)) return trunc2(m, tooLongName);
    const itemLen = r.be16(ext + 2);
    if (itemLen <= 4) return trunc2(m, tooLongName);
    if (length < itemLen) return tooLong(m, cp + length, tooLongName);
    if (!r.has(cp, itemLen)) return trunc2(m, tooLongName);
    open(m, depth + 1);
    if (np === first) {
      const next = item(count, ext, itemLen, depth + 1);
      if (next === null) return null;
      cp = next;
    } else {
      m.ctx.out.put(npstr(np));
      cp += itemLen;
    }
    m.ctx.out.put(')');
    length -= itemLen;
  }
  return cp;
}

function tooLong(m: Msg, end: number, name: string): number {
  m.ctx.out.put(truncMark(name));
  return end;
}

function trunc2(m: Msg, name: string): null {
  m.ctx.out.put(truncMark(name));
  return null;
}

/** ikev2_sa_print: the SA's proposals. */
const v2Sa: PayloadPrinter = (m, np, ext, _itemLen, _phase, _proto, depth) => {
  const { r } = m;
  if (!r.has(ext, GEN_LEN)) return trunc(m, np);
  v2Name(m, 'sa', r.u8(ext + 1));
  const saLength = r.be16(ext + 2) - 4;
  m.ctx.out.put(` len=${saLength}`);
  return v2Items(m, NP_P, ext + 4, saLength, depth, npstr(np), (_count, e, len, d) => v2Proposal(m, e, len, d));
};

/** ikev2_p_print: a proposal and its transforms. */
function v2Proposal(m: Msg, ext: number, oLength: number, depth: number): number | null {
  const { r } = m;
  const out = m.ctx.out;
  if (!r.has(ext, 8)) return trunc(m, NP_P);
  v2Name(m, npstr(NP_P), r.u8(ext + 1));
  let propLength = oLength - 4;
  out.put(` #${r.u8(ext + 4)} protoid=${strOrId(r.u8(ext + 5), PROTO_IDS)} transform=${r.u8(ext + 7)} len=${oLength}`);
  let cp = ext + 8;
  const spiSize = r.u8(ext + 6);
  if (spiSize) {
    if (propLength < spiSize) return tooLong(m, cp + propLength, npstr(NP_P));
    out.put(' spi=');
    if (!raw(m, cp, spiSize)) return trunc(m, NP_P);
    cp += spiSize;
    propLength -= spiSize;
  }
  return v2Items(m, NP_T, cp, propLength, depth, npstr(NP_P), (count, e, len) => v2Transform(m, count, e, len));
}

/** ikev2_t_print: a transform's type, id and attributes. */
function v2Transform(m: Msg, count: number, ext: number, itemLen: number): number | null {
  const { r } = m;
  if (!r.has(ext, 8)) return trunc(m, NP_T);
  v2Name(m, npstr(NP_T), r.u8(ext + 1));
  const tid = r.be16(ext + 6);
  const type = r.u8(ext + 4);
  const maps: Record<number, ReadonlyArray<string | undefined>> = {
    1: ESP_P_MAP,
    2: PRF_P_MAP,
    3: INTEG_P_MAP,
    4: DH_GROUPS,
    5: ESN_P_MAP,
  };
  const ids = maps[type];
  const typeName = strOrId(type, IKEV2_T_TYPES);
  m.ctx.out.put(
    ids ? ` #${count} type=${typeName} id=${strOrId(tid, ids)} ` : ` #${count} type=${typeName} id=${tid} `,
  );
  return attrs(m, ext + 8, ext + itemLen, NP_T, type === 1 ? ENCR_T_MAP : undefined);
}

/** ikev2_ke_print: the Diffie-Hellman group and the key's length. */
const v2Ke: PayloadPrinter = (m, np, ext, itemLen) => {
  const { r } = m;
  if (!r.has(ext, 8)) return trunc(m, np);
  v2Name(m, npstr(np), r.u8(ext + 1));
  if (itemLen < 8) {
    m.ctx.out.put(` len=${itemLen} < 8`);
    return ext + itemLen;
  }
  m.ctx.out.put(` len=${itemLen - 8} group=${strOrId(r.be16(ext + 4), DH_GROUPS)}`);
  if (m.ctx.opts.verbose > 2 && itemLen > 8) {
    m.ctx.out.put(' ');
    if (!raw(m, ext + 8, itemLen - 8)) return trunc(m, np);
  }
  return ext + itemLen;
};

/** ikev2_ID_print: the identity by type, as text or hex. */
const v2Id: PayloadPrinter = (m, np, ext, itemLen) => {
  const { r } = m;
  const out = m.ctx.out;
  if (!r.has(ext, 8)) return trunc(m, np);
  v2Name(m, npstr(np), r.u8(ext + 1));
  out.put(` len=${itemLen - 4}`);
  if (m.ctx.opts.verbose > 2 && itemLen > 4) {
    out.put(' ');
    if (!raw(m, ext + 4, itemLen - 4)) return trunc(m, np);
  }
  const len = itemLen - 8;
  const data = ext + 8;
  const kinds: Record<number, [string, boolean]> = {
    1: ['ipv4', false],
    2: ['fqdn', true],
    3: ['rfc822', true],
    5: ['ipv6', false],
    9: ['dn', false],
    10: ['gn', false],
    11: ['keyid', false],
  };
  const kind = kinds[r.u8(ext + 4)];
  if (kind) {
    out.put(` ${kind[0]}:`);
    if (kind[1]) {
      if (!r.has(data, len)) return trunc(m, np);
      let s = '';
      for (let i = 0; i < len; i++) s += isPrint(r.u8(data + i)) ? String.fromCharCode(r.u8(data + i)) : '.';
      out.put(s);
    } else if (!raw(m, data, len)) return trunc(m, np);
  }
  return ext + itemLen;
};

/** ikev2_auth_print: the method and some of the data. */
const v2Auth: PayloadPrinter = (m, np, ext, itemLen) => {
  const { r } = m;
  const out = m.ctx.out;
  if (!r.has(ext, 8)) return trunc(m, np);
  v2Name(m, npstr(np), r.u8(ext + 1));
  out.put(` len=${itemLen - 4} method=${strOrId(r.u8(ext + 4), V2_AUTH)}`);
  if (itemLen > 4) {
    if (m.ctx.opts.verbose > 1) {
      out.put(' authdata=(');
      if (!raw(m, ext + 8, itemLen - 8)) return trunc(m, np);
      out.put(') ');
    } else if (m.ctx.opts.verbose && !someData(m, ext + 8, m.ep)) return trunc(m, np);
  }
  return ext + itemLen;
};

/** ikev2_nonce_print. */
const v2Nonce: PayloadPrinter = (m, np, ext, itemLen) => {
  const out = m.ctx.out;
  if (!m.r.has(ext, GEN_LEN)) return trunc(m, np);
  v2Name(m, 'nonce', m.r.u8(ext + 1));
  out.put(` len=${itemLen - 4}`);
  if (m.ctx.opts.verbose > 1 && itemLen > 4) {
    out.put(' nonce=(');
    if (!raw(m, ext + 4, itemLen - 4)) return trunc(m, np);
    out.put(') ');
  } else if (m.ctx.opts.verbose && itemLen > 4 && !someData(m, ext + 4, m.ep)) return trunc(m, np);
  return ext + itemLen;
};

/** ikev2_n_print: protocol, notify type by name, SPI and, for a cookie, some data. */
const v2N: PayloadPrinter = (m, _np, ext, itemLen) => {
  const { r } = m;
  const out = m.ctx.out;
  if (!r.has(ext, 8)) return trunc(m, NP_N);
  v2Name(m, npstr(NP_N), r.u8(ext + 1));
  out.put(` prot_id=${strOrId(r.u8(ext + 4), PROTO_IDS)}`);
  const type = r.be16(ext + 6);
  const known = V2_NOTIFIES.get(type);
  const name =
    known?.[0] ?? (type < 8192 ? 'error' : type < 16384 ? 'private-error' : type < 40960 ? 'status' : 'private-status');
  const showSpi = known ? known[1] : true;
  const showSome = known ? known[2] : false;
  out.put(` type=${type}(${name})`);
  const spiSize = r.u8(ext + 5);
  if (showSpi && spiSize) {
    out.put(' spi=');
    if (!raw(m, ext + 8, spiSize)) return trunc(m, NP_N);
  }
  const cp = ext + 8 + spiSize;
  if (cp < m.ep) {
    if (m.ctx.opts.verbose > 3 || (showSome && m.ep - cp < 30)) {
      out.put(' data=(');
      if (!raw(m, cp, m.ep - cp)) return trunc(m, NP_N);
      out.put(')');
    } else if (showSome && !someData(m, cp, m.ep)) return trunc(m, NP_N);
  }
  return ext + itemLen;
};

/** ikev2_vid_print: the vendor ID as text (dots for the rest), with -vvv in hex too. */
const v2Vid: PayloadPrinter = (m, np, ext, itemLen) => {
  const { r } = m;
  const out = m.ctx.out;
  if (!r.has(ext, GEN_LEN)) return trunc(m, np);
  v2Name(m, npstr(np), r.u8(ext + 1));
  out.put(` len=${itemLen - 4} vid=`);
  const len = itemLen - 4;
  if (!r.has(ext + 4, len)) return trunc(m, np);
  let s = '';
  for (let i = 0; i < len; i++) s += isPrint(r.u8(ext + 4 + i)) ? String.fromCharCode(r.u8(ext + 4 + i)) : '.';
  out.put(s);
  if (m.ctx.opts.verbose > 2 && len > 4) {
    out.put(' ');
    if (!raw(m, ext + 4, itemLen - 4)) return trunc(m, np);
  }
  return ext + itemLen;
};

/** ikev2_e_print without keys: the encrypted payload's length (and bytes with -vvv); always ends the chain. */
const v2Encrypted: PayloadPrinter = (m, np, ext, itemLen) => {
  const { r } = m;
  if (!r.has(ext, GEN_LEN)) return trunc(m, np);
  v2Name(m, npstr(np), r.u8(ext + 1));
  const dlen = itemLen - 4;
  m.ctx.out.put(` len=${dlen}`);
  if (m.ctx.opts.verbose > 2 && dlen > 4) {
    m.ctx.out.put(' ');
    if (!raw(m, ext + 4, dlen)) return trunc(m, np);
  }
  if (!r.has(ext + 4, dlen)) return trunc(m, np);
  return null;
};

/** The payload printers by type (tcpdump's npfunc). */
const PAYLOADS: Record<number, PayloadPrinter> = {
  [NP_SA]: v1Sa,
  [NP_P]: v1P,
  [NP_T]: v1T,
  [NP_KE]: v1Ke,
  [NP_ID]: v1Id,
  [NP_CERT]: v1Generic('len'),
  [NP_CR]: v1Generic('len'),
  [NP_HASH]: v1Generic('len'),
  [NP_SIG]: v1Generic('len'),
  [NP_NONCE]: v1Nonce,
  [NP_N]: v1N,
  [NP_D]: v1D,
  [NP_VID]: v1Generic('len'),
  33: v2Sa,
  34: v2Ke,
  35: v2Id,
  36: v2Id,
  37: v2Gen,
  38: v2Gen,
  39: v2Auth,
  40: v2Nonce,
  41: v2N,
  42: v2Gen,
  43: v2Vid,
  44: v2Gen,
  45: v2Gen,
  47: v2Gen,
  48: v2Gen,
};
