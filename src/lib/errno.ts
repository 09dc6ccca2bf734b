/**
 * The one place for errno: libuv statuses by name (numbers from os.constants.errno, never literals), errno names
 * and their meaning in words (strerror's casing, the way nc prints them), and system errors to NtkErrors (each
 * errno has an error code; an address in use is explained from the socket table).
 */
import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import { createError, type ErrorCode, type NtkError } from './errors.js';
import { PeerSilent } from './keepalive.js';
import {
  conflictAdvice,
  describeEntry,
  findConflicts,
  hostPort,
  readSockTable,
  type SockEntry,
  type SockProto,
} from './socktable.js';

interface ErrnoInfo {
  words: string;
  code: ErrorCode;
}

const ERRNO: Record<string, ErrnoInfo> = {
  ECONNREFUSED: { words: 'Connection refused', code: 'E_CONNREFUSED' },
  ETIMEDOUT: { words: 'Connection timed out', code: 'E_TIMEDOUT' },
  EHOSTUNREACH: { words: 'No route to host', code: 'E_UNREACH' },
  ENETUNREACH: { words: 'Network is unreachable', code: 'E_UNREACH' },
  EHOSTDOWN: { words: 'Host is down', code: 'E_UNREACH' },
  ECONNRESET: { words: 'Connection reset by peer', code: 'E_NET' },
  ECONNABORTED: { words: 'Software caused connection abort', code: 'E_NET' },
  EPIPE: { words: 'Broken pipe', code: 'E_NET' },
  EADDRINUSE: { words: 'Address already in use', code: 'E_ADDRINUSE' },
  EADDRNOTAVAIL: { words: 'Cannot assign requested address', code: 'E_ADDRNOTAVAIL' },
  EACCES: { words: 'Permission denied', code: 'E_PERM' },
  EPERM: { words: 'Operation not permitted', code: 'E_PERM' },
  EAFNOSUPPORT: { words: 'Address family not supported by protocol', code: 'E_NET' },
  EINVAL: { words: 'Invalid argument', code: 'E_NET' },
  EMFILE: { words: 'Too many open files', code: 'E_LIMIT' },
  ENFILE: { words: 'Too many open files in system', code: 'E_LIMIT' },
  ENOBUFS: { words: 'No buffer space available', code: 'E_NET' },
  EMSGSIZE: { words: 'Message too long', code: 'E_NET' },
  ENOTFOUND: { words: 'Name or service not known', code: 'E_RESOLVE' },
  EAI_AGAIN: { words: 'Temporary failure in name resolution', code: 'E_RESOLVE' },
  EAI_NODATA: { words: 'No address associated with hostname', code: 'E_RESOLVE' },
  EAI_FAIL: { words: 'Non-recoverable failure in name resolution', code: 'E_RESOLVE' },
  ENOENT: { words: 'No such file or directory', code: 'E_IO' },
  EISDIR: { words: 'Is a directory', code: 'E_IO' },
  ENOSPC: { words: 'No space left on device', code: 'E_IO' },
  EIO: { words: 'Input/output error', code: 'E_IO' },
  ENODEV: { words: 'No such device', code: 'E_CAPTURE' },
};

/**
 * libuv statuses (what its callbacks and Node's `err.errno` carry): the negated errno of this platform. The
 * scan engines speak these.
 */
export const UV = {
  ECONNREFUSED: -constants.errno.ECONNREFUSED,
  ETIMEDOUT: -constants.errno.ETIMEDOUT,
  EHOSTUNREACH: -constants.errno.EHOSTUNREACH,
  ENETUNREACH: -constants.errno.ENETUNREACH,
  EMFILE: -constants.errno.EMFILE,
  ENFILE: -constants.errno.ENFILE,
  EADDRNOTAVAIL: -constants.errno.EADDRNOTAVAIL,
  ENOBUFS: -constants.errno.ENOBUFS,
  EAGAIN: -constants.errno.EAGAIN,
  EIO: -constants.errno.EIO,
} as const;

/** The libuv status of a Node system error (its `errno`), EIO when it has none. */
export function statusOf(err: unknown): number {
  const errno = typeof err === 'object' && err !== null && 'errno' in err ? err.errno : undefined;
  return typeof errno === 'number' ? errno : UV.EIO;
}

/** libuv's errors: status → [name, description ("no space left on device")]. */
let uvErrors: Map<number, [string, string]> | undefined;
/** libuv's description of each errno name, for the ones ERRNO does not word. */
let uvWords: Map<string, string> | undefined;

function systemErrors(): Map<number, [string, string]> {
  uvErrors ??= getSystemErrorMap();
  return uvErrors;
}

/** The errno name of a libuv status ("ECONNREFUSED"), or "E<n>" when unknown. */
export function errName(status: number): string {
  return systemErrors().get(status)?.[0] ?? `E${-status}`;
}

/** Returns the errno name of a Node system error (e.g. "ECONNREFUSED"), or undefined. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/** Returns the system call a Node system error came from ("bind", "connect"), or undefined. */
export function syscallOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'syscall' in err && typeof err.syscall === 'string')
    return err.syscall;
  return undefined;
}

/** The meaning of an errno name in strerror's casing ("No space left on device"), or undefined when unknown. */
export function strerror(name: string): string | undefined {
  const known = ERRNO[name];
  if (known) return known.words;
  uvWords ??= new Map([...systemErrors().values()]);
  const text = uvWords.get(name);
  return text === undefined ? undefined : text.charAt(0).toUpperCase() + text.slice(1);
}

/** Returns the meaning of a system error in words ("Connection refused"); unknown ones keep their message. */
export function errnoWords(err: unknown): string {
  const name = errnoOf(err);
  const words = name === undefined ? undefined : strerror(name);
  if (words !== undefined) return words;
  if (!(err instanceof Error)) return String(err);
  // A system error's message starts with its syscall and code ("connect EFOO 10.0.0.1:80"): drop those two.
  const code = (err as { code?: unknown }).code;
  const prefix = typeof code === 'string' ? new RegExp(`^\\w+ ${code} ?`) : undefined;
  return (prefix && err.message.replace(prefix, '')) || err.message;
}

/** Wraps a system error as an NtkError: `<what> failed: <words>`. */
export function sysError(context: string, what: string, err: unknown): NtkError {
  const name = errnoOf(err);
  const code = (name && ERRNO[name]?.code) || 'E_NET';
  return createError(code, context, `${what} failed: ${errnoWords(err)}`, { cause: err });
}

/**
 * Wraps the error that ended a working session: the peer's RST is `connection reset by peer` (the session did not
 * fail to start, it was aborted); anything else is `<what> failed: <words>` as sysError says it.
 */
export function sessionError(context: string, what: string, err: unknown): NtkError {
  if (errnoOf(err) === 'ECONNRESET')
    return createError('E_CONNRESET', context, 'connection reset by peer', { cause: err });
  // --keepalive gave up on a silent peer: the session worked, so it did not "fail".
  if (err instanceof PeerSilent) return createError('E_TIMEDOUT', context, `${what}: ${err.message}`, { cause: err });
  return sysError(context, what, err);
}

/**
 * Builds the error for a local address:port that is taken, naming each socket that holds it with its state
 * and timer: the diagnosis nc leaves to netstat. `conflicts` defaults to a fresh read of the socket table.
 */
export function addressInUseError(
  context: string,
  opts: {
    proto: SockProto;
    address: string | undefined;
    port: number;
    errno?: 'EADDRINUSE' | 'EADDRNOTAVAIL';
    flag: string;
    reuse?: string;
    conflicts?: SockEntry[];
    cause?: unknown;
  },
): NtkError {
  const errno = opts.errno ?? 'EADDRINUSE';
  const info = ERRNO[errno] as ErrnoInfo;
  const conflicts = opts.conflicts ?? findConflicts(readSockTable(opts.proto), opts.port, opts.address);
  const where = hostPort(opts.address ?? conflicts[0]?.localAddress ?? '0.0.0.0', opts.port);
  // A kernel that refuses the 4-tuple rather than the port fails connect() with EADDRNOTAVAIL: say so. (libuv
  // reports a bind's EADDRINUSE only at connect(), so the syscall alone does not tell.)
  const atConnect = errno === 'EADDRNOTAVAIL' && syscallOf(opts.cause) === 'connect';
  const what = atConnect ? `connect from ${where}` : `bind ${where}`;
  const shown = conflicts.slice(0, 5);
  const details = shown.map((c) => describeEntry(c));
  if (conflicts.length > shown.length) details.push(`… and ${conflicts.length - shown.length} more`);
  if (conflicts.length > 0) details.push(conflictAdvice(conflicts, opts.flag, opts.reuse));
  return createError(info.code, context, `${what} failed: ${info.words}`, { details, cause: opts.cause });
}
