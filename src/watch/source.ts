/**
 * Where packets come from: a live interface (live.ts, through cap) or a pcap file (pcap-file.ts). The watch loop
 * consumes either the same way.
 */
import type { Packet } from '../print/packet.js';

/** The consumer of a source: gets packets, and may ask the source to wait (backpressure). */
export interface PacketSink {
  /**
   * Takes one packet. Returns false when the consumer's output is full: a source that can wait (a file) stops
   * and calls backlog() before delivering more, even in the middle of a chunk. Live sources cannot wait and
   * ignore it (the consumer drops what it cannot queue).
   */
  packet(pkt: Packet): boolean | void;
  /**
   * Called by sources that can wait (files) between batches and after packet() returned false: a promise means
   * "wait for it before delivering more" (stdout is full). Live sources never call it.
   */
  backlog?(): Promise<void> | undefined;
  /**
   * True when the consumer keeps nothing of a packet once packet() returns (it copies what it holds): a live
   * source may then hand it a view of the capture's own buffer instead of a copy.
   */
  readonly transient?: boolean;
}

/** How a source ended. */
export interface SourceEnd {
  /** Set when the source stopped on an error after delivering what it could (a truncated file, …). */
  error?: Error;
}

export interface PacketSource {
  /** The LINKTYPE_ of every packet. */
  readonly linktype: number;
  readonly snaplen: number;
  /** Delivers packets to `sink` until the source ends or close() is called. */
  run(sink: PacketSink): Promise<SourceEnd>;
  /** Stops delivery; run() then resolves. */
  close(): void;
}
