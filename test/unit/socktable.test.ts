import { describe, expect, it } from 'vitest';
import { conflictAdvice, decodeProcAddress, describeEntry, findConflicts, parseProcNet } from '../../src/lib/socktable';

const TCP4 = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 46 1 0000000045c9fca1 100 0 0 10 0
   1: 0100007F:3039 0100007F:0050 06 00000000:00000000 03:0000125C 00000000     0        0 0 3 000000001c261a8b
   2: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 5555 1 0000000045c9fca1 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:3039 0000000000000000FFFF00000100007F:0050 06 00000000:00000000 03:00000BB8 00000000     0        0 0 3 0000000000000000
`;

describe('decodeProcAddress', () => {
  it('decodes IPv4 words in host order', () => {
    expect(decodeProcAddress('0100007F')).toBe('127.0.0.1');
    expect(decodeProcAddress('00000000')).toBe('0.0.0.0');
    expect(decodeProcAddress('0200FA0A')).toBe('10.250.0.2');
  });
  it('decodes IPv6, IPv4-mapped and the wildcard', () => {
    expect(decodeProcAddress('00000000000000000000000001000000')).toBe('::1');
    expect(decodeProcAddress('00000000000000000000000000000000')).toBe('::');
    expect(decodeProcAddress('0000000000000000FFFF00000100007F')).toBe('::ffff:127.0.0.1');
    expect(decodeProcAddress('B80D0120000000000000000001000000')).toBe('2001:db8::1');
  });
});

describe('parseProcNet', () => {
  const entries = [...parseProcNet(TCP4, 'tcp', 4), ...parseProcNet(TCP6, 'tcp', 6)];
  it('reads states, ports and the TIME_WAIT timer in ticks of 1/100 s', () => {
    expect(entries).toHaveLength(5);
    expect(entries[0]).toMatchObject({ localAddress: '0.0.0.0', localPort: 2024, state: 'LISTEN', inode: 46 });
    expect(entries[1]).toMatchObject({
      localAddress: '127.0.0.1',
      localPort: 12345,
      remoteAddress: '127.0.0.1',
      remotePort: 80,
      state: 'TIME_WAIT',
      timer: 3,
      timerMs: 47_000,
    });
    expect(entries[2]).toMatchObject({ state: 'ESTABLISHED', uid: 1000, inode: 5555 });
    expect(entries[3]).toMatchObject({ localAddress: '::1', localPort: 8080, state: 'LISTEN' });
  });
  it('skips the header and malformed lines', () => {
    expect(parseProcNet('header\n garbage line\n', 'tcp', 4)).toEqual([]);
  });
  it('names UDP states', () => {
    const udp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 999 2 0000000000000000 0`;
    expect(parseProcNet(udp, 'udp', 4)[0]).toMatchObject({ localPort: 53, state: 'UNCONN' });
  });

  it('finds what holds a port: same address, wildcards, IPv4-mapped', () => {
    expect(findConflicts(entries, 12345, '127.0.0.1').map((e) => e.state)).toEqual(['TIME_WAIT', 'TIME_WAIT']);
    expect(findConflicts(entries, 12345, '0.0.0.0')).toHaveLength(2);
    expect(findConflicts(entries, 12345, '127.0.0.2')).toHaveLength(0);
    expect(findConflicts(entries, 2024, '127.0.0.9').map((e) => e.state)).toEqual(['LISTEN']);
    expect(findConflicts(entries, 8080, '127.0.0.1')).toHaveLength(0);
    expect(findConflicts(entries, 8080, '::1')).toHaveLength(1);
    expect(findConflicts(entries, 9999)).toHaveLength(0);
  });

  it('describes a TIME_WAIT with its 4-tuple and whole seconds left', () => {
    const tw = entries[1];
    if (!tw) throw new Error('missing entry');
    expect(describeEntry(tw, () => undefined)).toBe(
      '127.0.0.1:12345 -> 127.0.0.1:80  TIME_WAIT  47 s left of 2MSL (this side closed first)',
    );
    expect(conflictAdvice([tw], '-p', '--reuse')).toBe('wait 47 s, pick another -p, or pass --reuse');
  });

  it('describes a listener by its local address and owner', () => {
    const l = entries[0];
    if (!l) throw new Error('missing entry');
    expect(describeEntry(l, () => 'pid 42 (nc)')).toBe('0.0.0.0:2024  LISTEN  held by pid 42 (nc)');
    expect(conflictAdvice([l], '-p', undefined)).toBe('pick another -p, or end the program that holds it');
  });
});
