/**
 * Unit tests of the DNS printer: hex DNS messages (the UDP or TCP payload only) and the text tcpdump 4.99.3
 * prints for them. Each expected string was produced by tcpdump 4.99.3 itself (`tcpdump -t -n [-v…]` on the same
 * bytes wrapped in Ethernet/IPv4/UDP or TCP), cut after the transport part.
 */
import { describe, expect, it } from 'vitest';
import { PrintContext } from '../../src/print/context.js';
import { printDns, relts } from '../../src/print/dns.js';
import { rcodeName, DNS_TYPES } from '../../src/print/dns-tables.js';
import { tok2str } from '../../src/print/tables.js';
import { Reader, Truncated } from '../../src/print/reader.js';

/** A response to `A? www.tcpdump.org.`: 2 answers, 1 authority and 2 additional records (one OPT). */
const WWW_RESPONSE =
  '593485000001000200010002037777770774637064756d70036f72670000010001c00c000100010000003c0004c08b2e' +
  '42c00c001c000100000e4d00102607f0b0000f000000000000babef00dc01000020001000151800011036e7331076578' +
  '616d706c65036e657400036e7331076578616d706c65036e65740000010001000a9a4d0004d157f91200002910000000' +
  '00000000';

interface Case {
  title: string;
  verbose: number;
  /** udp: port 53; tcp: port 53 with the 2-byte length prefix; mdns: UDP port 5353. */
  via: 'udp' | 'tcp' | 'mdns';
  hex: string;
  /** Bytes missing from the capture at the end (caplen = length - cut). */
  cut?: number;
  want: string;
}

/** Prints `bytes` as the dispatcher would: the DNS text, then ` [|domain]` if the printer ran out of bytes. */
function print(
  bytes: Uint8Array,
  opts: { verbose?: number; via?: Case['via']; cut?: number; at?: number } = {},
): string {
  const at = opts.at ?? 0;
  const ctx = new PrintContext({ verbose: opts.verbose ?? 0 });
  const r = new Reader(bytes, bytes.length - (opts.cut ?? 0));
  try {
    printDns(ctx, r, at, bytes.length - at, opts.via === 'tcp', opts.via === 'mdns');
  } catch (e) {
    if (!(e instanceof Truncated)) throw e;
    expect(ctx.proto).toBe('domain');
    ctx.out.put(` [|${ctx.proto}]`);
  }
  return ctx.out.text;
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

const CASES: Case[] = [
  {
    title: 'query with RD',
    verbose: 0,
    via: 'udp',
    hex: '123401000001000000000000076578616d706c6503636f6d0000010001',
    want: '4660+ A? example.com. (29)',
  },
  {
    title: 'query, no RD, CD set, class CHAOS',
    verbose: 0,
    via: 'udp',
    hex: '0007001000010000000000000776657273696f6e0462696e640000100003',
    want: '7% TXT CHAOS? version.bind. (30)',
  },
  {
    title: 'query with odd header bits and counts',
    verbose: 0,
    via: 'udp',
    hex: '0001054300020001000100000161076578616d706c6500001c00010162076578616d706c650000630001',
    want: '1+ [b2&3=0x543] [1a] [2q] [1n] AAAA? a.example. SPF? b.example. (42)',
  },
  {
    title: 'inverse query counts',
    verbose: 0,
    via: 'udp',
    hex: '000208000000000200000000',
    want: '2 inv_q [2a] (12)',
  },
  {
    title: 'notify query with unknown type and class',
    verbose: 0,
    via: 'udp',
    hex: '000320000001000000000000076578616d706c65036f72670004d2004d',
    want: '3 notify Type1234 (Class 77)? example.org. (29)',
  },
  {
    title: 'query -vv: OPT with DO and a client cookie',
    verbose: 2,
    via: 'udp',
    hex:
      '431901200001000000000001037777770774637064756d70036f72670000010001000029100000008000000c000a0008' +
      '8f06be7d691442f0',
    want: '17177+ [1au] A? www.tcpdump.org. ar: . OPT UDPsize=4096 DO [COOKIE 8f06be7d691442f0] (56)',
  },
  {
    title: 'query -vv: answer section of an update',
    verbose: 2,
    via: 'udp',
    hex: '000928000001000100000000076578616d706c6503636f6d0000060001c00c000100010000012c0004c0000201',
    want: '9 update [1a] SOA? example.com. example.com. A 192.0.2.1 (45)',
  },
  {
    title: 'response at -v level 0',
    verbose: 0,
    via: 'udp',
    hex: WWW_RESPONSE,
    want: '22836*- 2/1/2 A 192.139.46.66, AAAA 2607:f0b0:f::babe:f00d (148)',
  },
  {
    title: 'response at -v level 1',
    verbose: 1,
    via: 'udp',
    hex: WWW_RESPONSE,
    want: '22836*- 2/1/2 www.tcpdump.org. A 192.139.46.66, www.tcpdump.org. AAAA 2607:f0b0:f::babe:f00d (148)',
  },
  {
    title: 'response at -v level 2',
    verbose: 2,
    via: 'udp',
    hex: WWW_RESPONSE,
    want: '22836*- q: A? www.tcpdump.org. 2/1/2 www.tcpdump.org. A 192.139.46.66, www.tcpdump.org. AAAA 2607:f0b0:f::babe:f00d ns: tcpdump.org. NS ns1.example.net. ar: ns1.example.net. A 209.87.249.18, . OPT UDPsize=4096 (148)',
  },
  {
    title: 'response at -v level 3',
    verbose: 3,
    via: 'udp',
    hex: WWW_RESPONSE,
    want: '22836*- q: A? www.tcpdump.org. 2/1/2 www.tcpdump.org. [1m] A 192.139.46.66, www.tcpdump.org. [1h1m1s] AAAA 2607:f0b0:f::babe:f00d ns: tcpdump.org. [1d] NS ns1.example.net. ar: ns1.example.net. [1w1d1h1m1s] A 209.87.249.18, . OPT UDPsize=4096 (148)',
  },
  {
    title: 'response with TC, AD, no RA, NXDomain',
    verbose: 0,
    via: 'udp',
    hex: '000586230001000000000000026e78076578616d706c650000010001',
    want: '5 NXDomain*-|$ 0/0/0 (28)',
  },
  {
    title: 'BADVERS through the OPT extended rcode',
    verbose: 0,
    via: 'udp',
    hex: '8fb3800000000000000000010000291000010000000000',
    want: '36787 BadVers- [0q] 0/0/1 (23)',
  },
  {
    title: 'extended rcode 17 (tcpdump prints it without a space)',
    verbose: 0,
    via: 'udp',
    hex: '0006800100000000000000010000290200010000000000',
    want: '6Resp17- [0q] 0/0/1 (23)',
  },
  {
    title: 'extended rcode 300',
    verbose: 0,
    via: 'udp',
    hex: '0006800c00000000000000010000290200120000000000',
    want: '6 Resp300- [0q] 0/0/1 (23)',
  },
  {
    title: 'records: CNAME MX TXT SRV PTR DNAME',
    verbose: 1,
    via: 'udp',
    hex:
      '000881800001000600000000076578616d706c6503636f6d0000ff0001c00c0005000100000001001305616c69617307' +
      '6578616d706c6503636f6d00c00c000f0001000000010012000a026d78076578616d706c6503636f6d00c00c00100001' +
      '00000001000f0568656c6c6f000761202262222063c00c002100010000000100170001000213c403736970076578616d' +
      '706c6503636f6d00c00c000c0001000000010002c00cc00c0027000100000001000d076578616d706c65036e657400',
    want: '8 6/0/0 example.com. CNAME alias.example.com., example.com. MX mx.example.com. 10, example.com. TXT "hello" "" "a "b" c", example.com. SRV sip.example.com.:5060 1 2, example.com. PTR example.com., example.com. DNAME example.net. (191)',
  },
  {
    title: 'SOA at -v and without',
    verbose: 1,
    via: 'udp',
    hex:
      '000a84000001000100000000076578616d706c6503636f6d0000060001c00c0006000100000e100037026e7307657861' +
      '6d706c6503636f6d000561646d696e076578616d706c6503636f6d0078a3f17500001c2000000e10001275000000012c',
    want: '10*- 1/0/0 example.com. SOA ns.example.com. admin.example.com. 2024010101 7200 3600 1209600 300 (96)',
  },
  {
    title: 'SOA without -v',
    verbose: 0,
    via: 'udp',
    hex:
      '000a84000001000100000000076578616d706c6503636f6d0000060001c00c0006000100000e100037026e7307657861' +
      '6d706c6503636f6d000561646d696e076578616d706c6503636f6d0078a3f17500001c2000000e10001275000000012c',
    want: '10*- 1/0/0 SOA (96)',
  },
  {
    title: 'A6 records',
    verbose: 1,
    via: 'udp',
    hex:
      '000b84000001000300000000076578616d706c6503636f6d0000260001c00c0026000100000001001100000102030405' +
      '060708090a0b0c0d0e0fc00c0026000100000001001640010203040506070803706678076578616d706c6500c00c0026' +
      '0001000000010001c8',
    want: '11*- 3/0/0 example.com. A6 0 1:203:405:607:809:a0b:c0d:e0f, example.com. A6 64 ::102:304:506:708 pfx.example., example.com. A6 200(bad plen) (105)',
  },
  {
    title: 'URI record',
    verbose: 0,
    via: 'udp',
    hex:
      'af2d84000001000100000000055f6874747003646e7304746573740001000001c00c0100000100000001001c000a0005' +
      '687474703a2f2f7777772e646e732e746573743a38303030',
    want: '44845*- 1/0/0 URI 10 5 http://www.dns.test:8000 (72)',
  },
  {
    title: 'UNSPECA record and class HS',
    verbose: 0,
    via: 'udp',
    hex:
      '000c84000001000100000000076578616d706c6503636f6d0000680001c00c0068000400000001000b66726565097465' + '7874c280',
    want: '12*- 1/0/0 HS UNSPECAfree^ItextM-BM-^@ (52)',
  },
  {
    title: 'TSIG record at -vv',
    verbose: 2,
    via: 'udp',
    hex:
      '000d84000000000000000001036b6579076578616d706c650000fa00ff0000000000210b686d61632d73686132353600' +
      '00006553f100012c000401020304000d00000000',
    want: '13*- [0q] 0/0/1 ar: key.example. ANY TSIG hmac-sha256. fudge=300 maclen=4 origid=13 error=0 otherlen=0 (68)',
  },
  {
    title: 'TTL forms at -vvv',
    verbose: 3,
    via: 'udp',
    hex:
      '000e840000000004000000000161076578616d706c6500000100010000000000040a0000010161076578616d706c6500' +
      '0001000100015fcd00040a0000020161076578616d706c65000001000101ea6e0100040a0000030161076578616d706c' +
      '650000010001ffffffff00040a000004',
    want: '14*- [0q] 4/0/0 a.example. [0s] A 10.0.0.1, a.example. [1d1h1m1s] A 10.0.0.2, a.example. [1y1w1s] A 10.0.0.3, a.example. [136y10w6h28m15s] A 10.0.0.4 (112)',
  },
  {
    title: 'ECS IPv4',
    verbose: 2,
    via: 'udp',
    hex: 'a30b01000001000000000001076578616d706c6503636f6d0000010001000029100000000000000b0008000700011800' + 'c00002',
    want: '41739+ [1au] A? example.com. ar: . OPT UDPsize=4096 [ECS 192.0.2.0/24/0] (51)',
  },
  {
    title: 'ECS IPv6 with one byte too many',
    verbose: 2,
    via: 'udp',
    hex:
      'a30b01000001000000000001076578616d706c6503636f6d000001000100002910000000000000160008001200026400' +
      '20010db885a3000000008a2e0000',
    want: '41739+ [1au] A? example.com. ar: . OPT UDPsize=4096 [ECS  (invalid)] (62)',
  },
  {
    title: 'ECS IPv6 /100',
    verbose: 2,
    via: 'udp',
    hex:
      'a30b01000001000000000001076578616d706c6503636f6d000001000100002910000000000000150008001100026400' +
      '20010db885a3000000008a2e00',
    want: '41739+ [1au] A? example.com. ar: . OPT UDPsize=4096 [ECS 2001:db8:85a3::8a2e:0:0/100/0] (61)',
  },
  {
    title: 'ECS with inconsistent lengths',
    verbose: 2,
    via: 'udp',
    hex:
      'a30b01000001000000000001076578616d706c6503636f6d000001000100002910000000000000180008000600011800' +
      'c0000008000400030000000800020001',
    want: '41739+ [1au] A? example.com. ar: . OPT UDPsize=4096 [ECS  (invalid),ECS  (invalid),ECS  (invalid)] (64)',
  },
  {
    title: 'COOKIE client+server, and a bad size',
    verbose: 2,
    via: 'udp',
    hex:
      'a30b01000001000000000001076578616d706c6503636f6d00000100010000291000000000000023000a00188f06be7d' +
      '691442f08f06be7d691442f08f06be7d691442f0000a0003010203',
    want: '41739+ [1au] A? example.com. ar: . OPT UDPsize=4096 [COOKIE 8f06be7d691442f0 8f06be7d691442f08f06be7d691442f0,COOKIE  (invalid)] (75)',
  },
  {
    title: 'KEEPALIVE, EXPIRE, PADDING, NSID',
    verbose: 2,
    via: 'udp',
    hex:
      'a30b01000001000000000001076578616d706c6503636f6d00000100010000291000000000000028000b000204d2000b' +
      '000101000900040012750000090000000c000600000000000000030003001122',
    want: '41739+ [1au] A? example.com. ar: . OPT UDPsize=4096 [KEEPALIVE 123.4 sec,KEEPALIVE  (invalid),EXPIRE 1209600 sec,EXPIRE,PADDING (6),NSID 001122] (80)',
  },
  {
    title: 'DAU, DHU, N3U and KEY-TAG',
    verbose: 2,
    via: 'udp',
    hex:
      'a30b01000001000000000001076578616d706c6503636f6d000001000100002910000000800000260005000406070363' +
      '000600050102030405000700020102000e00049c407530000e0003010203',
    want: '41739+ [1au] A? example.com. ar: . OPT UDPsize=4096 DO [DAU DSA-NSEC3-SHA1 RSASHA1-NSEC3-SHA1 DS Alg_99,DHU SHA-1 SHA-256 GOST_R_34.11-94 SHA-384 Alg_5,N3U SHA-1 Alg_2,KEY-TAG 40000 30000,KEY-TAG  (invalid)] (78)',
  },
  {
    title: 'CHAIN and unknown options',
    verbose: 2,
    via: 'udp',
    hex:
      'a30b01000001000000000001076578616d706c6503636f6d00000100010000291000000000000026000d001103666f6f' +
      '076578616d706c6503636f6d00004d0004deadbeef001000000001000101',
    want: '41739+ [1au] A? example.com. ar: . OPT UDPsize=4096 [CHAIN foo.example.com.,Opt77 deadbeef,CLIENT-TAG,LLQ 01] (78)',
  },
  {
    title: 'option longer than the OPT record',
    verbose: 2,
    via: 'udp',
    hex: '00010100000000000000000100002902000000000000060003000a0102',
    want: '1+ [0q] [1au] ar: . OPT UDPsize=512 [NSID [|domain]',
  },
  {
    title: 'compression pointer forwards: <BAD PTR>',
    verbose: 0,
    via: 'udp',
    hex: '000f0100000100000000000003616263c00c00010001',
    want: '15+ A? abc.<BAD PTR> [|domain]',
  },
  {
    title: 'pointer to itself',
    verbose: 0,
    via: 'udp',
    hex: '000f01000001000000000000c00c00010001',
    want: '15+ A? <BAD PTR> [|domain]',
  },
  {
    title: 'reserved label type',
    verbose: 2,
    via: 'udp',
    hex: '00108000000100000000000003616263800000010001',
    want: '16- q: [|domain]',
  },
  {
    title: 'extended label type other than bit-string',
    verbose: 0,
    via: 'udp',
    hex: '00110100000100000000000042010000010001',
    want: '17+ [|domain]',
  },
  {
    title: 'bit-string labels',
    verbose: 0,
    via: 'udp',
    hex:
      '001201000002000000000000410cabcd03636f6d000001000141005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a' +
      '5a5a5a5a5a5a5a5a5a5a5a00000c0001',
    want: '18+ [2q] A? \\[xabc/12].com. PTR? \\[x5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a/256]. (64)',
  },
  {
    title: 'name longer than 255 characters',
    verbose: 0,
    via: 'udp',
    hex:
      '0013010000010000000000003f7878787878787878787878787878787878787878787878787878787878787878787878' +
      '787878787878787878787878787878787878787878787878787878783f78787878787878787878787878787878787878' +
      '78787878787878787878787878787878787878787878787878787878787878787878787878787878787878783f787878' +
      '787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878' +
      '7878787878787878787878783f7878787878787878787878787878787878787878787878787878787878787878787878' +
      '787878787878787878787878787878787878787878787878787878783f78787878787878787878787878787878787878' +
      '787878787878787878787878787878787878787878787878787878787878787878787878787878787878787800000100' +
      '01',
    want: '19+ A? xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.<DOMAIN NAME TOO LONG> (337)',
  },
  {
    title: 'escaped label bytes',
    verbose: 0,
    via: 'udp',
    hex: '00140100000100000000000006001f7f80ff200000010001',
    want: '20+ A? ^@^_^?M-^@M-^? . (24)',
  },
  {
    title: 'root name in question',
    verbose: 0,
    via: 'udp',
    hex: '8fb3010000010000000000000000100001',
    want: '36787+ TXT? . (17)',
  },
  {
    title: 'shorter than a header',
    verbose: 0,
    via: 'udp',
    hex: '0001020304',
    want: 'domain [length 5 < 12] (invalid)',
  },
  {
    title: 'over TCP',
    verbose: 0,
    via: 'tcp',
    hex: '001d123401000001000000000000076578616d706c6503636f6d0000010001',
    want: ' 4660+ A? example.com. (29)',
  },
  {
    title: 'over TCP, prefix disagrees',
    verbose: 0,
    via: 'tcp',
    hex: '00c8123401000001000000000000076578616d706c6503636f6d0000010001',
    want: ' [prefix length(200) != length(29)] (invalid)',
  },
  {
    title: 'over TCP, one byte',
    verbose: 0,
    via: 'tcp',
    hex: '07',
    want: ' [DNS over TCP: length 1 < 2] (invalid)',
  },
  {
    title: 'over TCP, prefix only',
    verbose: 0,
    via: 'tcp',
    hex: '0000',
    want: ' domain [length 0 < 12] (invalid)',
  },
  {
    title: 'capture ends inside the question',
    verbose: 0,
    via: 'udp',
    hex: '001501000001000000000000076578616d706c6503636f6d0000010001',
    cut: 6,
    want: '21+ [|domain]',
  },
  {
    title: 'capture ends inside the header',
    verbose: 0,
    via: 'udp',
    hex: '001501000001000000000000076578616d706c6503636f6d0000010001',
    cut: 25,
    want: ' [|domain]',
  },
  {
    title: 'capture ends inside an answer',
    verbose: 1,
    via: 'udp',
    hex: WWW_RESPONSE,
    cut: 40,
    want: '22836*- 2/1/2 www.tcpdump.org. A 192.139.46.66, www.tcpdump.org. AAAA 2607:f0b0:f::babe:f00d (148)',
  },
  {
    title: 'capture ends after the answers (-vv)',
    verbose: 2,
    via: 'udp',
    hex: WWW_RESPONSE,
    cut: 35,
    want: '22836*- q: A? www.tcpdump.org. 2/1/2 www.tcpdump.org. A 192.139.46.66, www.tcpdump.org. AAAA 2607:f0b0:f::babe:f00d ns: tcpdump.org. NS ns1.example.net. ar: ns1.ex [|domain]',
  },
  {
    title: 'counts larger than the records',
    verbose: 2,
    via: 'udp',
    hex: '001681800001000300000000076578616d706c6503636f6d0000010001c00c000100010000000100040a010203',
    want: '22 q: A? example.com. 3/0/0 example.com. A 10.1.2.3 [|domain]',
  },
  {
    title: 'rdlength past the capture',
    verbose: 0,
    via: 'udp',
    hex: '001781800000000100000000017800001000010000000100040361',
    want: '23 [0q] 1/0/0 TXT [|domain]',
  },
  {
    title: 'mDNS question QU and cache-flush answer',
    verbose: 1,
    via: 'mdns',
    hex:
      '000084000001000100000000077072696e746572056c6f63616c00000c8001c00c000c80010000007800130178045f69' +
      '7070045f746370056c6f63616c00',
    want: '0*- 1/0/0 printer.local. (Cache flush) PTR x._ipp._tcp.local. (62)',
  },
  {
    title: 'mDNS question QM',
    verbose: 0,
    via: 'mdns',
    hex: '000000000001000000000000077072696e746572056c6f63616c00000c0001',
    want: '0 PTR (QM)? printer.local. (31)',
  },
];

describe('printDns matches tcpdump 4.99.3', () => {
  for (const c of CASES) {
    it(c.title, () => {
      expect(print(hex(c.hex), { verbose: c.verbose, via: c.via, cut: c.cut })).toBe(c.want);
    });
  }
});

describe('printDns', () => {
  it('sets the protocol name first, so a truncation mark says domain', () => {
    const ctx = new PrintContext();
    ctx.proto = 'udp';
    expect(() => printDns(ctx, new Reader(hex('1234')), 0, 40, false)).toThrow(Truncated);
    expect(ctx.proto).toBe('domain');
  });

  it('reads the message where it is told to, not at the start of the buffer', () => {
    const msg = '123401000001000000000000076578616d706c6503636f6d0000010001';
    expect(print(hex(`ffffffffffffffff${msg}`), { at: 8 })).toBe('4660+ A? example.com. (29)');
  });

  it('ends a pointer loop (each pointer must go backwards)', () => {
    // The answer name at 12 is "a" followed by a pointer back to 12.
    const loop = '0001800000000001000000000161c00c00010001000000000004';
    expect(print(hex(loop), { verbose: 1 })).toBe('1- [0q] 1/0/0 a.<BAD PTR> [|domain]');
  });

  it('never throws anything but Truncated on random bytes', () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) {
      const bytes = Uint8Array.from({ length: rand(120) }, () =>
        rand(4) === 0 ? [0, 1, 0xc0, 0x29][rand(4)]! : rand(256),
      );
      for (const via of ['udp', 'tcp', 'mdns'] as const) {
        expect(() =>
          print(bytes, { verbose: rand(4), via, cut: rand(3) === 0 ? rand(bytes.length + 1) : 0 }),
        ).not.toThrow();
      }
    }
  });
});

describe('dns tables', () => {
  it('names types tcpdump 4.99.3 knows and numbers the rest', () => {
    expect(tok2str(DNS_TYPES, 'Type%u', 44)).toBe('SSHFP');
    expect(tok2str(DNS_TYPES, 'Type%u', 257)).toBe('Type257');
  });

  it('spells extended rcodes like tcpdump', () => {
    expect(rcodeName(16)).toBe(' BadVers');
    expect(rcodeName(21)).toBe('Resp21');
    expect(rcodeName(4095)).toBe(' Resp4095');
  });

  it('writes TTLs as unsigned_relts_print does', () => {
    expect(relts(0)).toBe('0s');
    expect(relts(60)).toBe('1m');
    expect(relts(90061)).toBe('1d1h1m1s');
  });
});
