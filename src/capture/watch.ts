/**
 * `ntk watch`: packets from a source (a live interface or a pcap file) to tcpdump-identical lines on stdout,
 * or to a pcap file with -w.
 */
import type { Io } from '../cli/io.js';
import type { PrintOptions } from '../print/context.js';
import { createError } from '../errors.js';

export interface WatchOptions {
  print: PrintOptions;
  /** -i: the interface to capture on (undefined: the first non-loopback interface that is up, as tcpdump). */
  iface?: string;
  /** -r: read packets from this pcap file instead of capturing. */
  readFile?: string;
  /** -w: write packets to this pcap file instead of printing them ("-" for stdout). */
  writeFile?: string;
  /** -c: stop after this many packets. */
  count?: number;
  /** -s: bytes of each packet to keep (tcpdump's default 262144). */
  snaplen: number;
  /** The BPF filter expression ('' for none), compiled by libpcap. */
  filter: string;
  /** -D: list the interfaces and exit. */
  listDevices: boolean;
  /** -p was given: cap always captures in promiscuous mode, which ntk says instead of pretending. */
  noPromisc: boolean;
}

/** Runs `ntk watch`; resolves with the exit status. */
export async function runWatch(_opts: WatchOptions, _io: Io): Promise<number> {
  throw createError('E_INTERNAL', 'watch', 'not available in this version');
}
