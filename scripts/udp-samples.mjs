// Hand-made UDP payloads for the golden captures of the UDP printers (NTP, BOOTP/DHCP, TFTP, SNMP, syslog,
// ISAKMP): what a dhclient, a TFTP client, an SNMP manager and agent, a syslog sender and an IKE peer put on the
// wire, built byte by byte from the RFCs. scripts/update-golden.mjs --capture-udp sends them over loopback while
// tcpdump records them.

/** BER (X.690): tag, definite length, contents. */
function ber(tag, ...parts) {
  const body = Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}
const seq = (...p) => ber(0x30, ...p);
const str = (s) => ber(0x04, Buffer.from(s, 'latin1'));
const nul = () => ber(0x05);
function int(v, tag = 0x02) {
  const bytes = [];
  let x = BigInt(v);
  do {
    bytes.unshift(Number(x & 0xffn));
    x >>= 8n;
  } while (x !== 0n && x !== -1n);
  if (v >= 0 && bytes[0] & 0x80) bytes.unshift(0);
  if (v < 0 && !(bytes[0] & 0x80)) bytes.unshift(0xff);
  return ber(tag, Buffer.from(bytes));
}
function oid(text) {
  const [a, b, ...rest] = text.split('.').map(Number);
  const out = [a * 40 + b];
  for (const n of rest) {
    const groups = [];
    let x = n;
    do {
      groups.unshift(x & 0x7f);
      x = Math.floor(x / 128);
    } while (x > 0);
    groups.forEach((g, i) => out.push(i < groups.length - 1 ? g | 0x80 : g));
  }
  return ber(0x06, Buffer.from(out));
}
const ip = (a) => ber(0x40, Buffer.from(a.split('.').map(Number)));
const varbind = (name, value) => seq(oid(name), value);
const pdu = (tag, reqId, err, idx, ...vbs) => ber(tag, int(reqId), int(err), int(idx), seq(...vbs));

/** SNMP: v1 get and response (every value type), v2c getbulk and trap, a v1 trap, a v3 request with USM. */
function snmp() {
  const sysDescr = '1.3.6.1.2.1.1.1.0';
  return [
    [
      40161,
      161,
      seq(int(0), str('public'), pdu(0xa0, 1, 0, 0, varbind(sysDescr, nul()), varbind('1.3.6.1.2.1.1.5.0', nul()))),
    ],
    [
      161,
      40161,
      seq(
        int(0),
        str('private'),
        pdu(
          0xa2,
          1,
          0,
          0,
          varbind(sysDescr, str('Linux gw 6.1.0 x86_64')),
          varbind('1.3.6.1.2.1.1.3.0', int(123456, 0x43)),
          varbind('1.3.6.1.2.1.1.2.0', oid('1.3.6.1.4.1.8072.3.2.10')),
          varbind('1.3.6.1.2.1.4.20.1.1.10.0.0.1', ip('10.0.0.1')),
          varbind('1.3.6.1.2.1.2.2.1.10.1', int(4294967295, 0x41)),
          varbind('1.3.6.1.2.1.31.1.1.1.6.1', int(1234567890123, 0x46)),
          varbind('1.3.6.1.2.1.2.2.1.6.1', str('\x02\x42\xac\x11\x00\x02')),
          varbind('1.3.6.1.2.1.1.7.0', int(-72)),
          varbind('1.3.6.1.2.1.1.9.0', ber(0x80)),
        ),
      ),
    ],
    [161, 40161, seq(int(0), str('public'), pdu(0xa2, 2, 1, 1, varbind(sysDescr, nul())))],
    [40162, 161, seq(int(1), str('public'), pdu(0xa5, 3, 0, 10, varbind('1.3.6.1.2.1.2.2', nul())))],
    [40163, 161, seq(int(1), str('public'), pdu(0xa3, 4, 0, 0, varbind('1.3.6.1.2.1.1.6.0', str('rack 4'))))],
    [
      40164,
      162,
      seq(
        int(0),
        str('public'),
        ber(
          0xa4,
          oid('1.3.6.1.4.1.8072.4'),
          ip('10.0.0.1'),
          int(6),
          int(3),
          int(5500, 0x43),
          seq(varbind('1.3.6.1.4.1.8072.2.3.2.1', int(42))),
        ),
      ),
    ],
    [
      40165,
      162,
      seq(
        int(1),
        str('public'),
        pdu(
          0xa7,
          5,
          0,
          0,
          varbind('1.3.6.1.2.1.1.3.0', int(8800, 0x43)),
          varbind('1.3.6.1.6.3.1.1.4.1.0', oid('1.3.6.1.6.3.1.1.5.3')),
        ),
      ),
    ],
    [
      40166,
      161,
      seq(
        int(3),
        seq(int(77), int(65507), str('\x04'), int(3)),
        str(seq(str('\x80\x00\x1f\x88\x04ntk'), int(3), int(1200), str('ntk'), str(''), str('')).toString('latin1')),
        seq(str('\x80\x00\x1f\x88\x04ntk'), str(''), pdu(0xa0, 6, 0, 0, varbind(sysDescr, nul()))),
      ),
    ],
  ];
}

/** DHCP (RFC 2131/2132): a client's Discover and the server's Offer, as dhclient and a server send them. */
function dhcp() {
  const mac = [0x02, 0x42, 0xac, 0x11, 0x00, 0x02];
  const header = (op, xid, yiaddr, siaddr) => {
    const b = Buffer.alloc(240);
    b[0] = op;
    b[1] = 1;
    b[2] = 6;
    b.writeUInt32BE(xid, 4);
    b.writeUInt16BE(op === 1 ? 3 : 0, 8);
    b.writeUInt16BE(op === 1 ? 0x8000 : 0, 10);
    Buffer.from(yiaddr.split('.').map(Number)).copy(b, 16);
    Buffer.from(siaddr.split('.').map(Number)).copy(b, 20);
    Buffer.from(mac).copy(b, 28);
    if (op === 2) b.write('pxe.example', 44, 'latin1');
    if (op === 2) b.write('pxelinux.0', 108, 'latin1');
    b.writeUInt32BE(0x63825363, 236);
    return b;
  };
  const opt = (tag, bytes) => Buffer.from([tag, bytes.length, ...bytes]);
  const text = (s) => [...Buffer.from(s, 'latin1')];
  const discover = Buffer.concat([
    header(1, 0x3903f326, '0.0.0.0', '0.0.0.0'),
    opt(53, [1]),
    opt(61, [1, ...mac]),
    opt(50, [192, 168, 1, 100]),
    opt(57, [0x05, 0xdc]),
    opt(12, text('ntk-client')),
    opt(60, text('ntk 0.1')),
    opt(81, [0x01, 0, 0, ...text('ntk-client.example')]),
    opt(77, [4, ...text('ntk1'), 3, ...text('lab')]),
    opt(55, [1, 3, 6, 15, 28, 42, 51, 54, 58, 59, 119, 121, 252]),
    Buffer.from([0, 0, 255]),
  ]);
  const offer = Buffer.concat([
    header(2, 0x3903f326, '192.168.1.100', '192.168.1.1'),
    opt(53, [2]),
    opt(54, [192, 168, 1, 1]),
    opt(51, [0, 0, 0x0e, 0x10]),
    opt(58, [0, 0, 0x07, 0x08]),
    opt(1, [255, 255, 255, 0]),
    opt(3, [192, 168, 1, 1]),
    opt(6, [192, 168, 1, 1, 9, 9, 9, 9]),
    opt(15, text('example')),
    opt(28, [192, 168, 1, 255]),
    opt(121, [24, 10, 1, 2, 192, 168, 1, 254, 0, 192, 168, 1, 1]),
    opt(46, [8]),
    opt(19, [0]),
    opt(82, [1, 4, ...text('eth0'), 9, 2, 0xab, 0xcd]),
    Buffer.from([255]),
  ]);
  return [
    [68, 67, discover],
    [67, 68, offer],
  ];
}

/** TFTP (RFC 1350, 2347): a read request with options, the option ack, data, ack, and an error. */
function tftp() {
  const z = (...parts) => Buffer.concat(parts.map((p) => Buffer.concat([Buffer.from(p, 'latin1'), Buffer.from([0])])));
  const op = (n) => Buffer.from([0, n]);
  const data = Buffer.concat([op(3), Buffer.from([0, 1]), Buffer.alloc(512, 0x61)]);
  return [
    [40069, 69, Buffer.concat([op(1), z('pxelinux.cfg/default', 'octet', 'blksize', '1428', 'tsize', '0')])],
    [69, 40069, Buffer.concat([op(6), z('blksize', '1428', 'tsize', '1337')])],
    [69, 40069, data],
    [40069, 69, Buffer.concat([op(4), Buffer.from([0, 1])])],
    [40070, 69, Buffer.concat([op(2), z('upload.bin', 'netascii')])],
    [69, 40070, Buffer.concat([op(5), Buffer.from([0, 2]), z('Access violation')])],
    [40071, 69, Buffer.from([0, 9, 1, 2])],
  ];
}

/** syslog (RFC 3164, RFC 5424): BSD and structured messages, one without a PRI. */
function syslog() {
  return [
    [40514, 514, Buffer.from("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8")],
    [
      40515,
      514,
      Buffer.from('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - An application event'),
    ],
    [40516, 514, Buffer.from('<191>ntk: debug line\n')],
    [40517, 514, Buffer.from('no priority here')],
  ];
}

/** NTP (RFC 5905): a server's answer to ntk's client request, and a mode 6 control query. */
function ntp() {
  const b = Buffer.alloc(48);
  b[0] = 0x24; // LI 0, VN 4, mode 4 (server)
  b[1] = 2;
  b[2] = 6;
  b[3] = 0xe9; // precision -23
  b.writeUInt32BE(0x00000a3d, 4); // root delay 0.039978
  b.writeUInt32BE(0x00001234, 8);
  b.writeUInt32BE(0xc0a80101, 12); // reference ID 192.168.1.1
  const t = 0xe8a1b2c3;
  b.writeUInt32BE(t - 20, 16);
  b.writeUInt32BE(0x12345678, 20);
  b.writeUInt32BE(0, 24); // originate: the client sent zeros
  b.writeUInt32BE(0, 28);
  b.writeUInt32BE(t, 32);
  b.writeUInt32BE(0x80000000, 36);
  b.writeUInt32BE(t, 40);
  b.writeUInt32BE(0x80100000, 44);
  const control = Buffer.from([0x16, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]);
  return [
    [123, 40123, b],
    [40124, 123, control],
  ];
}

/** ISAKMP (RFC 2408/2409, RFC 7296): an IKEv1 main mode offer and an IKEv2 IKE_SA_INIT request. */
function isakmp() {
  const icookie = Buffer.from('0123456789abcdef', 'hex');
  const hdr = (next, version, exchange, flags, msgid, body, rcookie = Buffer.alloc(8)) => {
    const h = Buffer.alloc(28);
    icookie.copy(h, 0);
    rcookie.copy(h, 8);
    h[16] = next;
    h[17] = version;
    h[18] = exchange;
    h[19] = flags;
    h.writeUInt32BE(msgid, 20);
    h.writeUInt32BE(28 + body.length, 24);
    return Buffer.concat([h, body]);
  };
  const payload = (next, body) => {
    const h = Buffer.from([next, 0, 0, 0]);
    h.writeUInt16BE(4 + body.length, 2);
    return Buffer.concat([h, body]);
  };
  const attr = (type, value) => Buffer.from([0x80 | (type >> 8), type & 0xff, value >> 8, value & 0xff]);
  // IKEv1: SA (DOI IPsec, identity only) with one proposal of one transform, then a vendor ID.
  const transform = payload(
    0,
    Buffer.concat([
      Buffer.from([1, 1, 0, 0]),
      attr(1, 7),
      attr(14, 256),
      attr(2, 2),
      attr(3, 1),
      attr(4, 14),
      attr(11, 1),
      attr(12, 28800),
    ]),
  );
  const proposal = payload(0, Buffer.concat([Buffer.from([1, 1, 0, 1]), transform]));
  const sa = payload(13, Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 0, 0, 1]), proposal]));
  const vid = payload(0, Buffer.from('4a131c81070358455c5728f20e95452f', 'hex'));
  const v1 = hdr(1, 0x10, 2, 0, 0, Buffer.concat([sa, vid]));
  // IKEv2: SA (one proposal: ENCR_AES_CBC 128, PRF_HMAC_SHA2_256, AUTH_HMAC_SHA2_256_128, DH 14), KE, Nonce.
  const t2 = (last, type, id, attrs = Buffer.alloc(0)) => {
    const body = Buffer.concat([Buffer.from([type, 0, id >> 8, id & 0xff]), attrs]);
    const h = Buffer.from([last ? 0 : 3, 0, 0, 0]);
    h.writeUInt16BE(4 + body.length, 2);
    return Buffer.concat([h, body]);
  };
  const transforms = Buffer.concat([
    t2(false, 1, 12, attr(14, 128)),
    t2(false, 2, 5),
    t2(false, 3, 12),
    t2(true, 4, 14),
  ]);
  const prop2 = payload(0, Buffer.concat([Buffer.from([1, 1, 0, 4]), transforms]));
  const sa2 = payload(34, prop2);
  const ke = payload(40, Buffer.concat([Buffer.from([0, 14, 0, 0]), Buffer.alloc(32, 0x5a)]));
  const nonce = payload(0, Buffer.alloc(32, 0xa5));
  const v2 = hdr(33, 0x20, 34, 0x08, 0, Buffer.concat([sa2, ke, nonce]));
  return [
    [500, 500, v1],
    [500, 500, v2],
  ];
}

/** Every sample as [source port, destination port, payload], in the order sent. */
export function udpSamples() {
  return [...ntp(), ...dhcp(), ...tftp(), ...snmp(), ...syslog(), ...isakmp()];
}
