/**
 * Capture privileges: telling whether this process runs with privileges it was not born with, checking that a
 * directory only root can change holds the native code such a process may load, and giving privileges up once
 * the capture is open (as tcpdump -Z does).
 *
 * - Linux marks a process whose execve raised its privileges (file capabilities, setuid, setgid) with AT_SECURE
 *   in its auxiliary vector; the dynamic loader then ignores LD_PRELOAD and LD_LIBRARY_PATH, and Node ignores
 *   NODE_OPTIONS. ntk follows: in that mode nothing from the environment chooses what it loads.
 * - Capture needs CAP_NET_RAW only: libpcap opens an AF_PACKET socket (CAP_NET_RAW), maps its ring and joins
 *   the promiscuous membership (PACKET_MR_PROMISC) on that socket, none of which asks for CAP_NET_ADMIN here.
 */
import {
  closeSync,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  readSync,
  constants as fsc,
  type Stats,
} from 'node:fs';
import { isAbsolute, normalize, sep } from 'node:path';
import { url as inspectorUrl } from 'node:inspector';
import { createError } from '../lib/errors.js';

const CONTEXT = 'watch';

/** AT_SECURE in <elf.h>: the auxiliary vector entry that says the process gained privileges at execve. */
const AT_SECURE = 23;

/**
 * True when `auxv` (the bytes of /proc/self/auxv: native-endian pairs of machine words, ended by AT_NULL)
 * carries AT_SECURE = 1. `wordBytes` is 8 on 64-bit systems, 4 on 32-bit ones.
 */
export function auxvSecure(auxv: Uint8Array, wordBytes = 8, littleEndian = true): boolean {
  const view = new DataView(auxv.buffer, auxv.byteOffset, auxv.byteLength);
  const word = (off: number): bigint =>
    wordBytes === 8 ? view.getBigUint64(off, littleEndian) : BigInt(view.getUint32(off, littleEndian));
  for (let off = 0; off + 2 * wordBytes <= auxv.byteLength; off += 2 * wordBytes) {
    const type = word(off);
    if (type === 0n) break;
    if (type === BigInt(AT_SECURE)) return word(off + wordBytes) !== 0n;
  }
  return false;
}

/** True when this process runs with privileges it was not born with (AT_SECURE; Linux only, else false). */
export function secureExecution(): boolean {
  if (process.platform !== 'linux') return false;
  if (process.getuid?.() !== process.geteuid?.() || process.getgid?.() !== process.getegid?.()) return true;
  let auxv: Buffer;
  try {
    auxv = readFileSync('/proc/self/auxv');
  } catch (err) {
    // A process whose execve raised its privileges is not dumpable, and its /proc files then belong to root:
    // it cannot read its own auxv (EACCES). Any failure but a missing /proc counts as privileged.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  const wordBytes =
    process.arch === 'x64' ||
    process.arch === 'arm64' ||
    process.arch === 'ppc64' ||
    process.arch === 's390x' ||
    process.arch === 'riscv64'
      ? 8
      : 4;
  return auxvSecure(auxv, wordBytes, process.arch !== 's390x');
}

/** Why `st` (the lstat of `path`) may not hold code a privileged process loads, or undefined when it may. */
function untrusted(path: string, st: Stats, kind: 'directory' | 'file'): string | undefined {
  if (st.isSymbolicLink()) return `${path} is a symbolic link`;
  if (kind === 'directory' ? !st.isDirectory() : !st.isFile()) return `${path} is not a ${kind}`;
  if (st.uid !== 0) return `${path} is not owned by root`;
  if ((st.mode & 0o022) !== 0) return `${path} is writable by ${st.mode & 0o002 ? 'others' : 'its group'}`;
  return undefined;
}

/**
 * Checks, as sudo checks its plugins, that every directory from / down to `dir` (absolute) is a real
 * directory (no symbolic link), owned by root and writable by no group or other user; returns the first reason
 * it is not, or undefined. Only root can then change what any name inside `dir` refers to.
 */
export function untrustedDirectory(dir: string): string | undefined {
  if (!isAbsolute(dir)) return `${dir} is not an absolute path`;
  const parts = normalize(dir)
    .split(sep)
    .filter((p) => p !== '');
  let path = '/';
  for (let i = 0; i <= parts.length; i++) {
    if (i > 0) path = path === '/' ? `/${parts[i - 1]}` : `${path}/${parts[i - 1]}`;
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? `${path} does not exist` : `${path}: ${code ?? String(err)}`;
    }
    const why = untrusted(path, st, 'directory');
    if (why !== undefined) return why;
  }
  return undefined;
}

/**
 * Reads `file` (a name in a directory untrustedDirectory accepted) through a descriptor opened with O_NOFOLLOW,
 * and checks that what was opened is the file the name refers to, a regular file owned by root and writable by
 * no one else; returns its bytes, or throws an Error saying why not.
 */
export function readTrustedFile(file: string): Buffer {
  // Node opens every descriptor close-on-exec.
  const fd = openSync(file, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  try {
    const opened = fstatSync(fd);
    const why = untrusted(file, opened, 'file');
    if (why !== undefined) throw new Error(why);
    const named = lstatSync(file);
    if (named.dev !== opened.dev || named.ino !== opened.ino) throw new Error(`${file} changed while being checked`);
    const bytes = Buffer.alloc(opened.size);
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(fd, bytes, got, bytes.length - got, got);
      if (n === 0) break;
      got += n;
    }
    if (got !== bytes.length) throw new Error(`${file}: short read`);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/** The capability sets of this process's main thread, from /proc/self/status (hex masks), or undefined. */
export function capabilitySets(status?: string): { effective: bigint; permitted: bigint } | undefined {
  let text = status;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/status', 'latin1');
    } catch {
      return undefined;
    }
  }
  const eff = /^CapEff:\s*([0-9a-f]+)$/m.exec(text);
  const prm = /^CapPrm:\s*([0-9a-f]+)$/m.exec(text);
  if (!eff || !prm) return undefined;
  return { effective: BigInt(`0x${eff[1]}`), permitted: BigInt(`0x${prm[1]}`) };
}

/** True when this process holds capabilities without being root (file capabilities, ambient ones). */
export function holdsCapabilities(): boolean {
  if (process.geteuid?.() === 0) return false;
  const sets = capabilitySets();
  return sets !== undefined && (sets.effective !== 0n || sets.permitted !== 0n);
}

/** A user from the passwd file: name, uid and primary gid. */
export interface Account {
  name: string;
  uid: number;
  gid: number;
}

/** The entry for `name` in passwd(5) text, or undefined. */
export function findAccount(passwd: string, name: string): Account | undefined {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 4 && /^\d+$/.test(f[2] ?? '') && /^\d+$/.test(f[3] ?? '')) {
      return { name, uid: Number(f[2]), gid: Number(f[3]) };
    }
  }
  return undefined;
}

/** The user a capture run as root switches to when -Z names none: a dedicated `ntk` user if present, else nobody. */
export const DEFAULT_USERS = ['ntk', 'nobody'] as const;

/** What dropPrivileges needs from the capture addon: cap patched with dropCapabilities(). */
export interface CapabilityDropper {
  dropCapabilities?: () => number;
}

/**
 * Gives up what capture no longer needs once the capture handle (and the -w file) is open, as tcpdump does:
 * running as root, switches to `user` (default: DEFAULT_USERS; "root" keeps root) with its groups; running with
 * capabilities (file capabilities on the executable), clears them on every thread the addon reaches. Returns a
 * notice worth one stderr line, or undefined; throws E_PERM when privileges cannot be given up.
 */
export function dropPrivileges(
  addon: CapabilityDropper,
  user: string | undefined,
  passwdText?: string,
): string | undefined {
  if (process.platform !== 'linux') return undefined;
  if (process.geteuid?.() === 0) {
    if (user === 'root') return undefined;
    const passwd = passwdText ?? readFileSync('/etc/passwd', 'utf8');
    const names = user !== undefined ? [user] : DEFAULT_USERS;
    const account = names.map((n) => findAccount(passwd, n)).find((a) => a !== undefined);
    if (account === undefined) throw createError('E_PERM', CONTEXT, `-Z: no such user "${names.join('" or "')}"`);
    try {
      // The order matters: groups and gid can no longer be changed once the uid is not root.
      (process as { initgroups?: (user: string, extraGroup: number) => void }).initgroups?.(account.name, account.gid);
      process.setgid?.(account.gid);
      // glibc changes the IDs of every thread; leaving uid 0 clears every thread's capabilities.
      process.setuid?.(account.uid);
    } catch (err) {
      throw createError('E_PERM', CONTEXT, `cannot switch to user ${account.name}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (process.geteuid?.() !== account.uid || process.getuid?.() !== account.uid) {
      throw createError('E_PERM', CONTEXT, `cannot switch to user ${account.name}`);
    }
    return undefined;
  }
  const sets = capabilitySets();
  if (sets === undefined || (sets.effective === 0n && sets.permitted === 0n)) return undefined;
  // Node starts its inspector on SIGUSR1, which the user running ntk may send: code it ran had the capabilities.
  if (inspectorUrl() !== undefined) {
    throw createError(
      'E_PERM',
      CONTEXT,
      'the Node inspector was started (SIGUSR1) while ntk held capabilities: stopping',
    );
  }
  if (typeof addon.dropCapabilities !== 'function') {
    throw createError(
      'E_PERM',
      CONTEXT,
      'this capture addon cannot give up capabilities (build it from this source: npm ci)',
    );
  }
  let unreached: number;
  try {
    unreached = addon.dropCapabilities();
  } catch (err) {
    throw createError('E_PERM', CONTEXT, `cannot give up capabilities: ${(err as Error).message}`, { cause: err });
  }
  const after = capabilitySets();
  if (after === undefined || after.effective !== 0n || after.permitted !== 0n) {
    throw createError('E_PERM', CONTEXT, 'cannot give up capabilities');
  }
  // Node's SIGUSR1 thread blocks every signal; it only ever waits to start the inspector.
  return unreached > 1 ? `${unreached} threads kept their capabilities` : undefined;
}
