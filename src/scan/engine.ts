/**
 * The TCP connect-scan engines, behind one interface (TcpEngine): a lane that probes its share of the
 * (host, port) space, claimed in blocks from a counter all lanes share. runTcpEngine dials on libuv's handles
 * (uv-dialer.ts) and also runs in worker threads (worker.ts, one per core); runSocketEngine dials with net.Socket
 * for when that binding cannot be used: slower, one thread, same results. lane.ts is the lane itself.
 */
import { SELF_CONNECT } from './dialer.js';
import { runLane } from './lane.js';
import { netDialer } from './net-dialer.js';
import { uvDialer, uvDialerUsable } from './uv-dialer.js';

export { SELF_CONNECT };

/** What a lane probes and how. Probe k is host floor(k / ports.length), port ports[k % ports.length]. */
export interface EngineJob {
  /** Resolved hosts in space order; null for a HOST that did not resolve (its probes are skipped). */
  hosts: ({ address: string; family: 4 | 6 } | null)[];
  ports: number[];
  /** The probes: k = first + step·s for s in 0 … count-1 (a shard I/N has first I and step N). */
  first: number;
  step: number;
  count: number;
  /** The next unclaimed s, shared by all lanes of a scan (a SharedArrayBuffer; see claim.ts). */
  claim: BigInt64Array;
  /** Connections in flight at most (the file-descriptor budget of this lane). */
  concurrency: number;
  /** A probe with no answer after this long is filtered. */
  timeoutMs: number;
  /** Probes started per second at most; 0: no limit. */
  rate: number;
  /** Close a connected probe with FIN (nc -z) instead of RST (nmap -sT). */
  fin: boolean;
}

/** Runs one lane of a TCP scan: `emit` gets result batches, `done` is called once after the last one. */
export type TcpEngine = (job: EngineJob, emit: (batch: Float64Array) => void, done: () => void) => LaneControl;

/** Controls a running lane. */
export interface LaneControl {
  /** Stops at once: in-flight probes are dropped, no more results. */
  stop(): void;
  /** Starts no new probe until resume() (the reader of the results is behind: backpressure). */
  pause(): void;
  resume(): void;
}

/** The fast lane, on libuv's TCP handles; only where tcpBindingUsable(). */
export const runTcpEngine: TcpEngine = (job, emit, done) => runLane(uvDialer, job, emit, done);

/** The same lane on public API (net.connect, resetAndDestroy): for when the libuv binding cannot be used. */
export const runSocketEngine: TcpEngine = (job, emit, done) => runLane(netDialer, job, emit, done);

/** True when runTcpEngine can run here (its binding is there and has the expected shape). */
export const tcpBindingUsable = uvDialerUsable;

/** The engine to use here: runTcpEngine when its binding is usable, else runSocketEngine. */
export function defaultTcpEngine(): TcpEngine {
  return tcpBindingUsable() ? runTcpEngine : runSocketEngine;
}
