/** TCP printing, checked against what tcpdump 4.99 prints for the same bytes (tcpdump -n -t). */
import { describe, expect, it } from 'vitest';
import { packetOf } from '../helpers/packets';
import { LINKTYPE } from '../../src/print/packet';
import { PrintContext, type PrintOptions } from '../../src/print/context';
import { formatPacket } from '../../src/print/dispatch';
import { MAX_SEQ_FLOWS } from '../../src/print/tcp';

const ETH = '00112233445566778899aabb0800';
const line = (
  hexBytes: string,
  opts: Partial<PrintOptions> = {},
  ctx = new PrintContext({ tsStyle: 1, ...opts }),
): string => formatPacket(ctx, LINKTYPE.ETHERNET, packetOf(ETH + hexBytes));

describe('tcp options', () => {
  const cases: [string, string][] = [
    [
      '4500003c00014000400626b90a0000010a00000204d20050000003e800000000a00203e800000000020405b4010303070402080a0000000100000000',
      'IP 10.0.0.1.1234 > 10.0.0.2.80: Flags [S], seq 1000, win 1000, options [mss 1460,nop,wscale 7,sackOK,TS val 1 ecr 0], length 0\n',
    ],
    [
      '4500003c00014000400626b90a0000010a00000204d20050000003e800000000a00203e80000000001010512000003e8000007d000000bb800000fa0',
      'IP 10.0.0.1.1234 > 10.0.0.2.80: Flags [S], seq 1000, win 1000, options [nop,nop,sack 2 {1000:2000}{3000:4000}], length 0\n',
    ],
    [
      '4500003400014000400626c10a0000010a00000204d20050000003e800000000800203e800000000220a01020304050607080101',
      'IP 10.0.0.1.1234 > 10.0.0.2.80: Flags [S], seq 1000, win 1000, options [tfo  cookie 0102030405060708,nop,nop], length 0\n',
    ],
    [
      '4500002c00014000400626c90a0000010a00000204d20050000003e800000000600203e800000000fe041234',
      'IP 10.0.0.1.1234 > 10.0.0.2.80: Flags [S], seq 1000, win 1000, options [exp-1234], length 0\n',
    ],
  ];
  for (const [bytes, want] of cases) {
    it(want.slice(want.indexOf('options'), want.indexOf(']', want.indexOf('options')) + 1), () => {
      expect(line(bytes)).toBe(want);
    });
  }

  it('marks an option cut by the capture with [|tcp] and the old closing ">"', () => {
    const full =
      '4500003c00014000400626b90a0000010a00000204d20050000003e800000000a00203e800000000020405b4010303070402080a0000000100000000';
    // Captured: the IP and TCP headers, mss, nop, wscale and sackOK whole, then 4 of TS's 10 bytes.
    const cut = packetOf(ETH + full.slice(0, (68 - 14) * 2), 0, 0, 14 + full.length / 2);
    expect(formatPacket(new PrintContext({ tsStyle: 1 }), LINKTYPE.ETHERNET, cut)).toBe(
      'IP 10.0.0.1.1234 > 10.0.0.2.80: Flags [S], seq 1000, win 1000, options [mss 1460,nop,wscale 7,sackOK,TS [|tcp]>\n',
    );
  });
});

describe('tcp flags, sequence numbers and payload summaries', () => {
  it('prints every flag letter in tcpdump order', () => {
    expect(line('4500002800014000400626cd0a0000010a0000029c400050000003e80000138850c203e800000005')).toBe(
      'IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [SEW], seq 1000, win 1000, length 0\n',
    );
  });

  it('numbers relative to the first segment seen per connection, in both directions, per run', () => {
    const ctx = new PrintContext({ tsStyle: 1 });
    const synack = '4500002800014000400626cd0a0000010a0000029c400050000003e800001388501203e800000005';
    const get =
      '4500004400014000400626b10a0000010a0000029c400050000003e800001388501803e800000005474554202f7820485454502f312e310d0a486f73743a20610d0a0d0a';
    const reply =
      '4500004500014000400626b00a0000020a00000100509c4000001388000003e8501803e800000000485454502f312e3120323030204f4b0d0a413a20620d0a0d0a626f6479';
    expect(line(synack, {}, ctx)).toBe(
      'IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S.], seq 1000, ack 5000, win 1000, length 0\n',
    );
    expect(line(get, {}, ctx)).toBe(
      'IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 0:28, ack 1, win 1000, length 28: HTTP: GET /x HTTP/1.1\n',
    );
    expect(line(reply, {}, ctx)).toBe(
      'IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [P.], seq 1:30, ack 0, win 1000, length 29: HTTP: HTTP/1.1 200 OK\n',
    );
    // -S, or a fresh run, prints absolute numbers.
    expect(line(get, { absoluteSeq: true })).toContain('seq 1000:1028, ack 5000,');
  });

  it('reports a header length below 20 bytes', () => {
    expect(line('4500002800014000400626cd0a0000010a0000020001000200000003000000043010000100000000')).toBe(
      'IP 10.0.0.1.1 > 10.0.0.2.2:  tcp 8 [bad hdr length 12 - too short, < 20]\n',
    );
  });

  it('-q prints only the length', () => {
    expect(
      line('4500002800014000400626cd0a0000010a0000029c400050000003e80000138850c203e800000005', { quick: true }),
    ).toBe('IP 10.0.0.1.40000 > 10.0.0.2.80: tcp 0\n');
  });
});

describe('relative sequence numbers', () => {
  /** A bare ACK from 10.0.0.1.`sport` to 10.0.0.2.80, as raw IPv4. */
  const ackPacket = (sport: number, ackNo: number): Buffer => {
    const b = Buffer.from(
      '4500002800014000400600000a0000010a000002' + '000000500000138800000000501003e800000000',
      'hex',
    );
    b.writeUInt16BE(sport, 20);
    b.writeUInt32BE(ackNo, 28);
    return b;
  };

  it('forgets the oldest connection once MAX_SEQ_FLOWS are known, so the table stays bounded', () => {
    const ctx = new PrintContext({ tsStyle: 1 });
    const print = (sport: number, ackNo: number): string =>
      formatPacket(ctx, LINKTYPE.RAW, packetOf(ackPacket(sport, ackNo)));
    expect(print(1, 7000)).toContain(', ack 7000,');
    expect(print(1, 7000)).toContain(', ack 1,');
    // MAX_SEQ_FLOWS other connections (source ports 2…60001, then other destination ports too).
    for (let i = 0; i < MAX_SEQ_FLOWS; i++) {
      const b = ackPacket(2 + (i % 60000), 1);
      b.writeUInt16BE(80 + Math.floor(i / 60000), 22);
      formatPacket(ctx, LINKTYPE.RAW, packetOf(b));
    }
    const table = ctx.tcpSeq4;
    expect(table?.size).toBe(MAX_SEQ_FLOWS);
    // The first connection was the oldest: it is new again, printed with its absolute number.
    expect(print(1, 7000)).toContain(', ack 7000,');
  });
});

describe('text protocol lines at -v', () => {
  /** 10.0.0.1.40000 > 10.0.0.2.80, PSH/ACK, seq 1000, ack 5000, carrying `payload` (hex), with IP and TCP checksums. */
  const frames: Record<string, string> = {
    full: '4500004400014000400626b10a0000010a0000029c400050000003e800001388501803e8c9750000474554202f7820485454502f312e310d0a486f73743a20610d0a0d0a',
    control:
      '4500004500014000400626b00a0000010a0000029c400050000003e800001388501803e855e70000474554202f7820485454502f312e310d0a486f0173743a20610d0a0d0a',
    noEnd:
      '4500003d00014000400626b80a0000010a0000029c400050000003e800001388501803e8042c0000474554202f7820485454502f312e310d0a486f7374',
    bareCr:
      '4500003b00014000400626ba0a0000010a0000029c400050000003e800001388501803e88fdc0000474554202f7820485454502f312e310d580d0a',
  };
  const head = (len: number, cksum?: string): string =>
    `IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length ${len + 40})\n` +
    `    10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], ${cksum ? `cksum 0x${cksum} (correct), ` : ''}` +
    `seq 1000:${1000 + len}, ack 5000, win 1000, length ${len}: HTTP, length: ${len}`;
  /** The frame of `name` as captured up to `caplen` bytes (the whole frame when omitted). */
  const cut = (name: string, caplen?: number): string => {
    const hex = ETH + (frames[name] as string);
    const wire = hex.length / 2;
    const pkt = packetOf(hex.slice(0, 2 * (caplen ?? wire)), 0, 0, wire);
    return formatPacket(new PrintContext({ tsStyle: 1, verbose: 1 }), LINKTYPE.ETHERNET, pkt);
  };

  // Each expected text is what tcpdump 4.99 -v prints for the same bytes.
  it('prints every line, a blank one included', () => {
    expect(cut('full')).toBe(`${head(28, 'c975')}\n\tGET /x HTTP/1.1\n\tHost: a\n\t\n`);
  });
  it('stops before a line with a control character', () => {
    expect(cut('control')).toBe(`${head(29, '55e7')}\n\tGET /x HTTP/1.1\n`);
  });
  it('prints text without a line end as a cut line', () => {
    expect(cut('noEnd')).toBe(`${head(21, '042c')}\n\tGET /x HTTP/1.1\n\tHost [|http]\n`);
  });
  it('prints no line that ends in a carriage return without a line feed', () => {
    expect(cut('bareCr')).toBe(`${head(19, '8fdc')}\n`);
  });
  it('abandons a line the capture cut, printing nothing of it', () => {
    // Cut inside "Host: a": the first line is printed, the second is not.
    expect(cut('full', 54 + 20)).toBe(`${head(28)}\n\tGET /x HTTP/1.1 [|http]\n`);
    // Cut between a carriage return and its line feed: the line is not printed either.
    expect(cut('full', 54 + 25)).toBe(`${head(28)}\n\tGET /x HTTP/1.1 [|http]\n`);
    expect(cut('full', 54 + 16)).toBe(`${head(28)} [|http]\n`);
  });
});
