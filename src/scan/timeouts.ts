/**
 * Timeouts: the attempts of a lane in start order (so their deadlines are in order too). An attempt past the
 * timeout is expired (filtered). One several round trips old was probably dropped: it keeps its descriptor
 * until the timeout but leaves the window of fresh attempts ("stalled"), so filtered ports do not slow the rest.
 */
import type { Attempt } from './dialer.js';

/** Settled entries at the head of the queue are cut off once there are this many and they are most of it. */
const COMPACT_AFTER = 4096;

/** The attempts in flight of one lane. */
export class InFlight {
  private readonly queue: Attempt[] = [];
  private head = 0;
  /** Queue entries before this one have been checked for stalling. */
  private stallAt = 0;
  /** Smoothed round-trip time of answered attempts (RFC 6298 §2, gain 1/8). */
  private srtt = 0;
  /** Attempts not settled. */
  count = 0;
  /** Of those, the stalled ones. */
  stalled = 0;

  add(a: Attempt): void {
    this.queue.push(a);
    this.count++;
  }

  /** Settles `a` (answered, expired or dropped). */
  settle(a: Attempt): void {
    a.settled = true;
    this.count--;
    if (a.stalled) this.stalled--;
  }

  /** Settles an answered attempt and learns from its round-trip time, which it returns. */
  answered(a: Attempt, now: number): number {
    this.settle(a);
    const rtt = now - a.t;
    this.srtt = this.srtt === 0 ? rtt : this.srtt + (rtt - this.srtt) / 8;
    return rtt;
  }

  /** Settles every attempt started `timeoutMs` or more before `now`, passing each to `expire`; marks the stale. */
  sweep(now: number, timeoutMs: number, expire: (a: Attempt) => void): void {
    const { queue } = this;
    while (this.head < queue.length) {
      const a = queue[this.head] as Attempt;
      if (!a.settled) {
        if (a.t + timeoutMs > now) break;
        this.settle(a);
        expire(a);
      }
      this.head++;
    }
    const stale = Math.max(10, 4 * this.srtt);
    if (this.stallAt < this.head) this.stallAt = this.head;
    while (this.stallAt < queue.length) {
      const a = queue[this.stallAt] as Attempt;
      if (!a.settled && now - a.t < stale) break;
      if (!a.settled) {
        a.stalled = true;
        this.stalled++;
      }
      this.stallAt++;
    }
    if (this.head > COMPACT_AFTER && this.head * 2 > queue.length) {
      queue.splice(0, this.head);
      this.stallAt -= this.head;
      this.head = 0;
    }
  }

  /** Settles every attempt in flight, passing each to `drop`. */
  clear(drop: (a: Attempt) => void): void {
    for (let i = this.head; i < this.queue.length; i++) {
      const a = this.queue[i] as Attempt;
      if (!a.settled) {
        this.settle(a);
        drop(a);
      }
    }
  }
}
