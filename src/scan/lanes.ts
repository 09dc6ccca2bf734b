/**
 * Running a TCP scan in lanes: lane 0 in this thread, the others in worker threads that load the bundled
 * scan-worker.cjs (worker.ts): next to the bundle, or from the single executable's asset of that name.
 */
import { startWorker, workerScript, type WorkerScript } from '../lib/worker-script.js';
import { createError } from '../lib/errors.js';
import type { EngineJob, LaneControl, TcpEngine } from './engine.js';

/** The bundled worker's file name, and its asset name in a single executable. */
export const WORKER_FILE = 'scan-worker.cjs';

/** The bundled scan worker, or null when there is none (then a scan runs in one lane). */
export function scanWorkerScript(): WorkerScript | null {
  return workerScript(WORKER_FILE);
}

/** Running TCP lanes: resolves `done` when all are finished (or stopped by `interrupt`). */
export interface Lanes {
  done: Promise<void>;
  pause(): void;
  resume(): void;
}

/**
 * Runs `jobs` (one per lane, sharing one claim counter): jobs[0] with `engine` in this thread, the others in
 * worker threads (libuv engine only), which are started once lane 0 has delivered its first results, so a scan
 * whose engine fails costs no threads. `onBatch` gets every lane's result batches.
 */
export function runTcpLanes(
  jobs: EngineJob[],
  engine: TcpEngine,
  interrupt: AbortSignal,
  onBatch: (b: Float64Array) => void,
  context: string,
): Lanes {
  const controls: LaneControl[] = [];
  let paused = false;
  const done = new Promise<void>((resolve, reject) => {
    let left = jobs.length;
    let workersStarted = false;
    const laneDone = (): void => {
      if (--left === 0) {
        interrupt.removeEventListener('abort', onAbort);
        resolve();
      }
    };
    const onAbort = (): void => {
      workersStarted = true; // none after a stop
      for (const c of controls) c.stop();
      resolve();
    };
    interrupt.addEventListener('abort', onAbort, { once: true });
    const startWorkers = (): void => {
      if (workersStarted) return;
      workersStarted = true;
      const found = jobs.length > 1 ? scanWorkerScript() : null;
      if (!found && jobs.length > 1) {
        for (const c of controls) c.stop();
        return reject(createError('E_INTERNAL', context, `${WORKER_FILE} not found`));
      }
      for (const job of jobs.slice(1)) {
        if (!found) break;
        const worker = startWorker(found, { workerData: job });
        controls.push({
          stop: () => void worker.terminate(),
          pause: () => worker.postMessage('pause'),
          resume: () => worker.postMessage('resume'),
        });
        if (paused) worker.postMessage('pause');
        worker.on('message', (m: Float64Array | string) => {
          if (typeof m === 'string') {
            void worker.terminate();
            laneDone();
          } else onBatch(m);
        });
        worker.on('error', (err) => {
          for (const c of controls) c.stop();
          reject(createError('E_INTERNAL', context, `scan thread failed: ${err.message}`, { cause: err }));
        });
      }
    };
    const lane0 = engine(
      jobs[0] as EngineJob,
      (b) => {
        startWorkers();
        onBatch(b);
      },
      () => {
        // Lane 0 finished before it had any result: the whole space was claimed, no worker is needed.
        if (!workersStarted) {
          workersStarted = true;
          left = 1;
        }
        laneDone();
      },
    );
    controls.unshift(lane0);
  });
  return {
    done,
    pause: () => {
      paused = true;
      controls.forEach((c) => c.pause());
    },
    resume: () => {
      paused = false;
      controls.forEach((c) => c.resume());
    },
  };
}
