/**
 * The one place that locates and loads the `cap` native addon (libpcap bindings, a nan/node-gyp module tied to
 * the Node ABI).
 *
 * - From the repository or an npm install: `require('cap')` from node_modules (cap's own wrapper).
 * - In a single executable (node:sea): the addon travels as the SEA asset `cap.node`. A SEA cannot load a file
 *   from inside itself, so the asset is written once to a per-version cache directory
 *   ($XDG_CACHE_HOME/ntk/<version>/, else ~/.cache/ntk/<version>/), or to a private temp directory when that is
 *   not writable, and loaded from there with `process.dlopen`. cap's JS wrapper (lib/Cap.js) is not there, so
 *   what it does is done here: the binding's `Cap` must inherit `EventEmitter.prototype` before `new Cap()`,
 *   because its constructor looks `emit` up on the new object once and keeps it.
 * - Running with privileges it was not born with (file capabilities or setuid: AT_SECURE), ntk loads the addon
 *   only from installDir() next to the executable (<dir of the executable>/../lib/ntk/<version>/cap.node), and only
 *   when every directory down to it is root's alone (privileges.ts); `ntk install-capture`, run once as root,
 *   puts it there. No environment variable (XDG_CACHE_HOME, HOME, TMPDIR, NODE_OPTIONS …) is consulted then.
 */
import { EventEmitter } from 'node:events';
import {
  chmodSync,
  closeSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createError } from '../lib/errors.js';
import { errnoWords } from '../lib/errno.js';
import type { BpfInsn } from './bpf.js';
import { readTrustedFile, secureExecution, untrustedDirectory } from './privileges.js';

const CONTEXT = 'watch';

/** The SEA asset key under which the build puts node_modules/cap/build/Release/cap.node. */
export const CAP_ASSET = 'cap.node';

/** One interface as libpcap's pcap_findalldevs describes it (through cap). */
export interface CapDevice {
  name: string;
  description?: string;
  addresses: Array<{ addr?: string; netmask?: string; broadaddr?: string; dstaddr?: string }>;
  /** cap sets only this one flag, and only for loopback interfaces. */
  flags?: 'PCAP_IF_LOOPBACK';
}

/** pcap_stats: counts since the capture opened, as libpcap keeps them. */
export interface CapStats {
  /** ps_recv: packets that passed the filter (on Linux, including those then dropped). */
  received: number;
  /** ps_drop: packets the kernel dropped for want of room in the capture buffer. */
  dropped: number;
  /** ps_ifdrop: packets the interface or its driver dropped. */
  ifdropped: number;
}

/**
 * A raw cap handle (patched: scripts/patches/): libpcap plus a uv poll handle; emits
 * ('packet', nbytes, truncated, tsSec, tsNsec, len) with the packet header's capture time (nanoseconds, whatever
 * precision libpcap gave) and length on the wire, or after setBatch() ('batch', count, bytes).
 */
export interface CapHandle extends EventEmitter {
  /**
   * pcap_create + activate + setfilter on `device`; every packet is then copied into `buffer` (the same memory
   * each time, whose length is the snap length) before 'packet' is emitted. With `blockMs`, delivery is buffered:
   * the kernel wakes the reader once a block of the ring is full or `blockMs` after its first packet; without,
   * immediate mode. Returns the link type as a word ("ETHERNET", "Unknown linktype N").
   */
  open(device: string, filter: string, bufferSize: number, buffer: Buffer, blockMs?: number): string;
  /**
   * From now on the packets ready at each wakeup are written one after another into `batch`, each after a
   * 16-byte header of four host-order 32-bit words (captured length, length on the wire, seconds, nanoseconds)
   * and padded to 8 bytes, and announced together: ('batch', count, bytes).
   */
  setBatch(batch: Buffer): void;
  /** Stops the poll handle and closes pcap (deferred to after the packet being delivered); true if it was open. */
  close(): boolean;
  /** pcap_stats on the open handle; throws libpcap's error text. */
  stats(): CapStats;
}

/** The addon's exports, as ntk uses them. */
export interface CapBinding {
  Cap: {
    new (): CapHandle;
    /**
     * pcap_compile (optimized, netmask 0) for a capture file with this header, on a handle libpcap opens on the
     * header alone (built in memory): the BPF program of `filter`, exactly as tcpdump -r compiles it; throws an
     * Error whose message is libpcap's (pcap_geterr) and whose code is EFILTER.
     */
    compileFilter(filter: string, linktype: number, snaplen: number, bigEndian: boolean): BpfInsn[];
  };
  deviceList(): CapDevice[];
  /** ntk's patch of cap (scripts/patches/): clears every capability set on every thread it reaches; returns the others. */
  dropCapabilities?: () => number;
}

/** Where the addon came from (for diagnostics and tests). */
export interface LoadedCap {
  binding: CapBinding;
  /** "node_modules" or the path of the file written from the SEA asset. */
  from: string;
  /** Set when the cache directory could not be used and the temp directory was: the reason, for one notice. */
  fallback?: string;
}

interface SeaModule {
  isSea(): boolean;
  getRawAsset(key: string): ArrayBuffer;
}

declare const __NTK_VERSION__: string | undefined;

/**
 * The addon once loaded by process.dlopen. A native module can be registered only once per process (a second
 * dlopen of the same file fails with "Module did not self-register"), so, like require's own cache, this one
 * process-wide value is deliberate.
 */
const dlopened = new Map<string, LoadedCap>();

/**
 * Loads cap (node_modules in development, the SEA asset in a single executable; only the installed copy when
 * privileged); throws E_CAPTURE in words.
 */
export function loadCap(env: NodeJS.ProcessEnv = process.env): LoadedCap {
  const sea = seaModule();
  if (secureExecution()) {
    const cached = dlopened.get(INSTALLED);
    if (cached) return cached;
    const loaded = loadInstalled(sea?.isSea() ? sea : undefined);
    dlopened.set(INSTALLED, loaded);
    return loaded;
  }
  if (sea?.isSea()) {
    const cached = dlopened.get(CAP_ASSET);
    if (cached) return cached;
    const loaded = loadFromSea(sea, env);
    dlopened.set(CAP_ASSET, loaded);
    return loaded;
  }
  let raw: unknown;
  try {
    // A plain specifier: the bundler keeps 'cap' external, so this resolves from node_modules at run time.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    raw = require('cap');
  } catch (err) {
    throw loadError(err, 'the cap package (npm ci, with libpcap-dev installed to build it)');
  }
  return { binding: asBinding(raw), from: 'node_modules' };
}

/** The file name of the installed addon inside installDir(). */
const INSTALLED = 'cap.node';

function ntkVersion(): string {
  return typeof __NTK_VERSION__ === 'string' ? __NTK_VERSION__ : 'dev';
}

/**
 * The directory a privileged ntk loads its addon from: <dir of the executable>/../lib/ntk/<version>
 * (/usr/local/bin/ntk → /usr/local/lib/ntk/0.1.0). process.execPath is the kernel's name of the running file
 * (/proc/self/exe), which no variable can change.
 */
export function installDir(execPath = process.execPath): string {
  return resolve(dirname(execPath), '..', 'lib', 'ntk', ntkVersion());
}

/** The addon bytes this ntk was built with: the SEA asset, or cap's build in node_modules. */
function addonBytes(sea: SeaModule | undefined): Buffer {
  if (sea) {
    try {
      return Buffer.from(sea.getRawAsset(CAP_ASSET));
    } catch (err) {
      throw createError('E_CAPTURE', CONTEXT, `this executable was built without the capture addon (${CAP_ASSET})`, {
        cause: err,
      });
    }
  }
  try {
    return readFileSync(join(dirname(require.resolve('cap')), '..', 'build', 'Release', 'cap.node'));
  } catch (err) {
    throw loadError(err, 'the cap package (npm ci, with libpcap-dev installed to build it)');
  }
}

/**
 * Loads the addon installed by `ntk install-capture`, after checking that only root can change it (every
 * directory down to it, and the file opened without following links); refuses in one line otherwise. The path
 * handed to dlopen is the one checked, inside directories no one but root can write, so nothing can swap the
 * file between the check and the load.
 */
function loadInstalled(sea: SeaModule | undefined): LoadedCap {
  const dir = installDir();
  const path = join(dir, INSTALLED);
  const refuse = (why: string, cause?: unknown): Error =>
    createError(
      'E_CAPTURE',
      CONTEXT,
      `with privileges ntk loads its capture addon only from ${dir}, owned by root: ${why}; install it once as root: ${process.execPath} install-capture`,
      { cause },
    );
  const why = untrustedDirectory(dir);
  if (why !== undefined) throw refuse(why);
  let bytes: Buffer;
  try {
    bytes = readTrustedFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw refuse(
      code === 'ENOENT' ? `${path} does not exist` : code === 'ELOOP' ? `${path} is a symbolic link` : errnoWords(err),
      err,
    );
  }
  // A single executable knows its own addon: an installed copy from another build is not loaded.
  if (sea && !bytes.equals(addonBytes(sea))) throw refuse(`${path} is from another build`);
  const mod = { exports: {} as unknown };
  try {
    process.dlopen(mod, path);
  } catch (err) {
    throw loadError(err, path);
  }
  return { binding: asBinding(mod.exports), from: path };
}

/**
 * `ntk install-capture`: as root, writes this ntk's addon to installDir() (directories 0755, file 0644, owned by
 * root), where a privileged ntk will load it; returns its path. Throws E_PERM when not root, E_CAPTURE when a
 * directory on the way is not root's alone.
 */
export function installCapture(): string {
  if (process.geteuid?.() !== 0) {
    throw createError('E_PERM', 'install-capture', `must run as root (it writes ${installDir()})`);
  }
  const sea = seaModule();
  const bytes = addonBytes(sea?.isSea() ? sea : undefined);
  const dir = installDir();
  const path = join(dir, INSTALLED);
  try {
    // The directories it creates belong to root (the caller) and are 0755 whatever the umask.
    const created = mkdirSync(dir, { recursive: true, mode: 0o755 });
    if (created !== undefined) {
      for (let d = dir; d.length >= created.length; d = dirname(d)) chmodSync(d, 0o755);
    }
  } catch (err) {
    throw createError('E_CAPTURE', 'install-capture', `${dir}: ${errnoWords(err)}`, { cause: err });
  }
  const why = untrustedDirectory(dir);
  if (why !== undefined)
    throw createError('E_CAPTURE', 'install-capture', `${why}: a privileged ntk would not load from ${dir}`);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      writeSync(fd, bytes);
      fchownSync(fd, 0, 0);
      fchmodSync(fd, 0o644);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Not created.
    }
    throw createError('E_CAPTURE', 'install-capture', `${path}: ${errnoWords(err)}`, { cause: err });
  }
  return path;
}

function seaModule(): SeaModule | undefined {
  try {
    // node:sea exists from Node 20.12; without it this is certainly not a single executable.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('node:sea') as SeaModule;
  } catch {
    return undefined;
  }
}

function loadFromSea(sea: SeaModule, env: NodeJS.ProcessEnv): LoadedCap {
  let bytes: Buffer;
  try {
    bytes = Buffer.from(sea.getRawAsset(CAP_ASSET));
  } catch (err) {
    throw createError('E_CAPTURE', CONTEXT, `this executable was built without the capture addon (${CAP_ASSET})`, {
      cause: err,
    });
  }
  const { path, fallback } = materialize(bytes, env);
  const mod = { exports: {} as unknown };
  try {
    process.dlopen(mod, path);
  } catch (err) {
    throw loadError(err, path);
  }
  return { binding: asBinding(mod.exports), from: path, fallback };
}

/**
 * Writes `bytes` as cap.node into the per-version cache directory (reusing an identical file from an earlier
 * run), falling back to a private directory under the temp directory; returns the path to load.
 */
export function materialize(bytes: Buffer, env: NodeJS.ProcessEnv): { path: string; fallback?: string } {
  const version = ntkVersion();
  // The digest in the name keeps two different builds of one version from sharing (or fighting over) a file.
  // node:crypto is loaded here, not with this module: only the single executable writes its addon out, and
  // loading it costs every other start a few milliseconds.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  const name = `cap-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.node`;
  // XDG Base Directory: a relative XDG_CACHE_HOME is invalid and ignored.
  const cacheRoot = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(env.HOME || homedir(), '.cache');
  const cacheDir = join(cacheRoot, 'ntk', version);
  let first: string;
  try {
    return { path: placeFile(cacheDir, name, bytes) };
  } catch (err) {
    first = `${cacheDir}: ${errnoWords(err)}`;
  }
  const uid = process.getuid?.() ?? 0;
  const tempDir = join(env.TMPDIR || tmpdir(), `ntk-${uid}`, version);
  try {
    return { path: placeFile(tempDir, name, bytes, true), fallback: first };
  } catch (err) {
    throw createError(
      'E_CAPTURE',
      CONTEXT,
      `cannot write the capture addon: ${first}; ${tempDir}: ${errnoWords(err)} (set XDG_CACHE_HOME to a writable directory)`,
      { cause: err },
    );
  }
}

/** Returns dir/name holding exactly `bytes`, writing it (atomically, by rename) unless it is already there. */
function placeFile(dir: string, name: string, bytes: Buffer, private_ = false): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (private_) {
    // A shared temp directory: the directory must be ours and not a link someone else planted.
    const st = lstatSync(dir);
    if (!st.isDirectory() || st.uid !== (process.getuid?.() ?? st.uid))
      throw new Error('not a directory owned by this user');
    chmodSync(dir, 0o700);
  }
  const path = join(dir, name);
  try {
    if (readFileSync(path).equals(bytes)) return path;
  } catch {
    // Not there yet (or unreadable): write it.
  }
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o700);
  try {
    writeSync(fd, bytes);
    if (fstatSync(fd).size !== bytes.length) throw new Error('short write');
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
  return path;
}

/**
 * Gives the binding's Cap the EventEmitter prototype (what cap's lib/Cap.js does) and checks its shape; throws
 * E_CAPTURE (UNPATCHED) for an addon built without ntk's patch.
 */
export function asBinding(raw: unknown): CapBinding {
  const b = raw as Partial<CapBinding> | null;
  if (!b || typeof b.Cap !== 'function' || typeof b.deviceList !== 'function') {
    throw createError('E_CAPTURE', CONTEXT, 'the capture addon does not look like cap 0.2');
  }
  // An addon built without ntk's patch has none of these: its packets carry no kernel timestamp, and ntk will
  // not put its own clock's reading in their place.
  if (
    typeof b.Cap.compileFilter !== 'function' ||
    typeof (b.Cap.prototype as Partial<CapHandle>).stats !== 'function' ||
    typeof (b.Cap.prototype as Partial<CapHandle>).setBatch !== 'function'
  ) {
    throw createError('E_CAPTURE', CONTEXT, UNPATCHED);
  }
  const proto = b.Cap.prototype as object;
  if (!(proto instanceof EventEmitter)) Object.setPrototypeOf(proto, EventEmitter.prototype);
  return b as CapBinding;
}

/** The one line said when the addon loaded lacks ntk's patch (an old build). */
export const UNPATCHED =
  'the capture addon was built without packet timestamps, drop counts and filter compilation (an old cap.node: run npm ci, or npx patch-package && npm rebuild cap)';

/** Turns a failed require/dlopen into one line that says what is missing. */
function loadError(err: unknown, what: string): Error {
  const text = errnoWords(err);
  let message: string;
  if (/libpcap\.so[.\d]*: cannot open shared object file/.test(text)) {
    message =
      'live capture needs the libpcap runtime (Debian package libpcap0.8); reading files with -r works without it';
  } else if (/NODE_MODULE_VERSION/.test(text)) {
    message = `the capture addon was built for another Node.js version (rebuild cap: npm rebuild cap): ${firstLine(text)}`;
  } else if (/Cannot find module 'cap'/.test(text)) {
    message = `live capture needs ${what}`;
  } else {
    message = `cannot load the capture addon from ${what}: ${firstLine(text)}`;
  }
  return createError('E_CAPTURE', CONTEXT, message, { cause: err });
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
}

/**
 * Compiles the filter `expr` for the packets of a capture file with this header (LINKTYPE_ value, snap length,
 * byte order) as tcpdump -r compiles it; returns the BPF program. Throws E_CAPTURE in libpcap's own words for a
 * bad filter ("can't parse filter expression: syntax error"), or when the addon cannot be loaded.
 */
export function compileFilterFor(
  expr: string,
  header: { linktype: number; snaplen: number; bigEndian: boolean },
): BpfInsn[] {
  const { binding } = loadCap();
  try {
    return binding.Cap.compileFilter(expr, header.linktype, header.snaplen, header.bigEndian);
  } catch (err) {
    throw createError('E_CAPTURE', CONTEXT, errnoWords(err), { cause: err });
  }
}
