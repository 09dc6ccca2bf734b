/**
 * A worker thread's lane: runs runTcpEngine on `workerData` (an EngineJob), posts result batches (their buffers
 * transferred) and "done"; takes "pause" and "resume". Bundled on its own as scan-worker.cjs (lanes.ts loads it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runTcpEngine, type EngineJob } from './engine.js';

const port = parentPort;
if (port) {
  // The parent terminates the worker after "done", or to stop it early.
  const lane = runTcpEngine(
    workerData as EngineJob,
    (b) => port.postMessage(b, [b.buffer as ArrayBuffer]),
    () => port.postMessage('done'),
  );
  port.on('message', (m) => (m === 'pause' ? lane.pause() : lane.resume()));
}
