#!/usr/bin/env node
// Builds dist/ntk, a single executable: Node's own single-executable support (a SEA blob injected into a copy
// of this node binary with postject). Its main script is scripts/sea-main.cjs, which runs the bundle, carried
// as the asset ntk.cjs with its code caches ntk.cjs.cache and ntk.cjs.watch.cache; the capture addon cap.node
// travels as the asset "cap.node" and is written to a cache directory and dlopen'ed on first use of watch
// (src/watch/native.ts); the worker threads scan-worker.cjs and watch-worker.cjs travel as the assets of those
// names, which a large scan and a followed session start as source text (lib/worker-script.ts). Runs offline:
// nothing is downloaded.
//   node scripts/build-sea.mjs [--out FILE]      (default dist/ntk)
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const outIndex = process.argv.indexOf('--out');
const exe = outIndex > 0 ? process.argv[outIndex + 1] : join(root, 'dist/ntk');
if (!exe) {
  console.error('build-sea: --out needs a file name');
  process.exit(2);
}
const addon = join(root, 'node_modules/cap/build/Release/cap.node');
if (!existsSync(addon)) {
  console.error(
    'build-sea: node_modules/cap/build/Release/cap.node is missing (run npm ci with libpcap-dev installed)',
  );
  process.exit(1);
}
mkdirSync(dirname(exe), { recursive: true });
// Work in a private directory (removed however the build ends): the bundle in dist/ may be in use while this runs.
const work = mkdtempSync(join(tmpdir(), 'ntk-sea-'));
try {
  const bundle = join(work, 'ntk.cjs');
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), bundle], { stdio: 'inherit' });

  // The main script is a small launcher (scripts/sea-main.cjs) with V8's code cache of it: `--version` answers
  // without the bundle, and every other command loads the bundle from its asset with the bundle's code cache,
  // written by build.mjs next to it.
  const main = join(work, 'sea-main.cjs');
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  writeFileSync(main, readFileSync(join(root, 'scripts/sea-main.cjs'), 'utf8').replace('__NTK_VERSION__', version));
  const config = join(work, 'sea-config.json');
  const blob = join(work, 'ntk.blob');
  writeFileSync(
    config,
    JSON.stringify({
      main,
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      assets: {
        'ntk.cjs': bundle,
        'ntk.cjs.cache': `${bundle}.cache`,
        'ntk.cjs.watch.cache': `${bundle}.watch.cache`,
        'cap.node': addon,
        'scan-worker.cjs': join(work, 'scan-worker.cjs'),
        'watch-worker.cjs': join(work, 'watch-worker.cjs'),
      },
    }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'inherit' });

  rmSync(exe, { force: true });
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  const { inject } = require('postject');
  await inject(exe, 'NODE_SEA_BLOB', readFileSync(blob), {
    sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`build-sea: wrote ${exe}`);
