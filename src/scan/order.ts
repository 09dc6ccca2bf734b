/**
 * Puts probe results, which complete out of order, back into space order without an object per probe: a ring
 * of typed arrays indexed by sequence number (probe k of a shard I/N has sequence (k - I) / N), with a map for
 * the rare result that lands further ahead than the ring reaches. A result can also be held (an open port being
 * confirmed or read for a banner) and settled later with its final form.
 */

/** Receives each result in order: its sequence number, status and rtt, or the settled form of a held one. */
export type Release<T> = (seq: number, status: number, rttMs: number, settled: T | undefined) => void;

const EMPTY = 0;
const READY = 1;
const HELD = 2;

export class ResultOrder<T> {
  private readonly size: number;
  private readonly state: Uint8Array;
  private readonly status: Int32Array;
  private readonly rtt: Float64Array;
  /** Results beyond the ring's reach: [status, rtt], or null for one held. */
  private readonly ahead = new Map<number, [number, number] | null>();
  private readonly settled = new Map<number, T>();
  private next = 0;

  /**
   * `count` results are expected (sequence 0..count-1); `skip(seq)` says a sequence will never come (its host
   * did not resolve); `release` receives them in order. `ringBits` sets the ring to 2^ringBits entries.
   */
  constructor(
    private readonly count: number,
    private readonly skip: (seq: number) => boolean,
    private readonly release: Release<T>,
    ringBits = 16,
  ) {
    this.size = 1 << ringBits;
    this.state = new Uint8Array(this.size);
    this.status = new Int32Array(this.size);
    this.rtt = new Float64Array(this.size);
  }

  /** Records the result of `seq` and releases whatever is now in order. */
  put(seq: number, status: number, rttMs: number): void {
    if (seq - this.next >= this.size) {
      this.ahead.set(seq, [status, rttMs]);
      return;
    }
    const i = seq & (this.size - 1);
    this.state[i] = READY;
    this.status[i] = status;
    this.rtt[i] = rttMs;
    if (seq === this.next) this.drain();
  }

  /** Marks `seq` as waiting for settle(); results after it wait too. */
  hold(seq: number): void {
    if (seq - this.next >= this.size) this.ahead.set(seq, null);
    else this.state[seq & (this.size - 1)] = HELD;
  }

  /** Gives a held result its final form and releases whatever is now in order. */
  settle(seq: number, value: T): void {
    this.settled.set(seq, value);
    if (seq - this.next >= this.size) this.ahead.set(seq, [0, 0]);
    else this.state[seq & (this.size - 1)] = READY;
    this.drain();
  }

  /** True once every expected result has been released. */
  get done(): boolean {
    return this.next >= this.count;
  }

  /** Releases results from the next expected one on, as far as they are in. */
  drain(): void {
    while (this.next < this.count) {
      const seq = this.next;
      const i = seq & (this.size - 1);
      if (this.state[i] !== READY) {
        const far = this.ahead.size > 0 ? this.ahead.get(seq) : undefined;
        if (far === null) {
          this.ahead.delete(seq);
          this.state[i] = HELD;
          return;
        }
        if (far) {
          this.ahead.delete(seq);
          this.state[i] = READY;
          [this.status[i], this.rtt[i]] = far;
        } else if (this.state[i] === EMPTY && this.skip(seq)) {
          this.next++;
          continue;
        } else {
          return;
        }
      }
      this.state[i] = EMPTY;
      this.next++;
      const value = this.settled.size > 0 ? this.settled.get(seq) : undefined;
      if (value !== undefined) this.settled.delete(seq);
      this.release(seq, this.status[i] as number, this.rtt[i] as number, value);
    }
  }
}
