/**
 * Golden tests in tcpdump's style: test/golden/TESTLIST names a capture, the output tcpdump 4.99 printed for it
 * (scripts/update-golden.mjs) and the flags; `ntk watch -n -r` must print the same bytes. Then -w: what ntk
 * writes from each capture must print the same again, read back by ntk and by tcpdump when it is installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runNtk } from '../helpers/run-ntk';

const GOLDEN = resolve(__dirname, '../golden');
const tests = readFileSync(join(GOLDEN, 'TESTLIST'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => {
    const [name, pcap, out, ...options] = l.split(/\s+/) as [string, string, string, ...string[]];
    return { name, pcap, out, options };
  });
const env = { TZ: 'GMT0' };
const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;

describe('golden captures: ntk watch -r prints what tcpdump printed', () => {
  it('has tests', () => expect(tests.length).toBeGreaterThan(10));
  for (const t of tests) {
    it(t.name, async () => {
      const r = await runNtk(['watch', '-n', '-r', join(GOLDEN, t.pcap), ...t.options], { env });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(readFileSync(join(GOLDEN, t.out), 'latin1'));
      expect(r.stderr).toMatch(/^reading from file .*, link-type \S+ \(.+\), snapshot length \d+\n/);
    });
  }
});

describe('-w writes captures that print the same lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ntk-golden-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pcaps = [...new Set(tests.map((t) => t.pcap))];
  for (const pcap of pcaps) {
    it(pcap, async () => {
      const written = join(dir, pcap);
      const w = await runNtk(['watch', '-r', join(GOLDEN, pcap), '-w', written]);
      expect(w.code).toBe(0);
      expect(w.stdout).toBe('');
      const original = await runNtk(['watch', '-n', '-v', '-r', join(GOLDEN, pcap)], { env });
      const copy = await runNtk(['watch', '-n', '-v', '-r', written], { env });
      expect(copy.stdout).toBe(original.stdout);
      if (hasTcpdump) {
        const theirs = spawnSync('tcpdump', ['-n', '-v', '-r', written], {
          env: { ...process.env, ...env },
          encoding: 'latin1',
        });
        expect(theirs.status).toBe(0);
        expect(theirs.stdout).toBe(original.stdout);
      }
    });
  }
});
