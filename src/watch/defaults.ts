/** The defaults of watch's limits, in a module of their own so that `ntk watch --help` shows them cheaply. */

/** Output a live capture may queue for a slow reader before it drops packets (--max-backlog). */
export const DEFAULT_MAX_BACKLOG = 16 * 1024 * 1024;
