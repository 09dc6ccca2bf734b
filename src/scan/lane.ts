/**
 * A TCP scan lane: probes its share of the (host, port) space with as many connections in flight as allowed,
 * through a Dialer. Claiming (claim.ts), pacing (pacing.ts) and timeouts (timeouts.ts) are its parts; this file
 * joins them with the window, the retries after local resource errors, and result batching.
 *
 * Results travel as Float64Array batches of (probe index, status, rtt in ms) triples. The status is libuv's:
 * 0 connected, a negative errno (UV.ECONNREFUSED, UV.ETIMEDOUT, …), or SELF_CONNECT.
 */
import { UV } from '../lib/errno.js';
import { Claimer } from './claim.js';
import type { Attempt, Dialer, DialerFactory } from './dialer.js';
import type { EngineJob, LaneControl } from './engine.js';
import { Pacer } from './pacing.js';
import { InFlight } from './timeouts.js';

/** Out of local resources, not an answer from the target: the probe is tried again later with fewer in flight. */
const RETRY = new Set<number>([UV.EMFILE, UV.ENFILE, UV.EADDRNOTAVAIL, UV.ENOBUFS, UV.EAGAIN]);
/** With nothing of ours in flight, resource errors for this long mean the descriptors are held elsewhere. */
const GIVE_UP_MS = 10_000;
/** How soon a lane starved of descriptors tries again. */
const STARVED_RETRY_MS = 50;
/** Fresh (not stalled) attempts in flight at most: on loopback more only queue work in the kernel (2×512 is slower than 2×64). */
const WINDOW = 64;
/** Results per batch, each a triple of numbers. */
const BATCH = 1024;
/** A batch not full is sent after this long. */
const BATCH_WAIT_MS = 20;
/** Sequence numbers claimed at a time. */
const CLAIM_BLOCK = 32;
/** The timeout check runs this often. */
const TICK_MS = 10;
/** A tick this late means the thread was not running: answers may be waiting unread, so it judges nothing. */
const LATE_TICK_MS = 30;

/** Collects result triples and hands them on in batches. */
class Batcher {
  private batch = new Float64Array(3 * BATCH);
  private fill = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly emit: (batch: Float64Array) => void) {}

  add(k: number, status: number, rtt: number): void {
    const b = this.batch;
    b[this.fill++] = k;
    b[this.fill++] = status;
    b[this.fill++] = rtt;
    if (this.fill === b.length) {
      this.emit(b);
      this.batch = new Float64Array(3 * BATCH);
      this.fill = 0;
    } else this.timer ??= setTimeout(() => this.flush(), BATCH_WAIT_MS);
  }

  flush(): void {
    this.cancel();
    if (this.fill === 0) return;
    const out = this.batch.slice(0, this.fill);
    this.fill = 0;
    this.emit(out);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Probes the lane described by `job` through dialers from `makeDialer`, calling `emit` with result batches and
 * `done` once after the last one; returns the lane's controls.
 */
export function runLane(
  makeDialer: DialerFactory,
  job: EngineJob,
  emit: (batch: Float64Array) => void,
  done: () => void,
): LaneControl {
  const lane = new Lane(makeDialer, job, new Batcher(emit), done);
  lane.pump();
  return {
    stop: () => lane.stop(),
    pause: () => void (lane.paused = true),
    resume: () => {
      lane.paused = false;
      lane.pump();
    },
  };
}

/** One lane's state: what is claimed, in flight, to retry; the window and the resource back-off. */
class Lane {
  paused = false;
  private readonly claimer: Claimer;
  private readonly pacer: Pacer;
  private readonly flight = new InFlight();
  private readonly dialer: Dialer;
  private readonly retry: number[] = [];
  /** Connections in flight at most: the job's, lowered after local resource errors. */
  private cap: number;
  private stopped = false;
  private finished = false;
  private lastTick = performance.now();
  /** The last tick judged nothing (at most one in a row does). */
  private skipped = false;
  /** When the last run of resource errors with nothing in flight began. */
  private starvedSince = 0;
  private pumpTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly ticker: ReturnType<typeof setInterval>;

  constructor(
    makeDialer: DialerFactory,
    private readonly job: EngineJob,
    private readonly out: Batcher,
    private readonly done: () => void,
  ) {
    this.claimer = new Claimer(job, CLAIM_BLOCK);
    this.pacer = new Pacer(job.rate);
    this.cap = Math.max(1, job.concurrency);
    this.dialer = makeDialer(job.fin, (a, status) => this.answer(a, status));
    this.ticker = setInterval(() => this.tick(), TICK_MS);
  }

  /** Starts probes while the limits allow; finishes the lane when nothing is left. */
  pump(): void {
    if (this.stopped || this.paused || this.pumpTimer) return;
    const { flight, retry, claimer } = this;
    while (
      flight.count < this.cap &&
      flight.count - flight.stalled < WINDOW &&
      (retry.length > 0 || !claimer.exhausted)
    ) {
      const wait = this.pacer.wait();
      if (wait > 0) {
        this.later(wait);
        break;
      }
      const k = retry.length > 0 ? (retry.pop() as number) : claimer.take();
      if (k < 0) break;
      if (this.launch(k)) {
        this.starvedSince = 0;
        continue;
      }
      if (flight.count === 0) this.starved();
      break;
    }
    if (!this.finished && flight.count === 0 && retry.length === 0 && claimer.exhausted) {
      this.finished = true;
      clearInterval(this.ticker);
      this.out.flush();
      if (!this.stopped) this.done(); // stop() may come from the flushed batch's reader
    }
  }

  /** Stops at once: drops what is in flight, sends nothing more. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.ticker);
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.out.cancel();
    this.flight.clear((a) => this.dialer.abandon(a));
  }

  /** An attempt's connect completed. */
  private answer(a: Attempt, status: number): void {
    if (this.stopped) return;
    const rtt = this.flight.answered(a, performance.now());
    if (RETRY.has(status)) this.again(a.k);
    else this.out.add(a.k, status, rtt);
    this.pump();
  }

  /** Expires overdue attempts, unless this tick is late (see LATE_TICK_MS), then pumps. */
  private tick(): void {
    const now = performance.now();
    const late = now - this.lastTick > LATE_TICK_MS && !this.skipped;
    this.skipped = late;
    this.lastTick = now;
    if (late) return;
    this.flight.sweep(now, this.job.timeoutMs, (a) => {
      this.dialer.abandon(a);
      this.out.add(a.k, UV.ETIMEDOUT, now - a.t);
    });
    this.pump();
  }

  /** Starts one probe; false when local resources ran out (the probe is queued again). */
  private launch(k: number): boolean {
    const { job } = this;
    const P = job.ports.length;
    const host = job.hosts[Math.floor(k / P)];
    if (!host) return true;
    const a = this.dialer.dial(k, host.address, host.family, job.ports[k % P] as number);
    if (typeof a !== 'number') {
      this.flight.add(a);
      this.pacer.start();
      return true;
    }
    if (!RETRY.has(a)) {
      this.out.add(k, a, 0);
      return true;
    }
    this.again(k);
    return false;
  }

  /** A probe to try again later, with no more in flight than now. */
  private again(k: number): void {
    this.retry.push(k);
    this.cap = Math.max(1, this.flight.count);
  }

  /** Resource errors with nothing of ours to wait for: the descriptors are held elsewhere. Back off, give up in time. */
  private starved(): void {
    const now = performance.now();
    if (this.starvedSince === 0) this.starvedSince = now;
    if (now - this.starvedSince <= GIVE_UP_MS) return this.later(STARVED_RETRY_MS);
    for (const r of this.retry.splice(0)) this.out.add(r, UV.EMFILE, 0);
  }

  private later(ms: number): void {
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = undefined;
      this.pump();
    }, ms);
  }
}
