/**
 * Live capture through the `cap` package (libpcap), behind the PacketSource interface.
 */
import type { PacketSource } from './source.js';
import { createError } from '../errors.js';

export interface LiveOptions {
  /** The interface name (undefined: the first non-loopback interface that is up). */
  iface?: string;
  /** The BPF filter expression ('' for none). */
  filter: string;
  /** Bytes kept of each packet. */
  snaplen: number;
}

/** A live source, with what the capture layer can tell about its counts at the end. */
export interface LiveSource extends PacketSource {
  /** The interface actually opened. */
  readonly iface: string;
  /** tcpdump's closing counts that can be known honestly ("N packets received by filter", …); may be empty. */
  closingCounts(): string[];
}

/** Opens a live capture; throws E_CAPTURE (no such interface, bad filter) or E_PERM (no privileges). */
export async function openLive(_opts: LiveOptions): Promise<LiveSource> {
  throw createError('E_CAPTURE', 'watch', 'live capture is not available in this version');
}

/** Returns tcpdump -D's lines: "1.eth0 [Up, Running, Connected]", … */
export async function listDevices(): Promise<string[]> {
  throw createError('E_CAPTURE', 'watch', 'live capture is not available in this version');
}
