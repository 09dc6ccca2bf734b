/**
 * Claiming: the lanes of a scan share one counter of probe sequence numbers (in a SharedArrayBuffer); each lane
 * takes blocks of it as it goes, so a lane that gets less CPU simply probes less and the lanes finish together.
 */

/** The probes a lane may claim: k = first + step·s for s in 0 … count-1, s taken from `claim[0]`. */
export interface ClaimSpace {
  first: number;
  step: number;
  count: number;
  claim: BigInt64Array;
}

/** Hands out this lane's probes, `block` sequence numbers claimed at a time. */
export class Claimer {
  private next = 0;
  private end = 0;
  /** True once the shared counter has passed the end: no more probes for this lane. */
  exhausted = false;

  constructor(
    private readonly space: ClaimSpace,
    private readonly block: number,
  ) {}

  /** The next probe index k, or -1 when the space is used up. */
  take(): number {
    if (this.next >= this.end) {
      if (this.exhausted) return -1;
      const start = Number(Atomics.add(this.space.claim, 0, BigInt(this.block)));
      if (start >= this.space.count) {
        this.exhausted = true;
        return -1;
      }
      this.next = start;
      this.end = Math.min(start + this.block, this.space.count);
    }
    return this.space.first + this.space.step * this.next++;
  }
}
