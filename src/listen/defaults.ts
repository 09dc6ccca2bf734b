/**
 * The defaults of listen's limits, in a module of their own so that `ntk listen --help` can show them without
 * loading the listener or the room.
 */

/** Room limits: generous for people, small enough that a thousand idle peers stay cheap. */
export const ROOM_DEFAULTS = {
  maxConns: 1000,
  maxLine: 64 * 1024,
  maxQueue: 1024 * 1024,
  /** --stall: how long a participant may stay above the --max-queue mark without draining, in ms. */
  stallMs: 5000,
} as const;

/**
 * Connections `listen -k` keeps waiting (paused, unread) while a session runs; more are closed at once. Each
 * waiting peer holds a descriptor, so the queue is bounded like the kernel's own accept backlog.
 */
export const DEFAULT_MAX_WAITING = 16;
