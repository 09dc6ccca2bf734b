/**
 * Capture timestamps for live packets. cap hands JS neither libpcap's timestamp nor the wire length, only
 * "a packet of N bytes is in the buffer", so ntk stamps each packet when its 'packet' event runs: the monotonic
 * clock (process.hrtime.bigint, CLOCK_MONOTONIC in nanoseconds) moved onto the wall clock's time base.
 *
 * The kernel stamps packets with CLOCK_REALTIME, which is CLOCK_MONOTONIC plus an offset the kernel keeps.
 * When that offset can be read (/proc/timer_list, as root) the stamps are on exactly the kernel's time base.
 * Otherwise the offset is found by watching Date.now() tick over to its next millisecond, which is good to a few
 * microseconds on an idle machine. (Date.now() alone is truncated to the millisecond, and
 * performance.timeOrigin + performance.now() differs from the wall clock by a constant that can exceed a
 * millisecond in Node 20.) The monotonic clock keeps the stamps ordered even if the wall clock is stepped during
 * the capture; the offset is taken once, at the start.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** A wall clock in nanoseconds since the epoch, read through the monotonic clock. */
export interface CaptureClock {
  /** Nanoseconds since the epoch, now. */
  nowNs(): bigint;
}

/** Returns a clock on the wall-clock time base: exact when the kernel tells its offset, else anchored by ticks. */
export function startClock(): CaptureClock {
  const offset = kernelRealtimeOffset();
  if (offset !== undefined) return { nowNs: () => process.hrtime.bigint() + offset };
  return tickAnchoredClock();
}

/**
 * Returns CLOCK_REALTIME − CLOCK_MONOTONIC in nanoseconds as the kernel keeps it (the realtime hrtimer base's
 * `.offset` in /proc/timer_list, base index 1; the file is readable by root only), or undefined. `text` is for
 * tests.
 */
export function kernelRealtimeOffset(text?: string): bigint | undefined {
  let t = text;
  if (t === undefined) {
    try {
      // The first CPU's bases come first: 64 KiB is plenty, and the whole file can be large on big machines.
      const fd = openSync('/proc/timer_list', 'r');
      try {
        const buf = Buffer.alloc(65536);
        t = buf.toString('latin1', 0, readSync(fd, buf, 0, buf.length, null));
      } finally {
        closeSync(fd);
      }
    } catch {
      return undefined;
    }
  }
  const m = /clock 1:\s*\n\s*\.base:\s*\S+\s*\n\s*\.index:\s*1\s*\n\s*\.resolution:[^\n]*\n\s*\.offset:\s*(\d+) nsecs/.exec(t);
  return m ? BigInt(m[1] as string) : undefined;
}

/**
 * A clock anchored by watching Date.now() tick over to its next millisecond, each read bracketed by two
 * monotonic reads: the tick happened between the previous read's first bracket and this read's second, so the
 * tick seen in the narrowest such window (one the scheduler did not interrupt) pins the whole millisecond.
 * Usually the first tick qualifies (within 1 ms); on a busy machine it looks for up to 100 ms.
 */
export function tickAnchoredClock(): CaptureClock {
  const began = process.hrtime.bigint();
  let best: { hr: bigint; wallMs: number; window: bigint } | undefined;
  let prevStart = process.hrtime.bigint();
  let prevMs = Date.now();
  for (;;) {
    const start = process.hrtime.bigint();
    const wallMs = Date.now();
    const end = process.hrtime.bigint();
    if (wallMs !== prevMs) {
      const window = end - prevStart;
      if (best === undefined || window < best.window) best = { hr: prevStart + window / 2n, wallMs, window };
      if (window < 4_000n) break;
    }
    const spent = end - began;
    if (spent > 100_000_000n || (spent > 20_000_000n && best !== undefined && best.window < 100_000n)) break;
    prevStart = start;
    prevMs = wallMs;
  }
  const hr0 = best?.hr ?? process.hrtime.bigint();
  const wall0 = BigInt(best?.wallMs ?? Date.now()) * 1_000_000n;
  return { nowNs: () => wall0 + (process.hrtime.bigint() - hr0) };
}

/** Splits nanoseconds since the epoch into the Packet fields (whole seconds, nanoseconds within the second). */
export function splitNs(ns: bigint): { tsSec: number; tsNsec: number } {
  return { tsSec: Number(ns / 1_000_000_000n), tsNsec: Number(ns % 1_000_000_000n) };
}
