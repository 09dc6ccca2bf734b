#!/usr/bin/env node
// Bundles src/main.ts into dist/ntk.cjs: one CommonJS file (a Node 20 single executable needs a CommonJS main),
// with the version baked in, and the worker threads beside it: the scan's (src/scan/worker.ts) into scan-worker.cjs,
// a followed session's capture (src/watch/follow/worker.ts) into watch-worker.cjs. The
// native capture addon is never bundled: src/watch/native.ts loads it.
//   node scripts/build.mjs [OUTFILE]      (default dist/ntk.cjs)
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const outfile = process.argv[2] ?? join(root, 'dist/ntk.cjs');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  external: ['cap'],
  define: { __NTK_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
};
await build({ ...common, entryPoints: [join(root, 'src/main.ts')], outfile });
for (const [entry, name] of [
  ['src/scan/worker.ts', 'scan-worker.cjs'],
  ['src/watch/follow/worker.ts', 'watch-worker.cjs'],
]) {
  await build({ ...common, entryPoints: [join(root, entry)], outfile: join(dirname(outfile), name) });
}
