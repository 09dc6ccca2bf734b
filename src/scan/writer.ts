/**
 * Flow control of scan output: results are written in batches (one per turn of the event loop), counted per
 * state, and while stdout (or stderr, for -v) has more queued than it wants, the lanes start no probes.
 */
import type { Io } from '../lib/io.js';
import { emptyCounts, portJson, portLine, verboseLine, type PortResult, type StateCounts } from './output.js';
import type { Progress } from './progress.js';

export interface WriterOptions {
  json: boolean;
  verbose: boolean;
  numeric: boolean;
}

/** Writes results as they are released, pausing `flow` while a stream is full. */
export class ResultWriter {
  readonly counts: StateCounts = emptyCounts();
  /** Who starts probes: paused while output waits for 'drain'. */
  flow: { pause(): void; resume(): void } | undefined;
  private readonly out: string[] = [];
  private readonly err: string[] = [];
  private flushing = false;
  private waiting = 0;
  private closed = false;

  constructor(
    private readonly io: Io,
    private readonly opts: WriterOptions,
    private readonly progress: Progress,
  ) {}

  /** Counts and queues the lines of `r`; they are written on the next turn. */
  write(r: PortResult): void {
    if (this.closed) return;
    this.counts[r.state]++;
    if (this.opts.json) this.out.push(portJson(r));
    if (this.opts.verbose) this.err.push(verboseLine(r, this.opts.numeric));
    else if (!this.opts.json && r.state === 'open') this.out.push(portLine(r));
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => {
        this.flushing = false;
        this.flush();
      });
    }
  }

  /** Writes what is queued now. */
  flush(): void {
    if (this.out.length === 0 && this.err.length === 0) return;
    this.progress.hide(); // a terminal shows stdout and stderr on one screen: no line after a half progress line
    if (this.out.length > 0) this.send(this.io.stdout, this.out.splice(0).join('\n') + '\n');
    if (this.err.length > 0) this.send(this.io.stderr, this.err.splice(0).join('\n') + '\n');
  }

  /** Writes what is queued and takes no more results (the summary comes next). */
  close(): void {
    this.flush();
    this.closed = true;
  }

  private send(stream: NodeJS.WritableStream, text: string): void {
    if (stream.write(text) || !this.flow) return;
    if (this.waiting++ === 0) this.flow.pause();
    stream.once('drain', () => {
      if (--this.waiting === 0) this.flow?.resume();
    });
  }
}
