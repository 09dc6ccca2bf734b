/**
 * What a TCP scan lane needs from a way of connecting: start a connection attempt, hear how it ended, abandon
 * it. Two dialers implement it: uv-dialer.ts on libuv's TCP handles (fast) and net-dialer.ts on net.Socket (the
 * public-API fallback). The lane (lane.ts) does the pacing, claiming and timeouts for both.
 */

/** Status of a probe that connected to itself: TCP simultaneous open of port P from ephemeral port P. */
export const SELF_CONNECT = 1;

/** One connection attempt in flight. The dialer sets `k`; the lane keeps the rest. */
export interface Attempt {
  /** The probe index. */
  k: number;
  /** When it started (performance.now()). */
  t: number;
  /** Answered, timed out or dropped: the attempt is over for the lane (set by the lane). */
  settled: boolean;
  /** Old enough to have left the window of fresh attempts (timeouts.ts). */
  stalled: boolean;
}

/** Starts and abandons connection attempts for one lane. */
export interface Dialer {
  /**
   * Starts connecting to address:port as probe `k`: returns the attempt, or the libuv status (negative errno)
   * when it failed at once. The answer comes later through the factory's `answer`, unless abandoned first.
   */
  dial(k: number, address: string, family: 4 | 6, port: number): Attempt | number;
  /** Closes an unsettled attempt (timed out or stopped); its answer, if any, is not delivered. */
  abandon(a: Attempt): void;
}

/**
 * Makes a lane's dialer. `answer(a, status)` is called once per attempt that is not settled when its connect
 * completes: status 0 (connected, and closed already: with a RST unless `fin`), SELF_CONNECT, or a negative errno.
 */
export type DialerFactory = (fin: boolean, answer: (a: Attempt, status: number) => void) => Dialer;
