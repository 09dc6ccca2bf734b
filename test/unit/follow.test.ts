/**
 * Session following without a network: the TCP state machine fed segments by hand, the follower fed raw IPv4
 * packets (some before their socket is announced), the decoder, the scan proof, routes and announcements.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TcpSession } from '../../src/watch/follow/tcp-session.js';
import { Follower, summaryText } from '../../src/watch/follow/follower.js';
import { decodePacket, type TcpFields } from '../../src/watch/follow/decode.js';
import { TH_ACK, TH_FIN, TH_PUSH, TH_RST, TH_SYN } from '../../src/print/tcp.js';
import { scanProof } from '../../src/watch/follow/scan-proof.js';
import { route4, route6 } from '../../src/watch/follow/route.js';
import { parseAnnouncement } from '../../src/watch/follow/own.js';
import { probesOut } from '../../src/lib/keepalive.js';
import { DEFAULT_PRINT_OPTIONS } from '../../src/print/context.js';
import { LINKTYPE, type Packet } from '../../src/print/packet.js';

const US = { address: '127.0.0.1', port: 12345 };
const PEER = { address: '127.0.0.1', port: 8000 };
const ISN_US = 1403839261;
const ISN_PEER = 87261033;

function seg(seq: number, ack: number, flags: number, payload = 0, extra: Partial<TcpFields> = {}): TcpFields {
  return { seq: seq >>> 0, ack: ack >>> 0, flags, win: 64, payload, ...extra };
}

describe('TcpSession: the tutorial session from the connect side', () => {
  it('handshake, a line each way, Ctrl-C: close 1/4 … 4/4 and TIME_WAIT on our side', () => {
    const s = new TcpSession(US, PEER, 'connect', () => 'Ctrl-C');
    const n = (t: number, out: boolean, f: TcpFields): string => s.segment(t, out, f).text;
    expect(n(1000, true, seg(ISN_US, 0, TH_SYN, 0, { mss: 65495, wscale: 10, win: 65495 }))).toBe(
      'handshake 1/3: SYN, we open (mss 65495, wscale 10)',
    );
    expect(n(1000.06, false, seg(ISN_PEER, ISN_US + 1, TH_SYN | TH_ACK, 0, { mss: 65495, wscale: 10 }))).toBe(
      'handshake 2/3: SYN-ACK after 0.06 ms (mss 65495, wscale 10)',
    );
    expect(n(1000.07, true, seg(ISN_US + 1, ISN_PEER + 1, TH_ACK))).toBe('handshake 3/3: established (rtt 0.06 ms)');
    expect(n(2000, true, seg(ISN_US + 1, ISN_PEER + 1, TH_PUSH | TH_ACK, 6))).toBe('data: 6 bytes sent');
    expect(n(2000.1, false, seg(ISN_PEER + 1, ISN_US + 7, TH_ACK))).toBe('peer acknowledges 6 bytes');
    expect(n(3000, false, seg(ISN_PEER + 1, ISN_US + 7, TH_PUSH | TH_ACK, 5))).toBe('data: 5 bytes received');
    expect(n(3000.1, true, seg(ISN_US + 7, ISN_PEER + 6, TH_ACK))).toBe('we acknowledge 5 bytes');
    expect(n(4000, true, seg(ISN_US + 7, ISN_PEER + 6, TH_FIN | TH_ACK))).toBe(
      'close 1/4: we send FIN first (Ctrl-C); we are in FIN_WAIT_1',
    );
    expect(n(4000.1, false, seg(ISN_PEER + 6, ISN_US + 8, TH_ACK))).toBe(
      'close 2/4: peer ACKs our FIN; we are in FIN_WAIT_2',
    );
    expect(n(4000.2, false, seg(ISN_PEER + 6, ISN_US + 8, TH_FIN | TH_ACK))).toBe(
      'close 3/4: peer sends its FIN; we will hold TIME_WAIT',
    );
    expect(s.done).toBe(false);
    expect(n(4000.3, true, seg(ISN_US + 8, ISN_PEER + 7, TH_ACK))).toBe(
      'close 4/4: 127.0.0.1:12345 enters TIME_WAIT for 60 s (2MSL)',
    );
    expect(s.done).toBe(true);
    const sum = s.summary();
    expect(sum).toMatchObject({
      end: 'fin',
      closed_first: 'us',
      sent: { bytes: 6, segments: 6, retransmissions: 0 },
      received: { bytes: 5, segments: 5, retransmissions: 0 },
      time_wait: { holder: '127.0.0.1:12345', until_ms: 64000.3 },
    });
    expect(sum.rtt_ms).toBeCloseTo(0.06, 5);
    const text = summaryText(sum, true);
    expect(text[0]).toBe('session 127.0.0.1:12345 > 127.0.0.1:8000 (we connected): summary');
    expect(text).toContain('  we closed first: 127.0.0.1:12345 holds TIME_WAIT until 00:01:04 (60 s, 2MSL)');
  });

  it('the peer closes first: CLOSE_WAIT, then the peer holds TIME_WAIT', () => {
    const s = new TcpSession(US, PEER, 'connect');
    s.segment(0, true, seg(ISN_US, 0, TH_SYN));
    s.segment(1, false, seg(ISN_PEER, ISN_US + 1, TH_SYN | TH_ACK));
    s.segment(2, true, seg(ISN_US + 1, ISN_PEER + 1, TH_ACK));
    expect(s.segment(3, false, seg(ISN_PEER + 1, ISN_US + 1, TH_FIN | TH_ACK)).text).toBe(
      'close 1/4: peer sends FIN first: we are in CLOSE_WAIT until we close',
    );
    expect(s.segment(4, true, seg(ISN_US + 1, ISN_PEER + 2, TH_FIN | TH_ACK)).text).toBe(
      "close 2+3/4: we ACK the peer's FIN and send ours; we are in LAST_ACK",
    );
    expect(s.segment(5, false, seg(ISN_PEER + 2, ISN_US + 2, TH_ACK)).text).toBe(
      'close 4/4: 127.0.0.1:8000 enters TIME_WAIT for 60 s (2MSL)',
    );
    expect(s.summary().closed_first).toBe('peer');
  });

  it('retransmissions: SYN with its backoff, data, duplicate ACKs, zero window, keep-alive', () => {
    const s = new TcpSession(US, PEER, 'connect');
    s.segment(0, true, seg(ISN_US, 0, TH_SYN));
    expect(s.segment(1000, true, seg(ISN_US, 0, TH_SYN)).text).toBe('retransmission #1 of SYN after 1.00 s');
    expect(s.segment(3000, true, seg(ISN_US, 0, TH_SYN)).text).toBe(
      'retransmission #2 of SYN after 2.00 s (×2 backoff)',
    );
    s.segment(3001, false, seg(ISN_PEER, ISN_US + 1, TH_SYN | TH_ACK));
    s.segment(3002, true, seg(ISN_US + 1, ISN_PEER + 1, TH_ACK));
    s.segment(4000, true, seg(ISN_US + 1, ISN_PEER + 1, TH_ACK | TH_PUSH, 100));
    s.segment(4001, true, seg(ISN_US + 101, ISN_PEER + 1, TH_ACK | TH_PUSH, 100));
    expect(s.segment(4002, false, seg(ISN_PEER + 1, ISN_US + 101, TH_ACK)).text).toBe('peer acknowledges 100 bytes');
    expect(s.segment(4003, false, seg(ISN_PEER + 1, ISN_US + 101, TH_ACK)).text).toBe(
      'duplicate ACK #1: peer is missing bytes from 101',
    );
    expect(s.segment(4200, true, seg(ISN_US + 101, ISN_PEER + 1, TH_ACK | TH_PUSH, 100)).text).toBe(
      'retransmission #1 of data (100 bytes) after 0.20 s',
    );
    expect(s.segment(4600, true, seg(ISN_US + 101, ISN_PEER + 1, TH_ACK | TH_PUSH, 100)).text).toBe(
      'retransmission #2 of data (100 bytes) after 0.40 s (×2 backoff)',
    );
    expect(s.segment(4601, false, seg(ISN_PEER + 1, ISN_US + 201, TH_ACK, 0, { win: 0 })).text).toMatch(
      /^zero window: peer's receive buffer is full/,
    );
    expect(s.segment(4700, false, seg(ISN_PEER + 1, ISN_US + 201, TH_ACK, 0, { win: 10 })).text).toMatch(
      /^window update: peer can take \d+ bytes again$/,
    );
    expect(s.segment(4650, false, seg(ISN_PEER + 1, ISN_US + 201, TH_ACK, 0, { win: 0 })).text).toMatch(/^zero window/);
    expect(s.segment(4660, true, seg(ISN_US + 200, ISN_PEER + 1, TH_ACK)).text).toBe(
      "zero-window probe: has the peer's window opened?",
    );
    s.segment(4700, false, seg(ISN_PEER + 1, ISN_US + 201, TH_ACK, 0, { win: 10 }));
    expect(s.segment(9000, true, seg(ISN_US + 200, ISN_PEER + 1, TH_ACK)).text).toMatch(/^keep-alive probe #1/);
    expect(s.segment(9000.5, false, seg(ISN_PEER + 1, ISN_US + 201, TH_ACK, 0, { win: 10 })).text).toBe(
      'keep-alive answer: the peer is alive',
    );
    expect(s.summary().sent.retransmissions).toBe(4);
    expect(s.summary().unanswered_probes).toBeUndefined();
    // Then the peer goes silent: two probes without an answer, and following stops (--keepalive gave up).
    s.segment(10000, true, seg(ISN_US + 200, ISN_PEER + 1, TH_ACK));
    s.segment(11000, true, seg(ISN_US + 200, ISN_PEER + 1, TH_ACK));
    expect(s.summary()).toMatchObject({ end: 'open', unanswered_probes: 2 });
    expect(summaryText(s.summary())).toContain('  the peer stopped answering: 2 keep-alive probes unanswered');
  });

  it('says one segment, one byte, one time in the singular', () => {
    const s = new TcpSession(US, PEER, 'connect');
    s.segment(0, true, seg(ISN_US, 0, TH_SYN));
    s.segment(1, false, seg(0, ISN_US + 1, TH_RST | TH_ACK));
    expect(summaryText(s.summary())).toContain('  sent 0 bytes in 1 segment, received 0 bytes in 1 segment');
  });

  it('RST: a closed port, a peer that aborts, and our own RST of a scan probe', () => {
    const refused = new TcpSession(US, PEER, 'connect');
    refused.segment(0, true, seg(ISN_US, 0, TH_SYN));
    expect(refused.segment(1, false, seg(0, ISN_US + 1, TH_RST | TH_ACK)).text).toBe(
      'RST: port closed (connection refused)',
    );
    expect(refused.summary().end).toBe('refused');

    const aborted = new TcpSession(US, PEER, 'connect');
    aborted.segment(0, true, seg(ISN_US, 0, TH_SYN));
    aborted.segment(1, false, seg(ISN_PEER, ISN_US + 1, TH_SYN | TH_ACK));
    aborted.segment(2, true, seg(ISN_US + 1, ISN_PEER + 1, TH_ACK));
    expect(aborted.segment(3, false, seg(ISN_PEER + 1, ISN_US + 1, TH_RST | TH_ACK)).text).toBe('RST: peer aborts');
    expect(summaryText(aborted.summary())).toContain('  ended by RST: no TIME_WAIT on either side');

    const probe = new TcpSession(US, PEER, 'scan');
    probe.segment(0, true, seg(ISN_US, 0, TH_SYN));
    probe.segment(1, false, seg(ISN_PEER, ISN_US + 1, TH_SYN | TH_ACK));
    expect(probe.segment(2, true, seg(ISN_US + 1, 0, TH_RST)).text).toMatch(/^RST \(ours\)/);
  });
});

/** An IPv4/TCP packet (LINKTYPE_RAW) from `src` to `dst`. */
/** A packet of which the first `caplen` bytes of `data` were captured. */
function rawPacket(data: Uint8Array, caplen: number): Packet {
  return { tsSec: 0, tsNsec: 0, caplen, len: data.length, data, offset: 0 };
}

function tcpPacket(t: number, src: [string, number], dst: [string, number], f: TcpFields): Packet {
  const b = Buffer.alloc(40 + f.payload);
  b[0] = 0x45;
  b.writeUInt16BE(40 + f.payload, 2);
  b.writeUInt16BE(0x4000, 6);
  b[8] = 64;
  b[9] = 6;
  src[0].split('.').forEach((o, i) => (b[12 + i] = Number(o)));
  dst[0].split('.').forEach((o, i) => (b[16 + i] = Number(o)));
  b.writeUInt16BE(src[1], 20);
  b.writeUInt16BE(dst[1], 22);
  b.writeUInt32BE(f.seq, 24);
  b.writeUInt32BE(f.ack, 28);
  b[32] = 0x50;
  b[33] = f.flags;
  b.writeUInt16BE(f.win, 34);
  return {
    tsSec: Math.floor(t / 1000),
    tsNsec: Math.round((t % 1000) * 1e6),
    caplen: b.length,
    len: b.length,
    data: Uint8Array.from(b),
    offset: 0,
  };
}

describe('Follower', () => {
  function follower(holdAll = false): { f: Follower; text: () => string } {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const f = new Follower(LINKTYPE.RAW, {
      print: { ...DEFAULT_PRINT_OPTIONS, tsStyle: 1 },
      explain: false,
      json: false,
      color: false,
      out,
      summaryOut: out,
      holdAll,
    });
    return { f, text: () => (f.flush(), text) };
  }
  const a: [string, number] = ['127.0.0.1', 12345];
  const b: [string, number] = ['127.0.0.1', 8000];

  it('keeps the SYN that came before the announcement and prints it first; other traffic is not shown', async () => {
    const { f, text } = follower();
    f.tap({ type: 'connecting', proto: 'tcp', remote: { address: b[0], port: b[1] } });
    f.packet(tcpPacket(0, ['127.0.0.1', 40000], ['127.0.0.1', 9], seg(1, 0, TH_SYN)));
    f.packet(tcpPacket(1, a, b, seg(ISN_US, 0, TH_SYN)));
    f.packet(tcpPacket(2, b, a, seg(ISN_PEER, ISN_US + 1, TH_SYN | TH_ACK)));
    expect(text()).toBe('');
    f.tap({
      type: 'socket',
      proto: 'tcp',
      role: 'connect',
      local: { address: a[0], port: a[1] },
      remote: { address: b[0], port: b[1] },
    });
    f.packet(tcpPacket(3, a, b, seg(ISN_US + 1, ISN_PEER + 1, TH_ACK)));
    const lines = text()
      .split('\n')
      .filter((l) => l !== '');
    expect(lines).toEqual([
      'IP 127.0.0.1.12345 > 127.0.0.1.8000: Flags [S], seq 1403839261, win 64, length 0  # handshake 1/3: SYN, we open',
      'IP 127.0.0.1.8000 > 127.0.0.1.12345: Flags [S.], seq 87261033, ack 1403839262, win 64, length 0  # handshake 2/3: SYN-ACK after 1 ms',
      'IP 127.0.0.1.12345 > 127.0.0.1.8000: Flags [.], ack 1, win 64, length 0  # handshake 3/3: established (rtt 1 ms)',
    ]);
  });

  it('a listening port makes every SYN to it a session; a scan every probe; the proof closes the run', () => {
    const { f, text } = follower();
    f.tap({ type: 'scan', proto: 'tcp', hosts: ['10.0.0.2'], ports: [22, 23, 24] });
    const us: [string, number] = ['10.0.0.1', 50000];
    f.packet(tcpPacket(0, us, ['10.0.0.2', 22], seg(5, 0, TH_SYN)));
    f.packet(tcpPacket(1, ['10.0.0.2', 22], us, seg(9, 6, TH_SYN | TH_ACK)));
    f.packet(tcpPacket(2, us, ['10.0.0.2', 22], seg(6, 0, TH_RST)));
    f.packet(tcpPacket(0, ['10.0.0.1', 50001], ['10.0.0.2', 23], seg(5, 0, TH_SYN)));
    f.packet(tcpPacket(1, ['10.0.0.2', 23], ['10.0.0.1', 50001], seg(0, 6, TH_RST | TH_ACK)));
    f.packet(tcpPacket(0, ['10.0.0.1', 50002], ['10.0.0.2', 24], seg(5, 0, TH_SYN)));
    f.packet(tcpPacket(1000, ['10.0.0.1', 50002], ['10.0.0.2', 24], seg(5, 0, TH_SYN)));
    f.finish();
    const out = text();
    expect(out).toContain(
      '22/tcp open: SYN → SYN-ACK → RST (ours)\n23/tcp closed: SYN → RST\n24/tcp filtered: SYN ×2, silence\n',
    );
    expect(out).not.toContain('summary');
  });
});

describe('decodePacket', () => {
  it('reads an ICMP host unreachable and the TCP header it quotes', () => {
    const quoted = tcpPacket(0, ['10.0.0.1', 50000], ['10.0.0.2', 25], seg(5, 0, TH_SYN)).data.subarray(0, 28);
    const icmp = Buffer.concat([Buffer.from('03010000' + '00000000', 'hex'), Buffer.from(quoted)]);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + icmp.length, 2);
    ip[9] = 1;
    [10, 0, 0, 2].forEach((o, i) => (ip[12 + i] = o));
    [10, 0, 0, 1].forEach((o, i) => (ip[16 + i] = o));
    const data = Uint8Array.from(Buffer.concat([ip, icmp]));
    const d = decodePacket(LINKTYPE.RAW, rawPacket(data, data.length));
    expect(d?.icmp).toMatchObject({
      type: 3,
      code: 1,
      quote: { proto: 6, src: '10.0.0.1', dst: '10.0.0.2', sport: 50000, dport: 25 },
    });
  });

  it('never throws on cut packets', () => {
    const full = tcpPacket(0, ['10.0.0.1', 1], ['10.0.0.2', 2], seg(1, 2, TH_SYN)).data;
    for (let n = 0; n <= full.length; n++) expect(() => decodePacket(LINKTYPE.RAW, rawPacket(full, n))).not.toThrow();
    expect(decodePacket(LINKTYPE.RAW, rawPacket(full, 10))).toBeUndefined();
  });
});

describe('scanProof', () => {
  it('one line per port, in port order, the first probe of each', () => {
    const lines = scanProof([
      {
        remote: { address: 'h', port: 25 },
        steps: [
          { token: 'SYN', from: 'us' },
          { token: 'ICMP host unreachable', from: 'net' },
        ],
      },
      {
        remote: { address: 'h', port: 22 },
        steps: [
          { token: 'SYN', from: 'us' },
          { token: 'SYN-ACK', from: 'peer' },
          { token: 'RST (ours)', from: 'us' },
        ],
      },
    ]);
    expect(lines.map((l) => l.text)).toEqual([
      '22/tcp open: SYN → SYN-ACK → RST (ours)',
      '25/tcp unreachable: SYN → ICMP host unreachable',
    ]);
  });
});

describe('routes, announcements, keep-alive counts', () => {
  it('picks the longest prefix of /proc/net/route and /proc/net/ipv6_route', () => {
    const table = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'veth1\t0046FA0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    ].join('\n');
    expect(route4('10.250.70.2', table)).toBe('veth1');
    expect(route4('8.8.8.8', table)).toBe('eth0');
    const t6 = [
      'fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0',
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth1',
    ].join('\n');
    expect(route6('fd00::5', t6)).toBe('eth0');
    expect(route6('2001:db8::1', t6)).toBe('eth1');
  });

  it('takes well-formed announcements only', () => {
    expect(
      parseAnnouncement(
        '{"type":"socket","proto":"tcp","role":"connect","local":{"address":"127.0.0.1","port":1},"remote":{"address":"127.0.0.1","port":2},"pid":7}',
      ),
    ).toEqual({
      type: 'socket',
      proto: 'tcp',
      role: 'connect',
      local: { address: '127.0.0.1', port: 1 },
      remote: { address: '127.0.0.1', port: 2 },
    });
    expect(
      parseAnnouncement('{"type":"socket","proto":"tcp","role":"connect","local":{"address":"x","port":70000}}'),
    ).toBeUndefined();
    expect(parseAnnouncement('not json')).toBeUndefined();
  });

  it('reads the unanswered keep-alive probes of a socket from /proc/net/tcp', () => {
    const table =
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
      '   0: 0100007F:3039 0100007F:1F40 01 00000000:00000000 02:00000064 00000000     0        2 12345 1 0000000000000000 20 4 30 10 -1\n';
    const socket = {
      localPort: 12345,
      remotePort: 8000,
      remoteAddress: '127.0.0.1',
    } as unknown as import('node:net').Socket;
    expect(probesOut(socket, [table])).toBe(2);
  });
});
