/** Pacing: probes started per second at most (--rate), counted from the lane's start so bursts even out. */

/** Tells when the next probe may start. */
export class Pacer {
  private started = 0;
  private readonly t0: number;

  /** `rate`: starts per second at most; 0 for no limit. `now`: the clock, in milliseconds. */
  constructor(
    private readonly rate: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.t0 = now();
  }

  /** Milliseconds until the next start is due; 0 when it may start now. */
  wait(): number {
    if (this.rate <= 0) return 0;
    return Math.max(0, this.t0 + (this.started * 1000) / this.rate - this.now());
  }

  /** Counts a start. */
  start(): void {
    this.started++;
  }
}
