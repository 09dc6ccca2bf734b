// Load generator for scripts/bench/chat: starts each chat server, connects clients, has one of them send
// lines, and measures until every other client has every line (and how many were disconnected); then the
// server's memory with many idle clients, and with 300 slowloris clients holding unfinished lines. Everything is
// bounded: client counts, line counts, and a time limit per measurement.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '../../..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const RUNS = Number(opt('runs', '5'));
const CLIENTS = opt('clients', '50').split(',').filter(Boolean).map(Number);
const LINES = Number(opt('lines', '50000'));
const IDLE = Number(opt('idle', '1000'));
/** ntk alone (ncat's select() loop holds about a thousand): idle clients for the large-room figure. */
const MANY = Number(opt('many', '10000'));
const SLOW_CLIENTS = Number(opt('slow-clients', '300'));
const SLOW_BYTES = 64_000;
const SLOW_CHUNK = 32;
const VERIFY = args.includes('--verify');
const WARMUP = !args.includes('--no-warmup');
const LINE_BYTES = 100;
const TIME_LIMIT_MS = 120_000;
// Not 127.0.0.1: a port scan of 127.0.0.1 running at the same time would connect and close at once, which
// makes ncat 7.93 quit ("getpeername ... failed").
const HOST = '127.0.0.77';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts a server; resolves with {child, port} once it accepts connections. */
async function startServer(kind) {
  if (kind === 'ntk') {
    // NTK_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server.
    const nodeArgs = (process.env.NTK_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const ntkArgs = ['listen', '--chat', '--max-conns', '20000', '-s', HOST, '0'];
    // NTK_BIN: another build of ntk to measure (a bin/ntk or dist/ntk.cjs).
    const child = spawn(process.execPath, [...nodeArgs, process.env.NTK_BIN ?? join(root, 'bin/ntk'), ...ntkArgs], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    const port = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`ntk did not start: ${err}`)), 10_000);
      child.stderr.on('data', (c) => {
        err += c;
        const m = /Listening on \S+ (\d+)/.exec(err);
        if (m) {
          clearTimeout(t);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', () => reject(new Error(`ntk exited: ${err}`)));
    });
    return { child, port, log: () => err };
  }
  const port = await freePort();
  const child = spawn('ncat', ['-l', '--chat', '--max-conns', '5000', HOST, String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  child.once('exit', (code, signal) => {
    if (signal !== 'SIGTERM') console.error(`ncat exited (${code ?? signal}): ${err.trim()}`);
  });
  // Wait for the LISTEN entry in the socket table: a probe connection would not do, since ncat 7.93 quits when a
  // client closes before ncat has looked at it ("getpeername ... failed").
  const entry = `:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A`;
  for (let i = 0; i < 200; i++) {
    if (readFileSync('/proc/net/tcp', 'utf8').includes(entry)) return { child, port };
    await sleep(25);
  }
  throw new Error('ncat did not start');
}

async function stopServer({ child }) {
  if (child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([gone, sleep(3000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** The last payload line carries this marker: a client that has it has every line before it (TCP keeps order). */
const END = Buffer.from('END-OF-RUN');

/**
 * A client that waits for the line `SYNC`, then for the END marker, counting the bytes in between. With
 * --verify it also counts newlines (slower: the load generator must stay faster than the servers it measures).
 */
function client(port) {
  return new Promise((resolve, reject) => {
    const c = {
      socket: null,
      head: '',
      synced: false,
      done: false,
      count: 0,
      bytes: 0,
      closed: false,
      tail: Buffer.alloc(0),
    };
    const s = connect(port, HOST);
    c.socket = s;
    s.on('data', (chunk) => {
      let from = 0;
      if (!c.synced) {
        // Look for SYNC in this chunk plus the last bytes of the previous one (it may straddle the two).
        const text = c.head + chunk.toString('latin1');
        const at = text.indexOf('SYNC\n');
        if (at < 0) {
          c.head = text.slice(-4);
          return;
        }
        c.synced = true;
        // Count only what followed the SYNC line in this chunk.
        from = chunk.length - (text.length - (at + 5));
        c.head = '';
      }
      c.bytes += chunk.length - from;
      if (VERIFY) for (let i = chunk.indexOf(10, from); i >= 0; i = chunk.indexOf(10, i + 1)) c.count++;
      // The marker may straddle two chunks: look in the end of the previous one too.
      const look = c.tail.length ? Buffer.concat([c.tail, chunk.subarray(from)]) : chunk.subarray(from);
      if (look.indexOf(END) >= 0) c.done = true;
      c.tail = Buffer.from(look.subarray(Math.max(0, look.length - END.length)));
    });
    s.on('close', () => (c.closed = true));
    s.on('error', () => {});
    s.once('connect', () => resolve(c));
    s.once('error', reject);
  });
}

/** HOST:`port` as /proc/net/tcp writes it: 4D00007F:1F90 (the address in host byte order, little-endian here). */
function localHex(port) {
  const addr = HOST.split('.')
    .reverse()
    .map((b) => Number(b).toString(16).padStart(2, '0'))
    .join('');
  return `${addr}:${port.toString(16).padStart(4, '0')}`.toUpperCase();
}

/**
 * Connections to `port` the server has not accept()ed yet: those in its accept queue (rx_queue of the LISTEN
 * entry) and those still in SYN_RECV, whose final ACK the kernel dropped because that queue was full (the client
 * already believes it is connected).
 */
function notAccepted(port) {
  const local = localHex(port);
  let n = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] !== local) continue;
    if (f[3] === '0A') n += parseInt(f[4]?.split(':')[1] ?? '0', 16);
    else if (f[3] === '03') n++;
  }
  return n;
}

async function connectAll(port, n, step = 10) {
  const all = [];
  // In batches, each accepted by the server before the next: ncat listens with a short backlog.
  for (let i = 0; i < n; i += step) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + step); j++) batch.push(client(port));
    all.push(...(await Promise.all(batch)));
    // Generous: a connection whose last ACK was dropped (accept queue full) waits for a SYN-ACK retransmission.
    // Reading /proc/net/tcp costs more as the table grows: look less often when there are many clients.
    const every = i < 1000 ? 2 : 50;
    if (!(await waitUntil(() => notAccepted(port) === 0, 60_000, every)))
      throw new Error('the server did not accept all clients');
  }
  return all;
}

async function waitUntil(check, limitMs, everyMs = 2) {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > limitMs) return false;
    await sleep(everyMs);
  }
  return true;
}

/** One measurement: N clients, the last one sends LINES lines; returns msgs/s or an error text. */
async function measure(kind, n) {
  const server = await startServer(kind);
  const clients = await connectAll(server.port, n);
  try {
    const sender = clients[n - 1];
    const receivers = clients.slice(0, n - 1);
    const payload = Buffer.alloc(LINES * LINE_BYTES);
    for (let i = 0; i < LINES; i++) {
      const line = payload.subarray(i * LINE_BYTES, (i + 1) * LINE_BYTES);
      line.fill(0x61 + (i % 26));
      line.write(String(i).padStart(8, '0'), 0, 'latin1');
      line[LINE_BYTES - 1] = 10;
    }
    END.copy(payload, payload.length - 1 - END.length);
    await sleep(200); // let the join announcements settle
    // One unmeasured round first: a chat server runs for a long time, and Node compiles its hot code on first use.
    if (WARMUP) sender.socket.write(payload);
    sender.socket.write('SYNC\n');
    if (!(await waitUntil(() => receivers.every((c) => c.synced), 30_000))) {
      return {
        error: `sync timed out (${receivers.filter((c) => c.synced).length} of ${receivers.length} synced, ${receivers.filter((c) => c.closed).length} closed)`,
      };
    }
    const cpu0 = cpuMs(server.child.pid);
    const t0 = process.hrtime.bigint();
    sender.socket.write(payload);
    const ok = await waitUntil(() => receivers.every((c) => c.done || c.closed), TIME_LIMIT_MS);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = cpuMs(server.child.pid) - cpu0;
    const lost = receivers.filter((c) => !c.done || (VERIFY && c.count < LINES) || c.bytes < payload.length);
    const closed = receivers.filter((c) => c.closed).length;
    if (!ok || lost.length > 0) {
      const cut = (server.log?.() ?? '').match(/left \(not reading/g)?.length ?? 0;
      return {
        error: `${lost.length} clients short of ${LINES} lines${ok ? '' : ' (time limit)'}, ${closed} disconnected${cut ? `, ${cut} cut off as not reading` : ''}`,
      };
    }
    return { ms, cpu, closed, rate: (LINES * receivers.length) / (ms / 1000) };
  } finally {
    for (const c of clients) c.socket.destroy();
    await stopServer(server);
  }
}

function status(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? NaN);
  return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
}

/** Peak RSS of a server holding `n` connected, silent clients. */
async function idleRss(kind, n) {
  const server = await startServer(kind);
  const started = Date.now();
  const clients = await connectAll(server.port, n, kind === 'ntk' ? 100 : 10);
  const joinMs = Date.now() - started;
  try {
    await sleep(1000); // joins announced, buffers settled
    const alive = clients.filter((c) => !c.closed).length;
    return { ...status(server.child.pid), alive, joinMs };
  } finally {
    for (const c of clients) c.socket.destroy();
    await stopServer(server);
  }
}

/** Bytes the kernel holds unread for the server on its connections (rx_queue of ESTABLISHED entries). */
function unread(port) {
  const local = localHex(port);
  let n = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local && f[3] === '01') n += parseInt(f[4]?.split(':')[1] ?? '0', 16);
  }
  return n;
}

/**
 * Slowloris: SLOW_CLIENTS clients each send SLOW_BYTES without a newline, SLOW_CHUNK bytes per write (TCP_NODELAY),
 * round-robin. Returns the server's RSS growth over its idle baseline once it has read everything.
 */
async function slowlorisRss(kind) {
  const server = await startServer(kind);
  const clients = await connectAll(server.port, SLOW_CLIENTS, kind === 'ntk' ? 50 : 10);
  try {
    for (const c of clients) c.socket.setNoDelay(true);
    await sleep(1000);
    const base = status(server.child.pid).rss;
    const piece = Buffer.alloc(SLOW_CHUNK, 0x61);
    for (let sent = 0; sent < SLOW_BYTES; sent += SLOW_CHUNK) {
      for (const c of clients) c.socket.write(piece);
      await new Promise((r) => setImmediate(r));
      if (!(await waitUntil(() => clients.every((c) => c.socket.writableLength < 64 * 1024), 30_000))) break;
    }
    await waitUntil(() => clients.every((c) => c.socket.writableLength === 0), 30_000);
    const read = await waitUntil(() => unread(server.port) === 0, 60_000);
    const { rss, hwm } = status(server.child.pid);
    const alive = clients.filter((c) => !c.closed).length;
    return { base, rss, hwm, alive, read };
  } finally {
    for (const c of clients) c.socket.destroy();
    await stopServer(server);
  }
}

/** CPU time a process has used so far, all threads, in ms (/proc/PID/task/TID/schedstat: ns on the CPU). */
function cpuMs(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  }
  return ns / 1e6;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const fmt = (x) => Math.round(x).toLocaleString('en-US');

console.log(
  `chat benchmark: ${LINES} lines of ${LINE_BYTES} bytes from one client, median of ${RUNS} runs${WARMUP ? ', each after one unmeasured round' : ''}`,
);
console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} CPUs\n`);
console.log('clients  server   msgs/s (median)   last delivery   server CPU   msgs/s of each run');
for (const n of CLIENTS) {
  const runs = {};
  for (const kind of ['ntk', 'ncat']) runs[kind] = { rates: [], times: [], cpus: [], errors: [], closed: 0 };
  // Interleaved, alternating which goes first, so that whatever else the machine does weighs on both alike.
  for (let r = 0; r < RUNS; r++) {
    for (const kind of r % 2 === 0 ? ['ntk', 'ncat'] : ['ncat', 'ntk']) {
      const m = await measure(kind, n);
      if (m.error) runs[kind].errors.push(m.error);
      else {
        runs[kind].closed += m.closed;
        runs[kind].rates.push(m.rate);
        runs[kind].times.push(m.ms);
        runs[kind].cpus.push(m.cpu);
      }
    }
  }
  for (const kind of ['ntk', 'ncat']) {
    const { rates, times, cpus, errors } = runs[kind];
    const shown = rates.length
      ? `${fmt(median(rates)).padStart(15)}   ${median(times).toFixed(0).padStart(9)} ms   ${median(cpus).toFixed(0).padStart(10)} ms`
      : '         failed';
    console.log(
      `${String(n).padStart(7)}  ${kind.padEnd(6)} ${shown}   ${rates.map((x) => fmt(x)).join(' / ')}${errors.length ? `  errors: ${errors.join('; ')}` : ''}`,
    );
  }
  if (runs.ntk.rates.length && runs.ncat.rates.length) {
    const rate = median(runs.ntk.rates) / median(runs.ncat.rates);
    const cpu = median(runs.ncat.cpus) / median(runs.ntk.cpus);
    console.log(
      `${String(n).padStart(7)}  ratio ntk/ncat: ${rate.toFixed(2)} in msgs/s, ${cpu.toFixed(2)} in messages per CPU second`,
    );
  }
  const failed = (kind) => runs[kind].errors.length;
  console.log(
    `${String(n).padStart(7)}  runs with a client disconnected or short of lines: ntk ${failed('ntk')} of ${RUNS}, ncat ${failed('ncat')} of ${RUNS}\n`,
  );
}

if (IDLE > 0) {
  console.log(`\npeak RSS with ${IDLE} idle clients`);
  for (const kind of ['ntk', 'ncat']) {
    const m = await idleRss(kind, IDLE);
    console.log(
      `  ${kind.padEnd(5)} VmHWM ${fmt(m.hwm / 1024)} MiB, VmRSS ${fmt(m.rss / 1024)} MiB (${m.alive} clients connected, joined in ${fmt(m.joinMs)} ms)`,
    );
  }
}

if (MANY > 0) {
  console.log(`\npeak RSS with ${MANY} idle clients (ntk only: ncat's select() loop holds about a thousand)`);
  const m = await idleRss('ntk', MANY);
  console.log(
    `  ntk   VmHWM ${fmt(m.hwm / 1024)} MiB, VmRSS ${fmt(m.rss / 1024)} MiB (${m.alive} clients connected, joined in ${fmt(m.joinMs)} ms)`,
  );
}

if (SLOW_CLIENTS > 0) {
  const held = SLOW_CLIENTS * SLOW_BYTES;
  console.log(
    `\nslowloris: ${SLOW_CLIENTS} clients send ${SLOW_BYTES} bytes each without a newline, ${SLOW_CHUNK} bytes per write (${fmt(held / 1024)} KiB held)`,
  );
  for (const kind of ['ntk', 'ncat']) {
    const m = await slowlorisRss(kind);
    const grown = (m.rss - m.base) * 1024;
    console.log(
      `  ${kind.padEnd(5)} VmRSS ${fmt(m.base / 1024)} -> ${fmt(m.rss / 1024)} MiB (+${fmt(grown / 2 ** 20)} MiB, ${(grown / held).toFixed(2)} x held), VmHWM ${fmt(m.hwm / 1024)} MiB, ${m.alive} clients connected${m.read ? '' : ', NOT all read'}`,
    );
  }
}
