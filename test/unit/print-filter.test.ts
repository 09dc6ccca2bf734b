/** Filters on files: pcap-filter(7)'s common primitives, evaluated as a BPF program would. */
import { describe, expect, it } from 'vitest';
import { LINKTYPE } from '../../src/print/packet';
import { compileFilter, FilterSyntaxError } from '../../src/watch/filter';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const ETH = '00112233445566778899aabb';
// 10.0.0.1:40000 > 10.0.0.2:80 TCP SYN; 10.0.0.1:1053 > 10.0.0.2:53 UDP; an ARP request; ::1 > ::1 ICMPv6.
const TCP = bytes(ETH + '0800' + '4500002800014000400626cd0a0000010a0000029c400050000003e800000000500203e800000000');
const UDP = bytes(ETH + '0800' + '4500001d00014000401126ca0a0000010a000002041d0035000900007a');
const ARP = bytes(ETH + '0806' + '00010800060400010101010101010a0000010000000000000a000002');
const ICMP6 = bytes(ETH + '86dd' + '6000000000083a40' + '00000000000000000000000000000001'.repeat(2) + '8000000000010002');
const all = { TCP, UDP, ARP, ICMP6 };

function matching(expr: string): string[] {
  const f = compileFilter(expr);
  return Object.entries(all)
    .filter(([, p]) => f(LINKTYPE.ETHERNET, p, p.length))
    .map(([n]) => n);
}

describe('compileFilter', () => {
  it('matches protocols, hosts, nets and ports', () => {
    expect(matching('')).toEqual(['TCP', 'UDP', 'ARP', 'ICMP6']);
    expect(matching('tcp')).toEqual(['TCP']);
    expect(matching('ip')).toEqual(['TCP', 'UDP']);
    expect(matching('icmp6 or arp')).toEqual(['ARP', 'ICMP6']);
    expect(matching('host 10.0.0.1')).toEqual(['TCP', 'UDP', 'ARP']);
    expect(matching('dst host 10.0.0.1')).toEqual([]);
    expect(matching('src 10.0.0.1 and port domain')).toEqual(['UDP']);
    expect(matching('net 10.0.0.0/8 and not udp')).toEqual(['TCP', 'ARP']);
    expect(matching('tcp port 80')).toEqual(['TCP']);
    expect(matching('udp port 80')).toEqual([]);
    expect(matching('portrange 50-100')).toEqual(['TCP', 'UDP']);
    expect(matching('host ::1')).toEqual(['ICMP6']);
    expect(matching('ip6 proto 58')).toEqual(['ICMP6']);
    expect(matching('! ( tcp || udp ) && ! arp')).toEqual(['ICMP6']);
  });

  it('reads an IPv6 address with an embedded IPv4 one as the same 16 bytes as its hex form', () => {
    // ::ffff:10.0.0.1 > ::1, ICMPv6 echo request.
    const mapped = bytes(ETH + '86dd' + '6000000000083a40' + '00000000000000000000ffff0a000001' + '00000000000000000000000000000001' + '8000000000010002');
    for (const expr of ['host ::ffff:10.0.0.1', 'host ::ffff:a00:1', 'src ::ffff:10.0.0.1', 'net ::ffff:10.0.0.0/104']) {
      expect(compileFilter(expr)(LINKTYPE.ETHERNET, mapped, mapped.length), expr).toBe(true);
    }
    expect(compileFilter('host ::ffff:10.0.0.2')(LINKTYPE.ETHERNET, mapped, mapped.length)).toBe(false);
  });

  it('reads the address family of NULL in either byte order and of LOOP big-endian, as the printer does', () => {
    const ip = TCP.subarray(14);
    const withFamily = (hex: string): Uint8Array => Uint8Array.from([...bytes(hex), ...ip]);
    const little = withFamily('02000000');
    const big = withFamily('00000002');
    const f = compileFilter('ip and tcp port 80');
    expect(f(LINKTYPE.NULL, little, little.length)).toBe(true);
    expect(f(LINKTYPE.NULL, big, big.length)).toBe(true);
    expect(f(LINKTYPE.LOOP, big, big.length)).toBe(true);
    expect(f(LINKTYPE.LOOP, little, little.length)).toBe(false);
  });

  it('takes "src or dst" and "src and dst" before host, net and port, in either order', () => {
    expect(matching('src or dst host 10.0.0.2')).toEqual(['TCP', 'UDP', 'ARP']);
    expect(matching('dst or src 10.0.0.1')).toEqual(['TCP', 'UDP', 'ARP']);
    expect(matching('src and dst host 10.0.0.1')).toEqual([]);
    expect(matching('src and dst host ::1')).toEqual(['ICMP6']);
    expect(matching('dst and src net ::/0')).toEqual(['ICMP6']);
    expect(matching('src or dst port 80')).toEqual(['TCP']);
    expect(matching('tcp src and dst port 80')).toEqual([]);
    expect(() => compileFilter('src or src host 10.0.0.1')).toThrow(FilterSyntaxError);
  });

  it('groups "and" and "or" left to right with equal precedence, as pcap-filter does', () => {
    expect(matching('tcp or udp and port 53')).toEqual(['UDP']);
  });

  it('rejects a packet outright when a test reads past its captured bytes, even under "not"', () => {
    const f = compileFilter('not tcp');
    const short = TCP.subarray(0, 20);
    expect(f(LINKTYPE.ETHERNET, short, short.length)).toBe(false);
  });

  it('refuses what it does not support, naming it', () => {
    expect(() => compileFilter('ether host 00:11:22:33:44:55')).toThrow(FilterSyntaxError);
    expect(() => compileFilter('ether host 00:11:22:33:44:55')).toThrow('"ether" is not supported');
    expect(() => compileFilter('port foo')).toThrow('invalid port "foo"');
    expect(() => compileFilter('(tcp')).toThrow(FilterSyntaxError);
    expect(() => compileFilter('host example.org')).toThrow('names are not looked up');
  });
});
