/** Packets for tests, built from bytes. */
import type { Packet } from '../../src/print/packet.js';

/** Builds a Packet from bytes (hex string or buffer), with `len` defaulting to the captured length. */
export function packetOf(bytes: string | Uint8Array, tsSec = 0, tsNsec = 0, len?: number): Packet {
  const data = typeof bytes === 'string' ? Uint8Array.from(Buffer.from(bytes.replace(/\s+/g, ''), 'hex')) : bytes;
  return { tsSec, tsNsec, caplen: data.length, len: len ?? data.length, data, offset: 0 };
}
