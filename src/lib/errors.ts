/**
 * Typed errors. Every failure ntk reports is an NtkError with a stable code; src/cli/exit.ts alone turns one
 * into the `ntk: <context>: <detail>` line on stderr and an exit status.
 */

/** Stable error codes; tests assert these, not message text. */
export type ErrorCode =
  | 'E_USAGE' // bad flag, value or argument
  | 'E_ADDRINUSE' // the local address:port is taken
  | 'E_ADDRNOTAVAIL' // the local address is not ours, or the 4-tuple is taken
  | 'E_CONNREFUSED'
  | 'E_CONNRESET' // the peer reset a session that was working
  | 'E_TIMEDOUT'
  | 'E_UNREACH' // host or network unreachable
  | 'E_RESOLVE' // a name did not resolve
  | 'E_PERM' // not allowed (privileged port, missing capability)
  | 'E_NET' // any other network failure
  | 'E_IO' // a file could not be read or written
  | 'E_FORMAT' // a file is not what it claims to be
  | 'E_CAPTURE' // the capture layer failed
  | 'E_LIMIT' // a configured limit was exceeded
  | 'E_LINE_TOO_LONG' // listen --chat: a line longer than --max-line was cut
  | 'E_QUEUE_FULL' // listen --chat/--broker: a peer stopped reading and its queue passed --max-queue
  | 'E_MAXCONNS' // listen --chat/--broker: --max-conns peers are already connected
  | 'E_DENIED' // listen: the peer's address is refused by --allow/--deny
  | 'E_IDLE' // listen --chat/--broker: a peer sent nothing for --idle seconds
  | 'E_INTERRUPTED' // Ctrl-C, SIGTERM or SIGHUP ended the command before it finished; exits 130/143/129 quietly
  | 'E_INTERNAL';

/** Exit statuses (src/cli/exit.ts prints and returns them; this is the one table of their numbers). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** Interrupted by a signal, as a shell reports SIGINT (128 + 2). */
export const EXIT_INTERRUPTED = 130;

/** Ended by SIGTERM (128 + 15) or SIGHUP (128 + 1), after the same clean close as Ctrl-C. */
export const EXIT_TERMINATED = 143;
export const EXIT_HANGUP = 129;

/** The status a command interrupted by `signal` exits with, as a shell reports it (128 + the signal's number). */
export function exitForSignal(signal: string): number {
  return signal === 'SIGTERM' ? EXIT_TERMINATED : signal === 'SIGHUP' ? EXIT_HANGUP : EXIT_INTERRUPTED;
}

export type ExitCode = typeof EXIT_FAILURE | typeof EXIT_USAGE | typeof EXIT_INTERRUPTED;

export interface NtkErrorOptions {
  /** Further indented lines that explain the failure (used sparingly: the TIME_WAIT diagnosis). */
  details?: string[];
  /** The underlying error, shown with its stack only when NTK_DEBUG is set. */
  cause?: unknown;
}

export class NtkError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  /** The command or subsystem the error belongs to, e.g. "connect"; the first part of the message. */
  readonly context: string;
  readonly details: string[];

  constructor(code: ErrorCode, context: string, message: string, options: NtkErrorOptions = {}) {
    super(cutLongArgs(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NtkError';
    this.code = code;
    this.context = context;
    this.exitCode = code === 'E_USAGE' ? EXIT_USAGE : code === 'E_INTERRUPTED' ? EXIT_INTERRUPTED : EXIT_FAILURE;
    this.details = options.details ?? [];
  }
}

/** Creates an NtkError; the one factory every module uses. */
export function createError(code: ErrorCode, context: string, message: string, options?: NtkErrorOptions): NtkError {
  return new NtkError(code, context, message, options);
}

/** Longest run of text without spaces or quotes that a message echoes whole (an argument, a host name). */
export const MAX_ECHOED = 200;

/**
 * Cuts every run of more than MAX_ECHOED characters without spaces or quotes in `message` to its start and "...",
 * so that an error naming a huge argument still fits on one line. Every NtkError message goes through it.
 */
export function cutLongArgs(message: string): string {
  return message.replace(/[^\s"]{201,}/g, (run) => `${run.slice(0, MAX_ECHOED)}...`);
}

/** Creates a usage error (exit status 2) that names the offending input. */
export function usageError(context: string, message: string): NtkError {
  return new NtkError('E_USAGE', context, message);
}

/** True when `err` is an NtkError (also across bundle boundaries, by shape). */
export function isNtkError(err: unknown): err is NtkError {
  return err instanceof NtkError || (err instanceof Error && err.name === 'NtkError' && 'code' in err);
}
