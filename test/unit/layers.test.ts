/**
 * The tree's one rule: imports point down the layers, never up or sideways between capabilities.
 *
 *   main.ts → cli/ → commands/ → connect/ listen/ scan/ sockets/ watch/ → print/ → lib/
 *
 * A capability never imports another capability: what two of them share lives in lib/ (or print/).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(__dirname, '../../src');

/** Each top-level folder (or file) of src and its layer: a module may import only from a lower layer or its own folder. */
const LAYER: Record<string, number> = {
  'main.ts': 6,
  cli: 5,
  commands: 4,
  connect: 3,
  listen: 3,
  scan: 3,
  sockets: 3,
  watch: 3,
  print: 2,
  lib: 1,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import of every file under src, as [importing folder, imported folder, where]. */
function edges(): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  for (const file of sourceFiles(SRC)) {
    const from = relative(SRC, file).split('/')[0] ?? '';
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
      const to = relative(SRC, resolve(dirname(file), m[1] ?? '')).split('/')[0] ?? '';
      out.push([from, to, `${relative(SRC, file)} imports '${m[1]}'`]);
    }
  }
  return out;
}

describe('layers', () => {
  it('knows every top-level folder of src', () => {
    const unknown = readdirSync(SRC).filter((name) => !(name in LAYER));
    expect(unknown).toEqual([]);
  });

  it('imports only downwards, and never from one capability into another', () => {
    const wrong = edges()
      .filter(([from, to]) => from !== to && (LAYER[to] ?? 0) >= (LAYER[from] ?? 0))
      .map(([, , where]) => where);
    expect(wrong).toEqual([]);
  });
});
