/**
 * Live capture through the `cap` package (libpcap), behind the PacketSource interface. What this hides:
 *
 * - cap (with ntk's patch) writes the packets ready at each wakeup into one batch buffer, each after its libpcap
 *   header (captured length, length on the wire, the kernel's timestamp), and emits ('batch', count, bytes): one
 *   call into JavaScript for many packets. Each packet is copied out before the handler returns, unless the
 *   consumer keeps nothing (PacketSink.transient).
 * - Delivery is immediate (each packet as it comes) unless the caller asks for blocks (`blockMs`): the kernel
 *   then wakes ntk once a block of the ring is full or `blockMs` after its first packet, far fewer wakeups
 *   under load.
 * - cap captures at most 65535 bytes of a packet; ntk's patch makes libpcap's snaplen the size of the shared
 *   buffer, so `-s` (or a session's smaller snaplen) is set in the kernel, which then copies no more than that.
 * - cap always opens in promiscuous mode. pcap_stats (the patch's stats()) is read when the capture stops, before
 *   the handle closes, for tcpdump's closing counts.
 * - No cap handle may ever be garbage-collected (see `retainedHandles`).
 * - The uv poll handle keeps the process alive until close(), which the caller calls on an interrupt.
 */
import { existsSync } from 'node:fs';
import type { PacketSink, PacketSource, SourceEnd } from './source.js';
import type { Packet } from '../print/packet.js';
import { LINKTYPE } from '../print/packet.js';
import { createError } from '../lib/errors.js';
import { errnoWords } from '../lib/errno.js';
import { loadCap, type CapBinding, type CapHandle } from './native.js';
import { dropPrivileges, secureExecution } from './privileges.js';
import { defaultInterface, deviceLines, isKnownDevice } from './devices.js';
import type { CapStats } from './native.js';

const CONTEXT = 'watch';

/** cap's largest snapshot length: no packet it delivers is longer. */
export const CAP_SNAPLEN = 65535;

/**
 * The kernel ring buffer libpcap gets (pcap_set_buffer_size). In immediate mode libpcap uses TPACKET_V2, whose
 * ring has one fixed slot per packet sized for the snaplen (65535 bytes at most): 64 MiB is about a thousand slots, which
 * is what it takes to ride out a loopback burst (or a garbage-collection pause) without drops
 * (scripts/bench/capture-loss). libpcap's default is 2 MiB.
 */
export const RING_BYTES = 64 * 1024 * 1024;

/**
 * Packets are copied into slabs of this size, each packet a view of its own bytes: far fewer allocations than
 * one per packet, which cut the collector's pauses (and so capture loss) severalfold under load. A consumer that
 * keeps a few packets for long keeps their slabs alive, and should copy them.
 */
const SLAB_BYTES = 1 << 20;

/** The batch buffer cap writes packets into: many packets a call, and at least one of the largest. */
const BATCH_BYTES = 1 << 20;
/** Each packet's header in a batch: four 32-bit words. */
const BATCH_HEADER = 16;

export interface LiveOptions {
  /** The interface name (undefined: the first non-loopback interface that is up). */
  iface?: string;
  /** The BPF filter expression ('' for none). */
  filter: string;
  /** Bytes kept of each packet. */
  snaplen: number;
  /** The kernel buffer in bytes (tcpdump -B, which counts KiB); default RING_BYTES. */
  bufferSize?: number;
  /**
   * Deliver packets a block at a time, at most this many ms after the first of a block (fewer wakeups under
   * load); default: immediate mode, each packet as it comes.
   */
  blockMs?: number;
}

/** A live source, with what the capture layer can tell about its counts at the end. */
export interface LiveSource extends PacketSource {
  /** The interface actually opened. */
  readonly iface: string;
  /** Notices worth one stderr line each after opening (e.g. delivery may lag without immediate mode). */
  readonly notes: string[];
  /**
   * pcap_stats as read when the capture stopped (or now, while it runs); an Error when libpcap could not say
   * (its words), undefined before run().
   */
  stats(): CapStats | Error | undefined;
  /**
   * Gives up the privileges capture needed once it is open: root switches to `user` (-Z; "root" keeps root),
   * file capabilities are cleared (privileges.ts). Returns a notice or undefined; throws E_PERM.
   */
  dropPrivileges(user: string | undefined): string | undefined;
}

/**
 * Every cap handle created, kept for the life of the process: cap's C++ destructor is unsafe whenever the
 * garbage collector runs it. For a handle whose open() failed after pcap_create (no such device, no permission,
 * bad filter) it stops a uv poll handle that was never initialised; for a closed one, its AsyncResource emits
 * "destroy" from inside V8's weak callback. Both crash the process (seen as SIGSEGV in Pcap::~Pcap). Once closed
 * a handle holds no ring or socket, so keeping it costs a few hundred bytes; ntk opens one per run.
 */
const retainedHandles: CapHandle[] = [];

/** Opens a live capture; throws E_CAPTURE (no such interface, bad filter, no libpcap) or E_PERM (no privileges). */
export async function openLive(opts: LiveOptions): Promise<LiveSource> {
  const { binding } = loadCap();
  const devs = binding.deviceList();
  const iface = opts.iface ?? defaultInterface(devs);
  if (iface === undefined) throw createError('E_CAPTURE', CONTEXT, 'no interfaces available for capture');
  // libpcap would also say so, but only after printing its own "Warning: …" line from C.
  if (!isKnownDevice(iface, devs)) throw createError('E_CAPTURE', CONTEXT, `${iface}: No such device exists`);
  const cap = new binding.Cap();
  retainedHandles.push(cap);
  // libpcap's snaplen is the buffer's size (capped at CAP_SNAPLEN, ntk's patch to cap): one byte more than the
  // snaplen asked for, so cap never reports `truncated` (its buffer is never the limit).
  const shared = Buffer.alloc(Math.min(Math.max(1, opts.snaplen), CAP_SNAPLEN) + 1);
  let linkWord: string;
  try {
    const size = opts.bufferSize ?? RING_BYTES;
    linkWord =
      opts.blockMs === undefined
        ? cap.open(iface, opts.filter, size, shared)
        : cap.open(iface, opts.filter, size, shared, opts.blockMs);
  } catch (err) {
    throw openError(err, iface, opts.filter);
  }
  const linktype = linktypeOf(linkWord);
  const notes: string[] = [];
  if (!hasUnversionedLibpcap()) {
    notes.push(
      'libpcap.so (Debian package libpcap-dev) not found: without immediate mode packets may arrive up to 1 s late',
    );
  }
  return new LiveCapture(binding, cap, shared, iface, linktype, opts, notes);
}

/** Returns tcpdump -D's lines: "1.eth0 [Up, Running, Connected]", … */
export async function listDevices(): Promise<string[]> {
  const { binding } = loadCap();
  let devs;
  try {
    devs = binding.deviceList();
  } catch (err) {
    throw createError('E_CAPTURE', CONTEXT, `cannot list the interfaces: ${errnoWords(err)}`, { cause: err });
  }
  if (devs.length === 0) throw createError('E_CAPTURE', CONTEXT, 'no interfaces available for capture');
  return deviceLines(devs);
}

class LiveCapture implements LiveSource {
  readonly snaplen: number;
  private closed = false;
  private finish: ((end: SourceEnd) => void) | undefined;
  private finalStats: CapStats | Error | undefined;

  constructor(
    private readonly binding: CapBinding,
    private readonly cap: CapHandle,
    private readonly shared: Buffer,
    readonly iface: string,
    readonly linktype: number,
    opts: LiveOptions,
    readonly notes: string[],
  ) {
    this.snaplen = opts.snaplen;
  }

  run(sink: PacketSink): Promise<SourceEnd> {
    if (this.closed) return Promise.resolve({});
    const snaplen = Math.max(1, this.snaplen);
    const batch = Buffer.alloc(Math.max(BATCH_BYTES, this.shared.length + BATCH_HEADER + 8));
    const words = new Uint32Array(batch.buffer, batch.byteOffset, batch.length >>> 2);
    // The packets of a transient consumer are read where cap put them, through a plain Uint8Array as those of a
    // file are (the printers' reads stay of one kind).
    const bytes = new Uint8Array(batch.buffer, batch.byteOffset, batch.length);
    let slab = new ArrayBuffer(0);
    let used = 0;
    // A copy: cap writes the next batch over `batch`.
    const copy = (off: number, caplen: number): Uint8Array => {
      if (caplen > slab.byteLength - used) {
        slab = new ArrayBuffer(Math.max(SLAB_BYTES, caplen));
        used = 0;
      }
      const data = new Uint8Array(slab, used, caplen);
      data.set(batch.subarray(off, off + caplen));
      used += (caplen + 7) & ~7;
      return data;
    };
    return new Promise<SourceEnd>((resolve) => {
      this.finish = resolve;
      this.cap.setBatch(batch);
      this.cap.on('batch', (count: number) => {
        let off = 0;
        for (let i = 0; i < count && !this.closed; i++) {
          const w = off >>> 2;
          const nbytes = words[w] as number;
          const caplen = Math.min(nbytes, snaplen);
          const at = off + BATCH_HEADER;
          // A consumer that keeps nothing is done with the packet before cap writes the next batch.
          const transient = sink.transient === true;
          const pkt: Packet = {
            tsSec: words[w + 2] as number,
            tsNsec: words[w + 3] as number,
            caplen,
            len: words[w + 1] as number,
            data: transient ? bytes : copy(at, caplen),
            offset: transient ? at : 0,
          };
          off = (at + nbytes + 7) & ~7;
          try {
            sink.packet(pkt);
          } catch (err) {
            // An exception must not escape into cap's native callback (it would be an uncaught exception).
            this.stop({ error: err instanceof Error ? err : new Error(String(err)) });
          }
        }
      });
    });
  }

  close(): void {
    this.stop({});
  }

  stats(): CapStats | Error | undefined {
    return this.closed ? this.finalStats : readStats(this.cap);
  }

  dropPrivileges(user: string | undefined): string | undefined {
    return dropPrivileges(this.binding, user);
  }

  private stop(end: SourceEnd): void {
    if (this.closed) return;
    this.closed = true;
    // As tcpdump does, the counts are read before the handle closes (pcap_close forgets them).
    this.finalStats = readStats(this.cap);
    // Stops the uv poll handle (so the process can exit); pcap_close follows once cap's dispatch loop ends.
    this.cap.close();
    this.cap.removeAllListeners('batch');
    const finish = this.finish;
    this.finish = undefined;
    finish?.(end);
  }
}

/** Maps cap's link-type word ("ETHERNET", "LINKTYPE_LINUX_SLL", "Unknown linktype 276") to a LINKTYPE_ value. */
export function linktypeOf(word: string): number {
  switch (word) {
    case 'NULL':
      return LINKTYPE.NULL;
    case 'ETHERNET':
      return LINKTYPE.ETHERNET;
    case 'RAW':
      return LINKTYPE.RAW; // DLT_RAW is 12 or 14 by platform; the file format says 101.
    case 'LINKTYPE_LINUX_SLL':
      return LINKTYPE.LINUX_SLL;
    case 'IEEE802_11_RADIO':
      return 127;
  }
  const m = /^Unknown linktype (\d+)$/.exec(word);
  if (!m) throw createError('E_CAPTURE', CONTEXT, `unexpected link type from the capture layer: ${word}`);
  // On Linux the remaining DLT_ values equal their LINKTYPE_ values (https://www.tcpdump.org/linktypes.html).
  return Number(m[1]);
}

/** pcap_stats, or libpcap's reason why not. */
function readStats(cap: CapHandle): CapStats | Error {
  try {
    return cap.stats();
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** Turns cap's open() exception (libpcap's error text) into one line. */
function openError(err: unknown, iface: string, filter: string): Error {
  const text = errnoWords(err);
  if (/permission|not permitted/i.test(text)) {
    return createError(
      'E_PERM',
      CONTEXT,
      `${iface}: capturing needs root or the CAP_NET_RAW capability: run as root, or install the single ` +
        'executable for a group as root: install -o root -g pcap -m 0750 dist/ntk /usr/local/bin/ntk; ' +
        'setcap cap_net_raw=eip /usr/local/bin/ntk; /usr/local/bin/ntk install-capture',
      { cause: err },
    );
  }
  if (/No such device/i.test(text))
    return createError('E_CAPTURE', CONTEXT, `${iface}: No such device exists`, { cause: err });
  // The patched addon marks filter errors; libpcap's words are said as they are, as tcpdump says them.
  if (filter !== '' && (err as { code?: unknown } | null)?.code === 'EFILTER') {
    return createError('E_CAPTURE', CONTEXT, text, { cause: err });
  }
  return createError('E_CAPTURE', CONTEXT, `${iface}: ${text}`, { cause: err });
}

/** cap asks dlopen("libpcap.so") for pcap_set_immediate_mode; only libpcap-dev installs that unversioned name. */
function hasUnversionedLibpcap(): boolean {
  const dirs = [
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/lib/x86_64-linux-gnu',
    '/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
    '/lib',
  ];
  // The dynamic loader ignores LD_LIBRARY_PATH in a privileged process (AT_SECURE), and so does this.
  const extra = secureExecution() ? [] : (process.env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d !== '');
  return [...extra, ...dirs].some((d) => existsSync(`${d}/libpcap.so`));
}
