/**
 * Running the development build as an unprivileged user: the user must be able to read bin/ntk, the bundle and
 * the cap addon. A checkout inside a directory that user cannot enter (a home directory with mode 0700) is
 * copied, just those files, to a temporary directory anyone can read.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { onTestFinished } from 'vitest';
import { NTK_BIN } from './run-ntk';

/** setpriv's arguments that run a command as nobody, with no groups and no capabilities. */
export const AS_NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/** True when nobody can read every one of `paths` (and enter the directories above them). */
export function nobodyCanRead(paths: string[]): boolean {
  return (
    spawnSync('setpriv', [...AS_NOBODY, 'sh', '-c', 'for f; do test -r "$f" || exit 1; done', 'sh', ...paths])
      .status === 0
  );
}

/** An ntk that nobody can run: NTK_BIN itself when readable, else a copy removed when the test finishes. */
export function ntkForNobody(): string {
  const root = resolve(__dirname, '../..');
  const needed = [
    'bin/ntk',
    'dist/ntk.cjs',
    'node_modules/cap/package.json',
    'node_modules/cap/lib/Cap.js',
    'node_modules/cap/build/Release/cap.node',
  ];
  if (process.env.NTK_BIN !== undefined || nobodyCanRead(needed.map((f) => join(root, f)))) return NTK_BIN;
  const copy = mkdtempSync(join(tmpdir(), 'ntk-nobody-'));
  onTestFinished(() => rmSync(copy, { recursive: true, force: true }));
  chmodSync(copy, 0o755);
  for (const f of [
    'bin/ntk',
    'dist/ntk.cjs',
    'node_modules/cap/package.json',
    'node_modules/cap/lib',
    'node_modules/cap/build/Release/cap.node',
  ]) {
    mkdirSync(dirname(join(copy, f)), { recursive: true, mode: 0o755 });
    cpSync(join(root, f), join(copy, f), { recursive: true });
  }
  spawnSync('chmod', ['-R', 'a+rX', copy]);
  return join(copy, 'bin/ntk');
}
