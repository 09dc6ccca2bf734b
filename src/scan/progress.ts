/** Progress of a large scan on stderr (done/total, rate, ETA), when stderr is a terminal. */
import type { Io } from '../lib/io.js';

/** Scans with fewer probes than this show no progress. */
const PROGRESS_MIN_PROBES = 5000;
const PROGRESS_EVERY_MS = 250;

export interface Progress {
  tick(): void;
  /** Erases the progress line until the next update. */
  hide(): void;
  /** Erases it and stops updating. */
  clear(): void;
}

/** Starts showing progress toward `expected` probes; silent unless stderr is a terminal and `verbose` is off. */
export function startProgress(io: Io, verbose: boolean, expected: number): Progress {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  if (!tty || expected < PROGRESS_MIN_PROBES || verbose) return { tick: () => {}, hide: () => {}, clear: () => {} };
  const t0 = performance.now();
  let done = 0;
  let shown = false;
  const timer = setInterval(() => {
    const s = (performance.now() - t0) / 1000;
    const rate = done / Math.max(s, 0.001);
    const eta = rate > 0 ? Math.ceil((expected - done) / rate) : 0;
    io.stderr.write(`\rntk: scan: ${done}/${expected} probes, ${Math.round(rate)}/s, ETA ${eta} s\x1b[K`);
    shown = true;
  }, PROGRESS_EVERY_MS);
  const hide = (): void => {
    if (shown) io.stderr.write('\r\x1b[K');
    shown = false;
  };
  return {
    tick: () => void done++,
    hide,
    clear: () => {
      clearInterval(timer);
      hide();
    },
  };
}
