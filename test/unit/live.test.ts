import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CAP_SNAPLEN, linktypeOf, wireLength } from '../../src/watch/live';
import { packetOf } from '../helpers/packets';
import { type PacketSource } from '../../src/watch/source';
import { LINKTYPE } from '../../src/print/packet';
import { closingCounts, pumpPackets, type WatchOptions } from '../../src/watch/run';
import { PrintContext } from '../../src/print/context';
import { memoryIo } from '../helpers/io';
import { kernelRealtimeOffset, splitNs, startClock, tickAnchoredClock } from '../../src/watch/clock';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// An Ethernet + IPv4 header claiming a total length of 0xffff (65535), as loopback carries with its 65536 MTU.
const ETH_IP4 = hex('000000000000 000000000000 0800  4500ffff 00004000 4011 0000 7f000001 7f000001');
const ETH_VLAN_IP4 = hex('000000000000 000000000000 8100 0005 0800  4500fff0 00004000 4011 0000 7f000001 7f000001');
const ETH_IP6 = hex('000000000000 000000000000 86dd  60000000 ffd8 1140 ' + '00'.repeat(15) + '01' + '00'.repeat(15) + '01');
const SLL_IP4 = hex('0000 0304 0006 000000000000 0000 0800  4500ffff 00004000 4011 0000 7f000001 7f000001');
const RAW_IP4 = hex('4500ffff 00004000 4011 0000 7f000001 7f000001');
const NULL_IP6 = hex('1e000000 60000000 0100 1140 ' + '00'.repeat(32));

describe('wireLength', () => {
  it('takes the length on the wire from the IPv4 header when cap cut the packet', () => {
    expect(wireLength(LINKTYPE.ETHERNET, ETH_IP4, CAP_SNAPLEN)).toBe(14 + 65535);
    expect(wireLength(LINKTYPE.LINUX_SLL, SLL_IP4, CAP_SNAPLEN)).toBe(16 + 65535);
    expect(wireLength(LINKTYPE.RAW, RAW_IP4, CAP_SNAPLEN)).toBe(65535);
  });

  it('skips 802.1Q tags', () => {
    expect(wireLength(LINKTYPE.ETHERNET, ETH_VLAN_IP4, CAP_SNAPLEN)).toBe(18 + 0xfff0);
  });

  it('adds the IPv6 header to the payload length', () => {
    expect(wireLength(LINKTYPE.ETHERNET, ETH_IP6, CAP_SNAPLEN)).toBe(14 + 40 + 0xffd8);
    expect(wireLength(LINKTYPE.NULL, NULL_IP6, 300)).toBe(300); // the header says less than was captured
  });

  it('never reports less than was captured (Ethernet padding) and keeps it for what it cannot parse', () => {
    const padded = Buffer.concat([hex('000000000000 000000000000 0800 4500001c 00004000 4011 0000 7f000001 7f000001'), Buffer.alloc(26)]);
    expect(wireLength(LINKTYPE.ETHERNET, padded, 60)).toBe(60);
    expect(wireLength(LINKTYPE.ETHERNET, ETH_IP4.subarray(0, 15), 15)).toBe(15);
    expect(wireLength(LINKTYPE.ETHERNET, hex('000000000000 000000000000 0806 0001'), 60)).toBe(60);
    expect(wireLength(999, ETH_IP4, CAP_SNAPLEN)).toBe(CAP_SNAPLEN);
    expect(wireLength(LINKTYPE.RAW, new Uint8Array(0), 0)).toBe(0);
  });
});

describe('linktypeOf', () => {
  it("maps cap's link-type words to LINKTYPE_ values", () => {
    expect(linktypeOf('ETHERNET')).toBe(LINKTYPE.ETHERNET);
    expect(linktypeOf('LINKTYPE_LINUX_SLL')).toBe(LINKTYPE.LINUX_SLL);
    expect(linktypeOf('RAW')).toBe(LINKTYPE.RAW);
    expect(linktypeOf('NULL')).toBe(LINKTYPE.NULL);
    expect(linktypeOf('Unknown linktype 276')).toBe(LINKTYPE.LINUX_SLL2);
  });

  it('rejects anything else with E_CAPTURE', () => {
    expect(() => linktypeOf('bogus')).toThrow(expect.objectContaining({ code: 'E_CAPTURE' }));
  });
});

describe('capture clock', () => {
  it('splits nanoseconds into seconds and nanoseconds', () => {
    expect(splitNs(1_700_000_000_123_456_789n)).toEqual({ tsSec: 1_700_000_000, tsNsec: 123_456_789 });
  });

  it('reads the wall clock, and never goes backwards', () => {
    for (const clock of [startClock(), tickAnchoredClock()]) {
      const before = BigInt(Date.now()) * 1_000_000n;
      const a = clock.nowNs();
      const b = clock.nowNs();
      const after = BigInt(Date.now() + 1) * 1_000_000n;
      expect(b >= a).toBe(true);
      // Date.now() truncates to the millisecond; the clock must fall inside the same span (1 ms of slack).
      expect(a >= before - 1_000_000n && a <= after + 1_000_000n).toBe(true);
    }
  });

  it("reads the kernel's realtime offset from /proc/timer_list", () => {
    const text = [
      'now at 897123496969 nsecs',
      '',
      'cpu: 0',
      ' clock 0:',
      '  .base:       00000000a1b2c3d4',
      '  .index:      0',
      '  .resolution: 1 nsecs',
      '  .offset:     0 nsecs',
      'active timers:',
      ' clock 1:',
      '  .base:       00000000f3a364d1',
      '  .index:      1',
      '  .resolution: 1 nsecs',
      '  .offset:     1795918185935856522 nsecs',
      'active timers:',
    ].join('\n');
    expect(kernelRealtimeOffset(text)).toBe(1795918185935856522n);
    expect(kernelRealtimeOffset('no such thing')).toBeUndefined();
  });
});

describe('live output backpressure', () => {
  /** A stdout that accepts nothing until opened: its writes wait, so the stream's buffer grows. */
  function stuckStdout(): { stream: Writable; open(): void; lines(): number } {
    let isOpen = false;
    let waiting: (() => void) | undefined;
    let text = '';
    const stream = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString('latin1');
        if (isOpen) cb();
        else waiting = cb;
      },
    });
    return {
      stream,
      open() {
        isOpen = true;
        waiting?.();
      },
      lines: () => text.split('\n').length - 1,
    };
  }

  /** A source that cannot wait: one packet per turn of the event loop, whatever packet() returns. */
  function liveSource(total: number): { source: PacketSource; delivered: Promise<void> } {
    let closed = false;
    let done = (): void => undefined;
    const delivered = new Promise<void>((r) => (done = r));
    const source: PacketSource = {
      linktype: LINKTYPE.RAW,
      snaplen: 262144,
      async run(sink) {
        for (let i = 0; i < total && !closed; i++) {
          sink.packet(packetOf('4500001d00014000401126ca0a0000010a000002000100020009000078', i));
          await new Promise((r) => setImmediate(r));
        }
        done();
        return {};
      },
      close() {
        closed = true;
      },
    };
    return { source, delivered };
  }

  it('drops and counts packets once the output backlog passes the limit, instead of queueing them', async () => {
    const out = stuckStdout();
    const io = { ...memoryIo(), stdout: out.stream };
    const opts: WatchOptions = { print: new PrintContext({ utc: true }).opts, snaplen: 262144, filter: '', listDevices: false, noPromisc: false, maxBacklog: 4096 };
    const total = 2000;
    const { source, delivered } = liveSource(total);
    const pumped = pumpPackets(opts, io, source, undefined);
    // All packets arrive while nobody reads; then the reader catches up so the run can finish.
    await delivered;
    out.open();
    const { seen, dropped } = await pumped;
    expect(dropped).toBeGreaterThan(0);
    expect(seen + dropped).toBe(total);
    expect(out.lines()).toBe(seen);
    expect(out.stream.writableLength).toBe(0);
  });

  it('says how many packets it dropped next to the number captured', () => {
    expect(closingCounts(5, 0)).toEqual(['5 packets captured']);
    expect(closingCounts(1, 1)).toEqual(['1 packet captured', '1 packet dropped by ntk (output too slow)']);
  });
});
