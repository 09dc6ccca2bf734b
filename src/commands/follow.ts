/**
 * What `--watch` on connect, listen and scan and `ntk watch -- <command>` share: the watch flags a command is
 * followed with, and the wrapper that runs the command's work inside session following (src/watch/follow).
 */
import type { Argv } from 'yargs';
import type { CliContext } from './context.js';
import type { FollowTarget } from '../watch/follow/session.js';
import { DEFAULT_PRINT_OPTIONS, type PrintOptions } from '../print/context.js';
import { MAX_SNAPLEN } from '../print/packet.js';
import { isUtc } from './watch.js';

/** How a command's packets are shown: watch's printing flags, -i, --explain, --json. */
export interface WatchWith {
  print: PrintOptions;
  iface?: string;
  explain: boolean;
  json: boolean;
  snaplen: number;
}

/** The flags of `--watch` alone: tcpdump's defaults with numeric addresses. */
export function defaultWatch(env: NodeJS.ProcessEnv): WatchWith {
  return { print: { ...DEFAULT_PRINT_OPTIONS, utc: isUtc(env) }, explain: false, json: false, snaplen: MAX_SNAPLEN };
}

/** Adds `--watch` to a command's options. */
export function watchOption<T>(y: Argv<T>): Argv<T> {
  return y.option('watch', {
    type: 'boolean',
    describe: "capture this command's own packets and explain each one on stderr (needs capture privileges)",
  });
}

/**
 * Returns the command's work, run inside session following when --watch was given (`watch`) or the command runs
 * under `ntk watch -- …` (ctx.watchWith); else `task` itself.
 */
export function maybeFollowed(
  ctx: CliContext,
  watch: boolean | undefined,
  target: () => FollowTarget,
  task: () => Promise<number>,
): () => Promise<number> {
  const how = ctx.watchWith ?? (watch ? defaultWatch(ctx.io.env) : undefined);
  if (how === undefined) return task;
  return async () => {
    const { followSession } = await import('../watch/follow/session.js');
    return followSession({ ...how, target: target() }, ctx.io, task);
  };
}
