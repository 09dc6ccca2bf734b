'use strict';
// The single executable's main script (scripts/build-sea.mjs writes the version into VERSION). It answers
// `ntk --version` at once, straight to the descriptor; anything else runs the bundle, carried as the asset
// ntk.cjs, with V8's code cache of it (the asset ntk.cjs.cache, or ntk.cjs.watch.cache for `watch`), as bin/ntk
// does from dist/: a command loads the bundle only when it needs it. V8 checks the cache against the source and
// this Node, and compiles as usual when it does not fit.
const VERSION = '__NTK_VERSION__';
const args = process.argv.slice(2);

/** Writes the version line at once; false when that failed (the bundle then answers, and reports why). */
function versionNow() {
  try {
    require('node:fs').writeSync(1, `${VERSION}\n`);
    return true;
  } catch {
    return false;
  }
}

if (!(args.length === 1 && args[0] === '--version' && versionNow())) {
  const sea = require('node:sea');
  const Module = require('node:module');
  const vm = require('node:vm');
  const { dirname } = require('node:path');
  const script = new vm.Script(Module.wrap(sea.getAsset('ntk.cjs', 'utf8')), {
    filename: 'ntk.cjs',
    // `watch` has a cache of its own, taken after reading a capture: the printers come compiled (build.mjs).
    cachedData: Buffer.from(sea.getRawAsset(args[0] === 'watch' ? 'ntk.cjs.watch.cache' : 'ntk.cjs.cache')),
  });
  const module_ = { exports: {}, filename: process.execPath };
  script
    .runInThisContext()
    .call(module_.exports, module_.exports, require, module_, process.execPath, dirname(process.execPath));
  module_.exports.run(args);
}
