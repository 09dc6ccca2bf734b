import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { linktypeOf } from '../../src/watch/live';
import { packetOf } from '../helpers/packets';
import { type PacketSource } from '../../src/watch/source';
import { LINKTYPE } from '../../src/print/packet';
import { closingCounts, pumpPackets, type WatchOptions } from '../../src/watch/run';
import { PrintContext } from '../../src/print/context';
import { memoryIo } from '../helpers/io';

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
    const opts: WatchOptions = {
      print: new PrintContext({ utc: true }).opts,
      snaplen: 262144,
      filter: '',
      listDevices: false,
      noPromisc: false,
      maxBacklog: 4096,
    };
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

  it("prints tcpdump's closing counts from pcap_stats, and what ntk itself dropped after them", () => {
    expect(closingCounts(5, { received: 7, dropped: 2, ifdropped: 0 }, 0)).toEqual([
      '5 packets captured',
      '7 packets received by filter',
      '2 packets dropped by kernel',
    ]);
    expect(closingCounts(1, { received: 1, dropped: 1, ifdropped: 3 }, 1)).toEqual([
      '1 packet captured',
      '1 packet received by filter',
      '1 packet dropped by kernel',
      '3 packets dropped by interface',
      '1 packet dropped by ntk (output too slow)',
    ]);
    expect(closingCounts(0, new Error('No such device'), 0)).toEqual(['pcap_stats: No such device']);
  });
});
