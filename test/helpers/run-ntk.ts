/**
 * Spawns the real ntk (bin/ntk, or the single executable when NTK_BIN is set) and collects both streams.
 * Every process is killed when its test finishes; a wait that times out reports both streams.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, onTestFinished } from 'vitest';

export const NTK_BIN = process.env.NTK_BIN ?? resolve(__dirname, '../../bin/ntk');

export interface NtkResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout as raw bytes. */
  out: Buffer;
}

export interface NtkProcess {
  child: ChildProcess;
  /** Raw stdout so far. */
  out(): Buffer;
  stdout(): string;
  stderr(): string;
  /** Resolves when `pattern` appears on the stream (stderr by default); rejects with both streams on timeout. */
  waitFor(
    pattern: RegExp | string,
    opts?: { stream?: 'stdout' | 'stderr'; timeoutMs?: number },
  ): Promise<RegExpMatchArray>;
  /** Resolves with the result once the process exits. */
  done: Promise<NtkResult>;
}

export interface SpawnOptions {
  /** Bytes to send then close; 'pipe' leaves stdin open for the test; 'ignore' gives none; default: empty. */
  stdin?: string | Buffer | 'pipe' | 'ignore';
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the process after this long (default 30 s), so a hung test fails instead of hanging. */
  timeoutMs?: number;
  /** Run inside this network namespace (`ip netns exec NAME`). */
  netns?: string;
  /** Prefix the command (e.g. another binary instead of ntk). */
  bin?: string;
}

/** Starts `ntk ARGS`; the process is killed (by PID) when the current test finishes. */
export function spawnNtk(args: string[], opts: SpawnOptions = {}): NtkProcess {
  const bin = opts.bin ?? NTK_BIN;
  const [cmd, argv] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, bin, ...args]] : [bin, args];
  const child = spawn(cmd, argv, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: [opts.stdin === 'ignore' ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  const outChunks: Buffer[] = [];
  let err = '';
  const waiters = new Set<() => void>();
  const notify = (): void => waiters.forEach((w) => w());
  child.stdout?.on('data', (c: Buffer) => {
    outChunks.push(c);
    notify();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
    notify();
  });
  if (child.stdin) {
    child.stdin.on('error', () => {}); // the process may exit before reading all of stdin
    if (opts.stdin === 'pipe') {
      // left open: the test writes to child.stdin
    } else if (typeof opts.stdin === 'string' || Buffer.isBuffer(opts.stdin)) child.stdin.end(opts.stdin);
    else if (opts.stdin === undefined) child.stdin.end();
  }
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  const out = (): Buffer => Buffer.concat(outChunks);
  const done = new Promise<NtkResult>((resolveDone) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      notify();
      const o = out();
      resolveDone({ code, signal, stdout: o.toString(), stderr: err, out: o });
    });
  });
  try {
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
  } catch {
    // Called outside a test (in a hook): the caller cleans up.
  }
  const waitFor: NtkProcess['waitFor'] = (pattern, wopts = {}) => {
    const stream = wopts.stream ?? 'stderr';
    const timeoutMs = wopts.timeoutMs ?? 10_000;
    return new Promise((resolveWait, reject) => {
      const check = (): boolean => {
        const text = stream === 'stderr' ? err : out().toString();
        const m = typeof pattern === 'string' ? text.match(escape(pattern)) : text.match(pattern);
        if (m) {
          cleanup();
          resolveWait(m);
          return true;
        }
        if (child.exitCode !== null || child.signalCode !== null) {
          cleanup();
          reject(
            new Error(
              `ntk exited (${child.exitCode ?? child.signalCode}) before ${String(pattern)} on ${stream}\n` + both(),
            ),
          );
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${String(pattern)} on ${stream}\n` + both()));
      }, timeoutMs);
      const waiter = (): void => void check();
      const cleanup = (): void => {
        clearTimeout(timer);
        waiters.delete(waiter);
      };
      waiters.add(waiter);
      check();
    });
  };
  const both = (): string => `--- stdout ---\n${out().toString().slice(-2000)}\n--- stderr ---\n${err.slice(-2000)}`;
  return { child, out, stdout: () => out().toString(), stderr: () => err, waitFor, done };
}

function escape(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

/** Runs `ntk ARGS` to completion with `stdin` (default: empty) and returns its status and streams. */
export function runNtk(args: string[], opts: SpawnOptions = {}): Promise<NtkResult> {
  return spawnNtk(args, opts).done;
}

/** Asserts the shape every error must have: one line (unless `lines` allows more), no stack trace. */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '');
}

/** True when `text` contains a JavaScript stack frame. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+\(.*:\d+:\d+\)$/m.test(text) || /^\s{4}at /m.test(text);
}

/** Asserts a usage error: exit 2, nothing on stdout, one `ntk: [context: ]…` line on stderr, no stack trace. */
export function expectUsageError(r: NtkResult, context?: string): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const lines = errorLines(r.stderr);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(context ? new RegExp(`^ntk: ${context}: `) : /^ntk: /);
  expect(hasStackTrace(r.stderr)).toBe(false);
}
