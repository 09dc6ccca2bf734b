/** IPv4, UDP, ICMP and ARP printing, checked against tcpdump 4.99's text for the same bytes. */
import { describe, expect, it } from 'vitest';
import { packetOf } from '../helpers/packets';
import { LINKTYPE } from '../../src/print/packet';
import { PrintContext, type PrintOptions } from '../../src/print/context';
import { formatPacket } from '../../src/print/dispatch';

const line = (hexBytes: string, opts: Partial<PrintOptions> = {}, type = '0800'): string =>
  formatPacket(
    new PrintContext({ tsStyle: 1, ...opts }),
    LINKTYPE.ETHERNET,
    packetOf('00112233445566778899aabb' + type + hexBytes),
  );

describe('ipv4', () => {
  it('prints UDP with its length, and -v the header fields and options', () => {
    const withRa = '4600002300014000401191bd0a0000010a0000029404000500010002000b0000616263';
    expect(line(withRa)).toBe('IP 10.0.0.1.1 > 10.0.0.2.2: UDP, length 3\n');
    expect(line(withRa, { verbose: 1 })).toBe(
      'IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 35, options (RA value 5))\n    10.0.0.1.1 > 10.0.0.2.2: UDP, length 3\n',
    );
  });

  it('says what is wrong with a bad header', () => {
    expect(line('43000030' + '00'.repeat(40))).toBe('IP bad-hlen 12\n');
    expect(line('4500')).toBe('IP  [|ip]\n');
    expect(line('60000000')).toBe('IP6, wrong link-layer encapsulation (invalid)\n');
  });

  it('prints a UDP length that does not fit the IP payload', () => {
    expect(line('4500002100014000401126c90a0000010a00000213881770000a000068656c6c6f')).toBe(
      'IP 10.0.0.1.5000 > 10.0.0.2.6000: UDP, length 2\n',
    );
  });
});

describe('icmp', () => {
  it('names the port of an unreachable datagram', () => {
    expect(
      line(
        '4500003800014000400126c20a0000010a0000020303de9a000000004500002800014000400626cd0a0000010a0000020d05115c00000001',
      ),
    ).toBe('IP 10.0.0.1 > 10.0.0.2: ICMP 10.0.0.2 tcp port 4444 unreachable, length 36\n');
  });

  it('prints a timestamp query', () => {
    expect(line('4500002800014000400126d20a0000010a0000020d00f2fc00010002000000000000000000000000')).toBe(
      'IP 10.0.0.1 > 10.0.0.2: ICMP time stamp query id 1 seq 2, length 20\n',
    );
  });

  it('refuses ICMPv6 inside IPv4', () => {
    expect(line('4500001c00014000403a26a50a0000010a0000028000000061626364')).toBe(
      'IP 10.0.0.1 > 10.0.0.2: [ICMPv6 requires IPv6] (invalid)\n',
    );
  });
});

describe('arp', () => {
  const request = '00010800060400010101010101010a0000010000000000000a000002';
  it('prints requests and replies', () => {
    expect(line(request, {}, '0806')).toBe('ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28\n');
    expect(line(request, { verbose: 1 }, '0806')).toBe(
      'ARP, Ethernet (len 6), IPv4 (len 4), Request who-has 10.0.0.2 tell 10.0.0.1, length 28\n',
    );
    expect(line(request, { linkHeader: true }, '0806')).toBe(
      '66:77:88:99:aa:bb > 00:11:22:33:44:55, ethertype ARP (0x0806), length 42: Request who-has 10.0.0.2 tell 10.0.0.1, length 28\n',
    );
  });
  it('marks a cut packet', () => {
    expect(line(request.slice(0, 20), {}, '0806')).toBe(' [|arp]\n');
  });
});

describe('ip in ip', () => {
  it('never lets the inner IPv6 header read past the end of the enclosing IPv4 datagram', () => {
    // IPv4 total length 74 ends 6 bytes into the DNS query; the IPv6 payload length claims all 41 bytes, which
    // were captured after the datagram. tcpdump stops at the IPv4 end (and so does ntk).
    const v6in4 =
      '4500004a00014000402900000a0000010a000002600000000029114020010db800000000000000000000000120010db8' +
      '00000000000000000000000203e800350029000012340100000100000000000003777777076578616d706c6503636f6d0000010001';
    expect(formatPacket(new PrintContext({ tsStyle: 1 }), LINKTYPE.RAW, packetOf(v6in4))).toBe(
      'IP 10.0.0.1 > 10.0.0.2: IP6 truncated-ip6 - 27 bytes missing!2001:db8::1.1000 > 2001:db8::2.53:  [|domain]\n',
    );
  });
});

describe('protocols without a printer', () => {
  it('print their addresses, as tcpdump does for any protocol it does not decode (SCTP, DCCP)', () => {
    const ctx = new PrintContext({ tsStyle: 1 });
    const sctp4 =
      '4500003400014000408400000a0000010a000002' +
      '04d2005000000001000000000100001400000001' +
      '0000ffff000a000a00000001';
    const dccp6 =
      '6000000000142140' +
      '20010db8000000000000000000000001' +
      '20010db8000000000000000000000002' +
      '04d2005003000000010000000000000100000000';
    expect(formatPacket(ctx, LINKTYPE.RAW, packetOf(sctp4))).toBe('IP 10.0.0.1 > 10.0.0.2:  ip-proto-132 32\n');
    expect(formatPacket(ctx, LINKTYPE.RAW, packetOf(dccp6))).toBe('IP6 2001:db8::1 > 2001:db8::2:  ip-proto-33 20\n');
  });
});
