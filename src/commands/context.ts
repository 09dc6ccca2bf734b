/** What every command module gets from the program that registers it, and the helpers that read repeated flags. */
import type { Io } from '../lib/io.js';
import type { WatchWith } from './follow.js';

/** What a command handler gets: the streams, and `run` to hand over its (asynchronous) work. */
export interface CliContext {
  io: Io;
  /** Takes the command's work; main awaits it and maps its result or error to the exit status. */
  run(task: () => Promise<number>): void;
  /** Set under `ntk watch -- <command>`: the command runs with its sessions followed, shown this way. */
  watchWith?: WatchWith;
}

/** For options that may be given once: the last value wins when repeated (as in nc's getopt loop). */
export function lastOf<T>(value: T | T[] | undefined): T | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** For repeatable options: always an array. */
export function allOf<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
