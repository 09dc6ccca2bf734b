import { describe, expect, it } from 'vitest';
import { parseProcNet } from '../../src/lib/socktable';
import { formatTable, hintFor, jsonRow, matches, parseFilter, timerText } from '../../src/sockets/table';

// A LISTEN, a TIME_WAIT (47 s left), and an ESTABLISHED socket retransmitting (5th time, 3.2 s to go).
const TCP4 = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:3039 00000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 46 1 0 100 0 0 10 0
   1: 0100007F:3039 0100007F:D431 06 00000000:00000000 03:0000125C 00000000     0        0 0 3 0
   2: 01FAFA0A:D431 02FAFA0A:3039 01 0000000C:00000000 01:00000140 00000005  1000        0 5555 1 0 20 4 30 10 -1
`;
const entries = parseProcNet(TCP4, 'tcp', 4);

describe('socket table rows', () => {
  it('reads queues, the retransmission count and probes', () => {
    expect(entries[0]).toMatchObject({ recvQ: 2, sendQ: 0, state: 'LISTEN' });
    expect(entries[2]).toMatchObject({ sendQ: 12, timer: 1, timerMs: 3200, retransmits: 5, probes: 0 });
  });
  it('names the timer that matters', () => {
    expect(timerText(entries[0]!)).toBe('');
    expect(timerText(entries[1]!)).toBe('timewait 47s');
    expect(timerText(entries[2]!)).toBe('retrans 3.2s #5');
  });
  it('names the keep-alive timer and its unanswered probes', () => {
    const [ka] = parseProcNet(
      `header\n   0: 0100007F:D431 0100007F:1F90 01 00000000:00000000 02:0002BF20 00000000  1000        2 777 1 0 20 4 30 10 -1\n`,
      'tcp',
      4,
    );
    expect(timerText(ka!)).toBe('keepalive 1800s #2');
    expect(hintFor(ka!)).toBe('2 keep-alive probes unanswered by 127.0.0.1:8080');
  });
  it('hints at a half-open connection', () => {
    expect(hintFor(entries[2]!, 15)).toBe(
      'no ACK from 10.250.250.2:12345 after 5 retransmissions: the peer may be gone (half-open); the kernel gives up after 15 (net.ipv4.tcp_retries2)',
    );
    expect(hintFor(entries[0]!)).toBeUndefined();
  });
  it('says a closed socket still retrying its FIN is no half-open session: no program owns it', () => {
    const [orphan] = parseProcNet(
      `header\n   0: 01FAFA0A:D431 02FAFA0A:3039 0B 00000001:00000000 01:00000140 00000008     0        0 0 1 0 20 4 30 10 -1\n`,
      'tcp',
      4,
    );
    expect(orphan).toMatchObject({ state: 'CLOSING', inode: 0, retransmits: 8 });
    expect(hintFor(orphan!, 15)).toBe(
      'no ACK from 10.250.250.2:12345 after 8 retransmissions, and no program owns the socket any more: the kernel gives up after net.ipv4.tcp_orphan_retries (8 when 0)',
    );
  });
  it('lines the columns up, the queues to the right, a hint under its socket', () => {
    const lines = formatTable(
      entries.map((entry) => ({ entry, owners: entry.inode === 5555 ? [{ pid: 42, comm: 'ntk', fd: 3 }] : [] })),
      { numeric: true },
    );
    expect(lines).toEqual([
      'Netid State       Recv-Q Send-Q Local Address:Port Peer Address:Port  Timer           Process',
      'tcp   LISTEN           2      0 127.0.0.1:12345    0.0.0.0:*',
      'tcp   TIME_WAIT        0      0 127.0.0.1:12345    127.0.0.1:54321    timewait 47s',
      'tcp   ESTABLISHED      0     12 10.250.250.1:54321 10.250.250.2:12345 retrans 3.2s #5 42/ntk',
      '      ^ no ACK from 10.250.250.2:12345 after 5 retransmissions: the peer may be gone (half-open)',
    ]);
  });
  it('writes one JSON object per socket', () => {
    const o = JSON.parse(jsonRow({ entry: entries[1]!, owners: [] })) as Record<string, unknown>;
    expect(o).toMatchObject({ state: 'TIME_WAIT', timer: 'timewait', timerMs: 47_000, peerPort: 54321, hint: null });
  });
});

describe('parseFilter', () => {
  it('takes ports, states, protocols and addresses', () => {
    expect(parseFilter('sockets', '12345')).toEqual({ kind: 'port', port: 12345 });
    expect(parseFilter('sockets', ':ssh')).toEqual({ kind: 'port', port: 22 });
    expect(parseFilter('sockets', 'time-wait')).toEqual({ kind: 'state', state: 'TIME_WAIT' });
    expect(parseFilter('sockets', 'UDP')).toEqual({ kind: 'proto', proto: 'udp' });
    expect(parseFilter('sockets', '::1')).toEqual({ kind: 'address', address: '::1' });
    expect(() => parseFilter('sockets', '1.2.3')).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });
  it('matches all filters; -l keeps listeners only', () => {
    const f = [parseFilter('s', '12345'), parseFilter('s', 'TIME_WAIT')];
    expect(entries.filter((e) => matches(e, f, false))).toHaveLength(1);
    expect(entries.filter((e) => matches(e, [], true)).map((e) => e.state)).toEqual(['LISTEN']);
    expect(entries.filter((e) => matches(e, [parseFilter('s', '10.250.250.2')], false))).toHaveLength(1);
  });
});
