import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NTK_BIN } from '../helpers/run-ntk';

describe('ntk completion', () => {
  it('prints a bash script that completes command names and flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntk-completion-'));
    try {
      symlinkSync(NTK_BIN, join(dir, 'ntk'));
      const complete = (line: string): string => {
        const words = line.split(' ');
        const script = `source <(ntk completion)
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_ntk_yargs_completions; echo "\${COMPREPLY[@]}"`;
        const r = spawnSync('bash', ['-c', script], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
        expect(r.status, r.stderr.toString()).toBe(0);
        return r.stdout.toString().trim();
      };
      expect(complete('ntk con')).toBe('connect');
      expect(complete('ntk soc')).toBe('sockets');
      expect(complete('ntk connect --re')).toBe('--reuse');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
