/**
 * Re-probing and banners: an open port on one of this machine's own addresses is probed once more, alone,
 * because two probes on loopback can connect to each other (TCP simultaneous open, RFC 9293 §3.5) without any
 * listener; with --banner, an open TCP port is read (banner.ts).
 */
import { UV } from '../lib/errno.js';
import type { Proto } from '../lib/services.js';
import { BANNER_CONCURRENCY, BANNER_WAIT_MS, limiter, readBanner } from './banner.js';
import type { EngineJob, TcpEngine } from './engine.js';
import { portResult, type PortResult, type ScanHost } from './output.js';
import { runUdpEngine } from './udp.js';

export interface FollowUpOptions {
  proto: Proto;
  timeoutMs: number;
  fin: boolean;
  banner: boolean;
}

interface Answer {
  status: number;
  rttMs: number;
}

/** Follows up open ports, one quiet probe at a time and a few banner reads at a time. */
export class OpenFollowUp {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly bannerSlot = limiter(BANNER_CONCURRENCY);
  private readonly pending: Promise<unknown>[] = [];

  constructor(
    private readonly opts: FollowUpOptions,
    private readonly engine: TcpEngine,
  ) {}

  /** True when a probe of `host` that answered `status` needs following up. */
  wants(host: ScanHost, status: number): boolean {
    return status === 0 && (host.local || (this.opts.banner && this.opts.proto === 'tcp'));
  }

  /** Follows up the open port `r` of `host`; `settle` gets the final result. */
  follow(r: PortResult, host: ScanHost, settle: (r: PortResult) => void): void {
    this.pending.push(this.finish(r, host).then(settle));
  }

  /** Resolves when every follow-up has settled. */
  async idle(): Promise<void> {
    await this.chain;
    await Promise.all(this.pending);
  }

  private async finish(r: PortResult, host: ScanHost): Promise<PortResult> {
    let done = r;
    if (host.local) {
      const turn = this.chain.then(() => this.confirm(host, r.port));
      this.chain = turn.catch(() => undefined);
      const again = await turn;
      // The first answer stands when the quiet probe heard nothing (a UDP service may answer only sometimes).
      if (again.status !== 0 && again.status !== UV.ETIMEDOUT) {
        done = portResult(host, r.port, r.proto, again.status, again.rttMs);
      }
    }
    if (this.opts.banner && done.state === 'open') {
      const wait = Math.min(this.opts.timeoutMs, BANNER_WAIT_MS);
      const banner = await this.bannerSlot(() => readBanner(host, r.port, wait));
      if (banner.length > 0) done = { ...done, banner };
    }
    return done;
  }

  /**
   * One quiet probe of an open port: the answer when no other probe of ours is in flight to cross it (TCP
   * simultaneous open, or a UDP probe that receives another probe's datagram).
   */
  private async confirm(host: ScanHost, port: number): Promise<Answer> {
    const { opts } = this;
    let answer: Answer = { status: UV.ETIMEDOUT, rttMs: opts.timeoutMs };
    const one = { hosts: [{ address: host.address, family: host.family }], ports: [port], first: 0, step: 1, count: 1 };
    if (opts.proto === 'udp') {
      const emit = (_k: number, status: number, rttMs: number): void => void (answer = { status, rttMs });
      const job = { ...one, concurrency: 1, rate: 0, retries: 1, timeoutMs: opts.timeoutMs };
      await runUdpEngine(job, emit, new AbortController().signal);
      return answer;
    }
    const job: EngineJob = {
      ...one,
      claim: new BigInt64Array(1),
      concurrency: 1,
      timeoutMs: opts.timeoutMs,
      rate: 0,
      fin: opts.fin,
    };
    return new Promise((resolve) => {
      this.engine(
        job,
        (b) => (answer = { status: b[1] as number, rttMs: b[2] as number }),
        () => resolve(answer),
      );
    });
  }
}
