#!/usr/bin/env node
// Bundles src/main.ts into dist/ntk.cjs: one CommonJS file (a Node 20 single executable needs a CommonJS main),
// with the version baked in, and the worker threads beside it: the scan's (src/scan/worker.ts) into scan-worker.cjs,
// a followed session's capture (src/watch/follow/worker.ts) into watch-worker.cjs. The
// native capture addon is never bundled: src/watch/native.ts loads it.
//   node scripts/build.mjs [OUTFILE]      (default dist/ntk.cjs)
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

// V8's code cache of the bundle for bin/ntk (dist/ntk.cjs.cache), taken after a run of `watch -v -r` on one of the
// project's own captures, so that it holds compiled what starting a command needs (the command line, its help
// text, which the parser renders on every run) and what reading a capture needs: every later start skips
// compiling what that run compiled. The cache is opened before the run, which may give up root. Without the
// capture, a run of `--help` makes it.
const sample = join(root, 'test/golden/loopback.pcap');
const trainingRun = existsSync(sample) ? ['watch', '-n', '-v', '-r', sample] : ['--help'];
const cacheMaker = `
  const { openSync, readFileSync, writeSync } = require('node:fs');
  const Module = require('node:module');
  const { dirname } = require('node:path');
  const vm = require('node:vm');
  const [bundle, ...args] = process.argv.slice(1);
  const fd = openSync(bundle + '.cache', 'w');
  const script = new vm.Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle });
  process.on('exit', () => writeSync(fd, script.createCachedData()));
  const m = { exports: {}, filename: bundle };
  script.runInThisContext().call(m.exports, m.exports, Module.createRequire(bundle), m, bundle, dirname(bundle));
  m.exports.run(args);
`;
execFileSync(process.execPath, ['-e', cacheMaker, outfile, ...trainingRun], { stdio: 'ignore' });
