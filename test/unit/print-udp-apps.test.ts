/**
 * The UDP application printers (NTP, BOOTP/DHCP, TFTP, SNMP, syslog, ISAKMP): exact lines for small hand-made
 * messages, and the rule that nothing but a short packet ends a line early, for every cut and random bytes of
 * the golden samples (scripts/udp-samples.mjs). The golden captures compare whole outputs with tcpdump's.
 */
import { describe, expect, it } from 'vitest';
import { LINKTYPE } from '../../src/print/packet';
import { PrintContext } from '../../src/print/context';
import { formatPacket } from '../../src/print/dispatch';
import { packetOf } from '../helpers/packets';
// @ts-expect-error: a plain ES module of the scripts folder, without types
import { udpSamples } from '../../scripts/udp-samples.mjs';

/** A raw IPv4/UDP packet from 10.0.0.1:sport to 10.0.0.2:dport carrying `payload` (checksums left zero). */
function udp(sport: number, dport: number, payload: Buffer): Buffer {
  const ip = Buffer.from('450000000001000040110000' + '0a000001' + '0a000002', 'hex');
  ip.writeUInt16BE(28 + payload.length, 2);
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([ip, h, payload]);
}

function line(payload: Buffer, sport: number, dport: number, opts: { verbose?: number } = {}): string {
  const ctx = new PrintContext({ tsStyle: 1, utc: true, ...opts });
  return formatPacket(ctx, LINKTYPE.RAW, packetOf(udp(sport, dport, payload)));
}

const samples = (udpSamples as () => Array<[number, number, Buffer]>)();

describe('UDP application printers', () => {
  it("prints ntk scan -u's NTP probe as tcpdump does", () => {
    const probe = Buffer.concat([Buffer.from([0xe3]), Buffer.alloc(47)]);
    expect(line(probe, 40000, 123)).toBe('IP 10.0.0.1.40000 > 10.0.0.2.123: NTPv4, Client, length 48\n');
    const verbose = line(probe, 40000, 123, { verbose: 1 });
    expect(verbose.slice(verbose.indexOf('\n') + 1)).toBe(
      '    10.0.0.1.40000 > 10.0.0.2.123: NTPv4, Client, length 48\n' +
        '\tLeap indicator: clock unsynchronized (192), Stratum 0 (unspecified), poll 0 (1s), precision 0\n' +
        '\tRoot Delay: 0.000000, Root dispersion: 0.000000, Reference-ID: (unspec)\n' +
        '\t  Reference Timestamp:  0.000000000\n' +
        '\t  Originator Timestamp: 0.000000000\n' +
        '\t  Receive Timestamp:    0.000000000\n' +
        '\t  Transmit Timestamp:   0.000000000\n' +
        '\t    Originator - Receive Timestamp:  0.000000000\n' +
        '\t    Originator - Transmit Timestamp: 0.000000000\n',
    );
  });

  it('prints one line per protocol at the default level', () => {
    const lines = samples.map(([s, d, p]) => line(p, s, d).replace(/^IP \S+ > [^:]+: /, ''));
    expect(lines).toContain('BOOTP/DHCP, Request from 02:42:ac:11:00:02, length 335\n');
    expect(lines).toContain('TFTP, length 50, RRQ "pxelinux.cfg/default" octet blksize 1428 tsize 0\n');
    expect(lines).toContain(' GetBulk(24)  N=0 M=10 .1.3.6.1.2.1.2.2\n');
    expect(lines).toContain('SYSLOG auth.critical, length: 76\n');
    expect(lines).toContain('isakmp: parent_sa ikev2_init[I]\n');
    expect(lines).toContain(' (invalid)\n');
  });

  it("ends a cut message with the protocol's mark", () => {
    const [, , tftpRrq] = samples.find(([, d]) => d === 69) as [number, number, Buffer];
    expect(line(tftpRrq.subarray(0, 10), 40069, 69)).toBe(
      'IP 10.0.0.1.40069 > 10.0.0.2.69: TFTP, length 10, RRQ "pxelinux" [|tftp]\n',
    );
    expect(line(Buffer.alloc(0), 40000, 500)).toBe('IP 10.0.0.1.40000 > 10.0.0.2.500:  [|isakmp]\n');
    expect(line(Buffer.alloc(0), 40000, 67)).toBe('IP 10.0.0.1.40000 > 10.0.0.2.67:  [|bootp]\n');
  });

  it('never fails on a cut or scrambled sample, at every verbosity', () => {
    let seed = 4242;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (const [sport, dport, payload] of samples) {
      const whole = udp(sport, dport, payload);
      for (let cut = 20; cut <= whole.length; cut += 3) {
        for (const verbose of [0, 1, 2, 3, 4]) {
          const ctx = new PrintContext({ tsStyle: 1, utc: true, verbose });
          const text = formatPacket(ctx, LINKTYPE.RAW, {
            tsSec: 0,
            tsNsec: 0,
            caplen: cut,
            len: whole.length,
            data: whole.subarray(0, cut),
            offset: 0,
          });
          expect(text.endsWith('\n')).toBe(true);
          expect(ctx.internalErrors, `${dport} cut at ${cut}, -v x${verbose}`).toBe(0);
        }
      }
      for (let i = 0; i < 60; i++) {
        const data = Buffer.from(whole);
        for (let j = 28; j < data.length; j++) if (rand() < 0.08) data[j] = Math.floor(rand() * 256);
        const ctx = new PrintContext({ tsStyle: 1, utc: true, verbose: i % 4 });
        formatPacket(ctx, LINKTYPE.RAW, {
          tsSec: 0,
          tsNsec: 0,
          caplen: data.length,
          len: data.length,
          data,
          offset: 0,
        });
        expect(ctx.internalErrors, `${dport}: ${data.toString('hex')}`).toBe(0);
      }
    }
  });
});
