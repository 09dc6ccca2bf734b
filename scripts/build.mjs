#!/usr/bin/env node
// Bundles src/main.ts into dist/ntk.cjs: one CommonJS file (a Node 20 single executable needs a CommonJS main),
// with the version baked in, and the worker threads beside it: the scan's (src/scan/worker.ts) into scan-worker.cjs,
// a followed session's capture (src/watch/follow/worker.ts) into watch-worker.cjs. The
// native capture addon is never bundled: src/watch/native.ts loads it.
//   node scripts/build.mjs [OUTFILE]      (default dist/ntk.cjs)
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
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

// V8's code caches of the bundle, each taken after a run that compiles what one kind of start needs: ntk.cjs.cache
// after `--help` (the command line, and its help text, which the parser renders on every run), for every command
// but `watch`; ntk.cjs.watch.cache after `watch -v -r` on one of the project's own captures (the printers too), for
// `watch`. A start skips compiling what its cache holds, and a larger cache takes longer to load (the watch one is
// about 200 KB larger, which cost the other commands 2 to 6 ms), so bin/ntk and the single executable hand V8 the
// one for the command. The cache file is opened before the run, which may give up root.
const cacheMaker = `
  const { openSync, readFileSync, writeSync } = require('node:fs');
  const Module = require('node:module');
  const { dirname } = require('node:path');
  const vm = require('node:vm');
  const [bundle, cacheFile, ...args] = process.argv.slice(1);
  const fd = openSync(cacheFile, 'w');
  const script = new vm.Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle });
  process.on('exit', () => writeSync(fd, script.createCachedData()));
  const m = { exports: {}, filename: bundle };
  script.runInThisContext().call(m.exports, m.exports, Module.createRequire(bundle), m, bundle, dirname(bundle));
  m.exports.run(args);
`;
const sample = join(root, 'test/golden/loopback.pcap');
for (const [cacheFile, args] of [
  [`${outfile}.cache`, ['--help']],
  [`${outfile}.watch.cache`, ['watch', '-n', '-v', '-r', sample]],
]) {
  execFileSync(process.execPath, ['-e', cacheMaker, outfile, cacheFile, ...args], { stdio: 'ignore' });
}
