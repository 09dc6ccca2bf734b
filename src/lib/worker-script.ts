/**
 * Finding a bundled worker thread's script (scan-worker.cjs, watch-worker.cjs): the single executable's asset of
 * that name, the file beside the bundle (dist/), or, running from the sources (tests), dist/ of the tree.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** How a worker thread is started: from a file, or from source text (a single executable's asset). */
export type WorkerScript = { file: string } | { code: string };

const found = new Map<string, WorkerScript | null>();

/** The bundled worker `name`, or null when there is none. */
export function workerScript(name: string): WorkerScript | null {
  const known = found.get(name);
  if (known !== undefined) return known;
  let script: WorkerScript | null = null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sea = require('node:sea') as { isSea(): boolean; getAsset(name: string, encoding: string): string };
    if (sea.isSea()) script = { code: sea.getAsset(name, 'utf8') };
  } catch {
    // Node without node:sea, or a single executable built without the asset: look for the file.
  }
  for (const file of [join(__dirname, name), join(__dirname, '../../dist', name)]) {
    if (script === null && existsSync(file)) script = { file };
  }
  found.set(name, script);
  return script;
}

/** Starts a worker thread running `script`. */
export function startWorker(script: WorkerScript, options: WorkerOptions): Worker {
  return 'file' in script ? new Worker(script.file, options) : new Worker(script.code, { ...options, eval: true });
}
