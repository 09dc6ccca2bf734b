/**
 * Capture-filter expressions for files (`ntk watch -r FILE EXPR`): the common part of pcap-filter(7), evaluated
 * on the packet bytes through the Reader. Live capture hands its filter to libpcap instead; this exists because
 * the capture layer cannot compile a filter without an open interface.
 *
 * Supported: `ip`, `ip6`, `arp`, `rarp`, `tcp`, `udp`, `icmp`, `icmp6`, `[ip|ip6] proto N`,
 * `[DIR] host ADDR`, `[DIR] net ADDR/LEN`, `[tcp|udp] [DIR] port N|NAME`, `portrange A-B`, where DIR is `src`,
 * `dst`, `src or dst` or `src and dst`,
 * combined with `and`/`&&`, `or`/`||`, `not`/`!` and parentheses, with pcap-filter's precedence.
 */
import { isIP } from 'node:net';
import { addressBytes } from '../lib/addresses.js';
import { servicePort } from '../lib/services.js';
import { Reader } from '../print/reader.js';
import { networkLayer } from '../print/link.js';

/** A compiled filter: true when the packet matches. */
export type PacketFilter = (linktype: number, data: Uint8Array, caplen: number) => boolean;

/** Thrown for an expression outside the supported part of pcap-filter(7); `message` says what and where. */
export class FilterSyntaxError extends Error {}

/** A view of one packet that primitives test. */
interface View {
  r: Reader;
  off: number;
  type: number;
}

/**
 * The transport protocol and its header offset (-1 for IPv4 fragments after the first; IPv6 through one
 * fragment header). Reads throw Truncated past the captured bytes, which rejects the packet whatever the rest of
 * the expression says: that is what a BPF program does on an out-of-range load.
 */
function transport(v: View): { proto: number; off: number } | undefined {
  const { r, off } = v;
  if (v.type === 0x0800) {
    const proto = r.u8(off + 9);
    if ((r.be16(off + 6) & 0x1fff) !== 0) return { proto, off: -1 };
    return { proto, off: off + (r.u8(off) & 0x0f) * 4 };
  }
  if (v.type === 0x86dd) {
    const nh = r.u8(off + 6);
    if (nh === 44 && r.has(off + 40, 8)) return { proto: r.u8(off + 40), off: (r.be16(off + 42) & 0xfff8) === 0 ? off + 48 : -1 };
    return { proto: nh, off: off + 40 };
  }
  return undefined;
}

/** Which address or port a primitive tests: `any` is `src or dst` (the default), `both` is `src and dst`. */
type Dir = 'src' | 'dst' | 'any' | 'both';

/** Combines the source and destination tests as `dir` asks. */
function byDir(dir: Dir, src: () => boolean, dst: () => boolean): boolean {
  switch (dir) {
    case 'src':
      return src();
    case 'dst':
      return dst();
    case 'any':
      return src() || dst();
    case 'both':
      return src() && dst();
  }
}

/** Address bytes to compare: [offset of source, offset of destination, length] for the packet's family. */
function addrFields(v: View, family: 4 | 6): [number, number, number] | undefined {
  if (family === 4 && v.type === 0x0800) return [v.off + 12, v.off + 16, 4];
  if (family === 6 && v.type === 0x86dd) return [v.off + 8, v.off + 24, 16];
  // ARP and RARP at libpcap's fixed offsets (Ethernet and IPv4 address sizes).
  if (family === 4 && (v.type === 0x0806 || v.type === 0x8035)) return [v.off + 14, v.off + 24, 4];
  return undefined;
}

function matchAddr(v: View, dir: Dir, family: 4 | 6, addr: Uint8Array, prefix: number): boolean {
  const f = addrFields(v, family);
  if (f === undefined) return false;
  const test = (at: number): boolean => {
    v.r.check(at, f[2]);
    for (let bit = 0; bit < prefix; bit += 8) {
      const i = bit >> 3;
      const mask = prefix - bit >= 8 ? 0xff : (0xff << (8 - (prefix - bit))) & 0xff;
      if ((v.r.u8(at + i) & mask) !== ((addr[i] as number) & mask)) return false;
    }
    return true;
  };
  return byDir(dir, () => test(f[0]), () => test(f[1]));
}

function matchPort(v: View, dir: Dir, protos: number[], lo: number, hi: number): boolean {
  const t = transport(v);
  if (t === undefined || t.off < 0 || !protos.includes(t.proto)) return false;
  const sp = v.r.be16(t.off);
  const dp = v.r.be16(t.off + 2);
  return byDir(dir, () => sp >= lo && sp <= hi, () => dp >= lo && dp <= hi);
}

/** The 16 bytes of an IPv6 literal (embedded IPv4 too: `::ffff:10.0.0.1`), else undefined. */
function addressBytes6(text: string): Uint8Array | undefined {
  return isIP(text) === 6 ? addressBytes(text) : undefined;
}

/** A port number or a service name (tcp, else udp, as getservbyname finds it), else NaN. */
function portNumber(t: string): number {
  return /^\d+$/.test(t) ? Number(t) : (servicePort(t, 'tcp') ?? servicePort(t, 'udp') ?? NaN);
}

function parseIpv4(text: string): Uint8Array | undefined {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).filter((x) => x !== undefined).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  const b = new Uint8Array(4);
  parts.forEach((p, i) => (b[i] = p));
  return b;
}

type Node = (v: View) => boolean;

/** Compiles `expr`; throws FilterSyntaxError naming the unsupported word. */
export function compileFilter(expr: string): PacketFilter {
  const tokens = expr.match(/\(|\)|&&|\|\||!|[^\s()!]+/g) ?? [];
  let pos = 0;
  const peek = (): string | undefined => tokens[pos];
  const next = (): string => {
    const t = tokens[pos++];
    if (t === undefined) throw new FilterSyntaxError('unexpected end of expression');
    return t;
  };
  const fail = (t: string): never => {
    throw new FilterSyntaxError(`"${t}" is not supported in filters on files`);
  };

  const number = (t: string, max: number, what: string): number => {
    const n = what === 'port' ? portNumber(t) : /^\d+$/.test(t) ? Number(t) : NaN;
    if (!(n >= 0 && n <= max)) throw new FilterSyntaxError(`invalid ${what} "${t}"`);
    return n;
  };

  const primitive = (): Node => {
    let t = next();
    const proto = t === 'tcp' || t === 'udp' ? t : undefined;
    if (['ip', 'ip6', 'arp', 'rarp', 'tcp', 'udp', 'icmp', 'icmp6'].includes(t)) {
      const after = peek();
      if (proto !== undefined && (after === 'port' || after === 'portrange' || after === 'src' || after === 'dst')) {
        t = next();
      } else if ((t === 'ip' || t === 'ip6') && after === 'proto') {
        next();
        const n = number(next(), 255, 'protocol');
        const type = t === 'ip' ? 0x0800 : 0x86dd;
        return (v) => v.type === type && transport(v)?.proto === n;
      } else {
        switch (t) {
          case 'ip':
            return (v) => v.type === 0x0800;
          case 'ip6':
            return (v) => v.type === 0x86dd;
          case 'arp':
            return (v) => v.type === 0x0806;
          case 'rarp':
            return (v) => v.type === 0x8035;
          case 'icmp':
            return (v) => v.type === 0x0800 && transport(v)?.proto === 1;
          case 'icmp6':
            return (v) => v.type === 0x86dd && transport(v)?.proto === 58;
          default: {
            const n = t === 'tcp' ? 6 : 17;
            return (v) => transport(v)?.proto === n;
          }
        }
      }
    }
    let dir: Dir = 'any';
    const qualified = t === 'src' || t === 'dst';
    if (t === 'src' || t === 'dst') {
      dir = t;
      t = next();
      // pcap-filter's "src or dst" and "src and dst" (either order).
      if (t === 'or' || t === 'and') {
        const other = next();
        if (other !== (dir === 'src' ? 'dst' : 'src')) fail(`${dir} ${t} ${other}`);
        dir = t === 'or' ? 'any' : 'both';
        t = next();
      }
    }
    const protos = proto === 'tcp' ? [6] : proto === 'udp' ? [17] : [6, 17, 132];
    switch (t) {
      case 'host':
      case 'net': {
        const text = next();
        const [a, len] = text.split('/');
        const v4 = parseIpv4(a ?? '');
        const v6 = v4 === undefined ? addressBytes6(a ?? '') : undefined;
        if (v4 === undefined && v6 === undefined) throw new FilterSyntaxError(`invalid address "${text}" (names are not looked up)`);
        const bits = v4 ? 32 : 128;
        const prefix = len === undefined ? (t === 'host' ? bits : v4 ? text.split('.').length * 8 : bits) : number(len, bits, 'prefix length');
        return v4 ? (v) => matchAddr(v, dir, 4, v4, prefix) : (v) => matchAddr(v, dir, 6, v6 as Uint8Array, prefix);
      }
      case 'port': {
        const p = number(next(), 65535, 'port');
        return (v) => matchPort(v, dir, protos, p, p);
      }
      case 'portrange': {
        const text = next();
        const m = /^(\w+)-(\w+)$/.exec(text);
        if (!m) throw new FilterSyntaxError(`invalid port range "${text}"`);
        const lo = number(m[1] as string, 65535, 'port');
        const hi = number(m[2] as string, 65535, 'port');
        return (v) => matchPort(v, dir, protos, Math.min(lo, hi), Math.max(lo, hi));
      }
      default:
        if (qualified && (parseIpv4(t) || addressBytes6(t))) {
          pos--;
          return primitive2(dir);
        }
        return fail(t);
    }
  };
  // "src 10.0.0.1" is "src host 10.0.0.1".
  const primitive2 = (dir: Dir): Node => {
    const text = next();
    const v4 = parseIpv4(text);
    const v6 = v4 === undefined ? addressBytes6(text) : undefined;
    return v4 ? (v) => matchAddr(v, dir, 4, v4, 32) : (v) => matchAddr(v, dir, 6, v6 as Uint8Array, 128);
  };

  const unary = (): Node => {
    const t = peek();
    if (t === 'not' || t === '!') {
      next();
      const inner = unary();
      return (v) => !inner(v);
    }
    if (t === '(') {
      next();
      const inner = orExpr();
      if (next() !== ')') throw new FilterSyntaxError('missing ")"');
      return inner;
    }
    return primitive();
  };
  // pcap-filter: "and" and "or" have the same precedence, grouped left to right.
  const orExpr = (): Node => {
    let left = unary();
    for (;;) {
      const t = peek();
      if (t === 'and' || t === '&&' || t === 'or' || t === '||') {
        next();
        const right = unary();
        const l = left;
        left = t === 'and' || t === '&&' ? (v) => l(v) && right(v) : (v) => l(v) || right(v);
      } else return left;
    }
  };

  if (tokens.length === 0) return () => true;
  const root = orExpr();
  if (pos < tokens.length) fail(tokens[pos] as string);
  return (linktype, data, caplen) => {
    const r = new Reader(data, caplen);
    try {
      const net = networkLayer(linktype, r);
      return net !== undefined && root({ r, off: net.off, type: net.type });
    } catch {
      return false;
    }
  };
}
