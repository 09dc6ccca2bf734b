/** An in-memory PacketSource: delivers a fixed list of packets (tests, and printing packets already in hand). */
import { type PacketSink, type PacketSource, type SourceEnd } from '../../src/watch/source.js';
import { MAX_SNAPLEN, type Packet } from '../../src/print/packet.js';

/** Delivers its packets in order, waiting whenever the sink says its output is full; ends with `endError` if given. */
export class MemorySource implements PacketSource {
  private closed = false;

  constructor(
    readonly linktype: number,
    private readonly packets: Packet[],
    readonly snaplen = MAX_SNAPLEN,
    /** An error to end with after the packets (to test how consumers report it). */
    private readonly endError?: Error,
  ) {}

  async run(sink: PacketSink): Promise<SourceEnd> {
    for (const p of this.packets) {
      if (this.closed) break;
      if (sink.packet(p) === false) await sink.backlog?.();
    }
    return this.endError ? { error: this.endError } : {};
  }

  close(): void {
    this.closed = true;
  }
}

/** Builds a Packet from bytes (hex string or buffer), with `len` defaulting to the captured length. */
export function packetOf(bytes: string | Uint8Array, tsSec = 0, tsNsec = 0, len?: number): Packet {
  const data = typeof bytes === 'string' ? Uint8Array.from(Buffer.from(bytes.replace(/\s+/g, ''), 'hex')) : bytes;
  return { tsSec, tsNsec, caplen: data.length, len: len ?? data.length, data };
}
