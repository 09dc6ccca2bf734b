/** What every printer is given: one captured packet, its link type (pcap LINKTYPE_ values) and the snap length. */

/** One captured packet. */
export interface Packet {
  /** Capture time: whole seconds since the epoch, UTC. */
  tsSec: number;
  /** Capture time: nanoseconds within the second (files with microsecond precision have multiples of 1000). */
  tsNsec: number;
  /** Bytes captured (those of `data` from `offset` on). */
  caplen: number;
  /** Bytes on the wire (≥ caplen). */
  len: number;
  /**
   * The memory the captured bytes lie in, from `offset` on (a file's chunk holds thousands of packets, and a view
   * of each would cost an allocation per packet); owned by the consumer (sources never reuse this memory), unless
   * the consumer said it keeps nothing of a packet once it has taken it (PacketSink.transient).
   */
  data: Uint8Array;
  /** Where the packet's first byte is in `data`. */
  offset: number;
}

/** The captured bytes of `pkt` as a view of their own. */
export function packetBytes(pkt: Packet): Uint8Array {
  return pkt.data.subarray(pkt.offset, pkt.offset + pkt.caplen);
}

/** libpcap's largest snapshot length for ordinary link types (MAXIMUM_SNAPLEN), and tcpdump's default -s. */
export const MAX_SNAPLEN = 262144;

/** pcap LINKTYPE_ values (https://www.tcpdump.org/linktypes.html) that ntk prints. */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;
