/** What every command module gets from the program that registers it, and the helpers that read repeated flags. */
import { parseCount } from '../lib/args.js';
import { isNtkError, usageError } from '../lib/errors.js';
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

/**
 * How ntk's command lines are parsed (the program and `watch -- COMMAND`): values stay strings until each flag's
 * parser checks them, and short flags group (`-zv`).
 */
export const PARSER_CONFIGURATION = {
  'parse-numbers': false,
  'parse-positional-numbers': false,
  'greedy-arrays': false,
  'short-option-groups': true,
} as const;

/**
 * yargs's `.fail()` for every parser of ntk: an NtkError (a value check) as it is; anything yargs says (an unknown
 * flag, a missing value) as a usage error of `context` in ntk's voice; `unknownCommand` when the word given is no
 * command at all.
 */
export function usageFailure(context: string, unknownCommand?: string): (msg: string | null, err: unknown) => never {
  return (msg, err) => {
    if (isNtkError(err)) throw err;
    const text = msg ?? (err instanceof Error ? err.message : String(err));
    if (unknownCommand !== undefined) throw usageError('', `unknown command "${unknownCommand}" (see ntk --help)`);
    throw usageError(context, lowerFirst(text));
  };
}

/** Rewords yargs's messages in ntk's voice: lowercase, one line, flags spelled as typed. */
function lowerFirst(text: string): string {
  const conflict = /^Arguments (\S+) and (\S+) are mutually exclusive$/.exec(text);
  if (conflict) return `${flagName(conflict[1] ?? '')} and ${flagName(conflict[2] ?? '')} cannot be used together`;
  return text.charAt(0).toLowerCase() + text.slice(1).replace(/\s*\n[\s\S]*$/, '');
}

function flagName(key: string): string {
  return key.length === 1 ? `-${key}` : `--${key}`;
}

/** For options that may be given once: the last value wins when repeated (as in nc's getopt loop). */
export function lastOf<T>(value: T | T[] | undefined): T | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** For repeatable options: always an array. */
export function allOf<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** The largest --max-backlog: 1 GiB. */
const MAX_BACKLOG_LIMIT = 1 << 30;

/** The --max-backlog option (`when` it applies): output bytes that may wait before `what` are dropped. */
export function maxBacklogOption(when: string, what: string, fallback: number) {
  return {
    type: 'string',
    describe: `${when}: drop ${what}, counted, while more than BYTES of output wait to be written (default ${fallback})`,
    requiresArg: true,
  } as const;
}

/**
 * Reads --max-backlog (last one wins): undefined when not given; throws E_USAGE for a bad value, or when given
 * without `requires` (a flag such as "-u") that it applies to.
 */
export function maxBacklogOf(
  context: string,
  value: string | string[] | undefined,
  requires?: { flag: string; given: boolean },
): number | undefined {
  const text = lastOf(value);
  if (text === undefined) return undefined;
  if (requires && !requires.given) throw usageError(context, `--max-backlog applies to ${requires.flag} only`);
  return parseCount(context, text, '--max-backlog', 1, MAX_BACKLOG_LIMIT);
}
