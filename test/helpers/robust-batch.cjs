'use strict';
// Runs the built bundle's watch over many capture files in this one process, as the conformance runner's
// --robustness mode runs it once per file: `ntk watch -r FILE -n`, output discarded. Prints one JSON line per
// file: {file, code, ms, trace} (trace: a line starting with "    at " was written). Usage:
//   node robust-batch.cjs BUNDLE FILE…
const { Writable, PassThrough } = require('node:stream');
const [bundle, ...files] = process.argv.slice(2);
const { main } = require(bundle);

/** A sink that keeps only whether a JavaScript stack trace line went through it. */
function sink(state) {
  let tail = '\n';
  return new Writable({
    write(chunk, _enc, done) {
      const text = tail + (typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
      if (/\n {4}at /.test(text)) state.trace = true;
      tail = text.slice(-8);
      done();
    },
  });
}

(async () => {
  for (const file of files) {
    const state = { trace: false };
    const io = {
      stdin: new PassThrough(),
      stdout: sink(state),
      stderr: sink(state),
      interrupt: new AbortController().signal,
      env: { TZ: 'GMT0' },
    };
    const t = process.hrtime.bigint();
    let code;
    try {
      code = await main(['watch', '-r', file, '-n'], io);
    } catch {
      code = -1;
      state.trace = true;
    }
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    process.stdout.write(JSON.stringify({ file, code, ms, trace: state.trace }) + '\n');
  }
})();
