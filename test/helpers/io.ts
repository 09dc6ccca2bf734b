/** An in-memory Io for calling commands in-process: stdout and stderr collected as text. */
import { PassThrough, Readable } from 'node:stream';
import type { Io } from '../../src/lib/io';

export interface MemoryIo extends Io {
  out(): string;
  err(): string;
  /** Aborts `interrupt`, as Ctrl-C does. */
  controller: AbortController;
}

export function memoryIo(stdin: Readable = Readable.from([])): MemoryIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const controller = new AbortController();
  return { stdin, stdout, stderr, interrupt: controller.signal, env: {}, out: () => out, err: () => err, controller };
}
