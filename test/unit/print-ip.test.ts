/** IPv4, UDP, ICMP and ARP printing, checked against tcpdump 4.99's text for the same bytes. */
import { describe, expect, it } from 'vitest';
import { packetOf } from '../../src/capture/memory';
import { LINKTYPE } from '../../src/capture/source';
import { PrintContext, type PrintOptions } from '../../src/print/context';
import { formatPacket } from '../../src/print/dispatch';

const line = (hexBytes: string, opts: Partial<PrintOptions> = {}, type = '0800'): string =>
  formatPacket(new PrintContext({ tsStyle: 1, ...opts }), LINKTYPE.ETHERNET, packetOf('00112233445566778899aabb' + type + hexBytes));

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
    expect(line('4500003800014000400126c20a0000010a0000020303de9a000000004500002800014000400626cd0a0000010a0000020d05115c00000001')).toBe(
      'IP 10.0.0.1 > 10.0.0.2: ICMP 10.0.0.2 tcp port 4444 unreachable, length 36\n',
    );
  });

  it('prints a timestamp query', () => {
    expect(line('4500002800014000400126d20a0000010a0000020d00f2fc00010002000000000000000000000000')).toBe(
      'IP 10.0.0.1 > 10.0.0.2: ICMP time stamp query id 1 seq 2, length 20\n',
    );
  });

  it('refuses ICMPv6 inside IPv4', () => {
    expect(line('4500001c00014000403a26a50a0000010a0000028000000061626364')).toBe('IP 10.0.0.1 > 10.0.0.2: [ICMPv6 requires IPv6] (invalid)\n');
  });
});

describe('arp', () => {
  const request = '00010800060400010101010101010a0000010000000000000a000002';
  it('prints requests and replies', () => {
    expect(line(request, {}, '0806')).toBe('ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28\n');
    expect(line(request, { verbose: 1 }, '0806')).toBe('ARP, Ethernet (len 6), IPv4 (len 4), Request who-has 10.0.0.2 tell 10.0.0.1, length 28\n');
    expect(line(request, { linkHeader: true }, '0806')).toBe(
      '66:77:88:99:aa:bb > 00:11:22:33:44:55, ethertype ARP (0x0806), length 42: Request who-has 10.0.0.2 tell 10.0.0.1, length 28\n',
    );
  });
  it('marks a cut packet', () => {
    expect(line(request.slice(0, 20), {}, '0806')).toBe(' [|arp]\n');
  });
});
