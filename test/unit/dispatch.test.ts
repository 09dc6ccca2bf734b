/**
 * formatPacket as a whole: packet numbers, link types, -x/-X after a cut packet, the rule that nothing ever
 * throws (a bounded random-packet property test), and the rule that printers read bytes only through Reader.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packetOf } from '../helpers/packets';
import { LINKTYPE } from '../../src/print/packet';
import { PrintContext } from '../../src/print/context';
import { formatPacket } from '../../src/print/dispatch';

const UDP4 = '4500001d00014000401126ca0a0000010a000002000100020009000078';

describe('formatPacket', () => {
  it('numbers packets with -# and prints one line per packet', () => {
    const ctx = new PrintContext({ packetNumbers: true, utc: true });
    const a = formatPacket(ctx, LINKTYPE.RAW, packetOf(UDP4, 1700000000, 7000));
    const b = formatPacket(ctx, LINKTYPE.RAW, packetOf(UDP4, 1700000001, 1007000));
    expect(a).toBe('    1  22:13:20.000007 IP 10.0.0.1.1 > 10.0.0.2.2: UDP, length 1\n');
    expect(b.startsWith('    2  22:13:21.001007 IP ')).toBe(true);
  });

  it('prints each link type', () => {
    const ctx = new PrintContext({ tsStyle: 1, linkHeader: true });
    expect(formatPacket(ctx, LINKTYPE.NULL, packetOf('02000000' + UDP4))).toBe(
      'AF IPv4 (2), length 33: 10.0.0.1.1 > 10.0.0.2.2: UDP, length 1\n',
    );
    expect(formatPacket(ctx, LINKTYPE.LOOP, packetOf('00000002' + UDP4))).toBe(
      'AF IPv4 (2), length 33: 10.0.0.1.1 > 10.0.0.2.2: UDP, length 1\n',
    );
    expect(formatPacket(ctx, LINKTYPE.RAW, packetOf(UDP4))).toBe('ip: 10.0.0.1.1 > 10.0.0.2.2: UDP, length 1\n');
    expect(
      formatPacket(ctx, LINKTYPE.LINUX_SLL, packetOf('0000' + '0001' + '0006' + '0102030405060000' + '0800' + UDP4)),
    ).toBe(' In 01:02:03:04:05:06 ethertype IPv4 (0x0800), length 45: 10.0.0.1.1 > 10.0.0.2.2: UDP, length 1\n');
  });

  it('reports record headers tcpdump refuses to print', () => {
    const ctx = new PrintContext();
    expect(
      formatPacket(ctx, LINKTYPE.RAW, { tsSec: 0, tsNsec: 0, caplen: 0, len: 0, data: new Uint8Array(0), offset: 0 }),
    ).toBe('[Invalid header: caplen==0, len==0]\n');
  });

  it('counts a printer failure other than truncation, and still prints the line', () => {
    const ctx = new PrintContext({ tsStyle: 1 });
    const seen: unknown[] = [];
    ctx.onInternalError = (err) => seen.push(err);
    const put = ctx.out.put.bind(ctx.out);
    ctx.out.put = (s: string): void => {
      if (s.startsWith('UDP')) throw new TypeError('a printer bug');
      put(s);
    };
    expect(formatPacket(ctx, LINKTYPE.RAW, packetOf(UDP4))).toBe('IP 10.0.0.1.1 > 10.0.0.2.2:  [|udp]\n');
    expect(ctx.internalErrors).toBe(1);
    expect(seen).toHaveLength(1);
    // A short packet is not a failure.
    expect(formatPacket(ctx, LINKTYPE.RAW, packetOf(UDP4.slice(0, 50)))).toContain('[|');
    expect(ctx.internalErrors).toBe(1);
  });

  it('dumps a packet abandoned mid-way from its first byte, as tcpdump does after its longjmp', () => {
    const ctx = new PrintContext({ tsStyle: 1, hex: 1 });
    const text = formatPacket(ctx, LINKTYPE.NULL, packetOf('02'));
    expect(text).toBe(' [|null]\n\t0x0000:  02\n');
  });

  it('never throws, whatever the bytes (random packets, every link type and flag set)', () => {
    let seed = 12345;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const templates = [
      '00112233445566778899aabb0800' + UDP4,
      '00112233445566778899aabb86dd6000000000083a40' +
        '20010db8000000000000000000000001'.repeat(2) +
        '8000000000010002',
      '00112233445566778899aabb0806' + '00010800060400010101010101010a0000010000000000000a000002',
      '00112233445566778899aabb08004500003c00014000400626b90a0000010a00000204d20035000003e800000000a01803e800000000020405b4010303070402080a00000001000000000000',
    ];
    const linktypes = Object.values(LINKTYPE);
    const flagSets = [
      {},
      { verbose: 3 },
      { linkHeader: true, hexAscii: 2 },
      { quick: true, ascii: 1 },
      { hex: 1, absoluteSeq: true, tsStyle: 3 as const },
    ];
    for (let i = 0; i < 4000; i++) {
      const base = Buffer.from(templates[i % templates.length] as string, 'hex');
      const len = Math.floor(rand() * (base.length + 40));
      const data = Buffer.alloc(len);
      for (let j = 0; j < len; j++)
        data[j] = j < base.length && rand() < 0.9 ? (base[j] as number) : Math.floor(rand() * 256);
      const ctx = new PrintContext({ ...flagSets[i % flagSets.length], utc: true });
      const linktype = i % 3 === 0 ? (linktypes[i % linktypes.length] as number) : LINKTYPE.ETHERNET;
      const wire = len + Math.floor(rand() * 3) * Math.floor(rand() * 70000);
      const pkt = { tsSec: Math.floor(rand() * 2 ** 32), tsNsec: Math.floor(rand() * 1e9), caplen: len, len: wire };
      const text = formatPacket(ctx, linktype, { ...pkt, data, offset: 0 });
      expect(text.endsWith('\n')).toBe(true);
      // Only a short packet may end a line early: any other exception is a printer bug.
      expect(ctx.internalErrors, `packet ${i}: ${data.toString('hex')}`).toBe(0);
      // Read in place, inside memory holding other bytes before and after it (as a file's chunk does): the same
      // text, so no printer reads outside the packet's captured bytes.
      const around = Buffer.alloc(len + 80);
      for (let j = 0; j < around.length; j++) around[j] = Math.floor(rand() * 256);
      const at = 1 + Math.floor(rand() * 39);
      data.copy(around, at);
      const again = new PrintContext({ ...flagSets[i % flagSets.length], utc: true });
      expect(formatPacket(again, linktype, { ...pkt, data: around, offset: at }), `packet ${i} at ${at}`).toBe(text);
    }
  });

  it('printers read packet bytes only through Reader methods (no views to index, no buf[i], no readUInt*)', () => {
    const dir = join(__dirname, '../../src/print');
    // A view of the packet's bytes (r.buf, or a bytes() view) invites indexing by hand; the others index or decode
    // them directly.
    const rules = [
      /\.buf\b/,
      /\.bytes\(/,
      /\b(?:buf|bytes|data|view|pkt)\s*\[/,
      /\.read(?:Big)?U?Int/,
      /\.get(?:Big)?U?int/i,
    ];
    const offenders: string[] = [];
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.ts') || f === 'reader.ts') continue;
      const text = readFileSync(join(dir, f), 'utf8');
      for (const rule of rules) if (rule.test(text)) offenders.push(`${f}: ${rule.source}`);
    }
    expect(offenders).toEqual([]);
  });
});
