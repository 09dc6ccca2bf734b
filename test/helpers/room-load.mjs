// Many room clients in one process, for the chat room's load tests: the test process stays free to watch the
// server. Usage: node room-load.mjs MODE PORT HOST [N] [options as key=value]
//   join N            N clients join and idle; each waits for its own join notice. Then every line on stdin is
//                     text that every client must receive ("got" once all have it).
//   slowloris N       N clients join, then send `bytes` bytes each without a newline, `chunk` bytes per write
//                     (TCP_NODELAY), round-robin; "sent" once the kernel has taken everything.
//   read N            N clients join and read continuously; each checks that every `<name> SEQ …` line arrives
//                     in order, per sender; "done" with the counts once each has every `end=TEXT,TEXT`.
//   flood             one client sends `lines` numbered lines of 100 bytes as fast as the room takes them,
//                     then the line END.
//   chat              one client sends `lines` numbered lines, one every `every` ms, then the line CHAT-END.
// Reports on stdout, one JSON object a line: {"event":"joined",...}, {"event":"sent"}, {"event":"done",...}.
// Everything is bounded: each mode exits after `limit` seconds (default 120) whatever happens.
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

const [mode, portText, host, countText, ...rest] = process.argv.slice(2);
const opt = Object.fromEntries(rest.map((kv) => kv.split('=')));
const port = Number(portText);
const count = Number(countText ?? 1);
const limitMs = Number(opt.limit ?? 120) * 1000;
setTimeout(() => {
  report({ event: 'timeout', mode });
  process.exit(3);
}, limitMs).unref();

function report(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

/** A client: counts what it receives and looks for `watch` strings across chunk boundaries. */
class Client {
  constructor(onData) {
    clientCount++;
    this.socket = connect({ port, host });
    this.socket.setNoDelay(true);
    this.closed = false;
    this.joined = false;
    this.name = '';
    this.tail = '';
    this.socket.on('error', () => {});
    this.socket.on('close', () => (this.closed = true));
    this.notices = 0;
    this.socket.on('data', (chunk) => {
      if (countNotices && clientCount === 1)
        for (let i = chunk.indexOf('* '); i >= 0; i = chunk.indexOf('* ', i + 2)) this.notices++;
      if (!this.joined) this.lookForJoin(chunk);
      onData?.(this, chunk);
    });
  }

  /** The room tells each newcomer `* userN joined from ADDR` first. */
  lookForJoin(chunk) {
    const text = this.tail + chunk.toString('latin1');
    const m = /\* (\S+) joined from /.exec(text);
    if (m) {
      this.joined = true;
      this.name = m[1];
      this.tail = '';
      joinedCount++;
    } else this.tail = text.slice(-200);
  }
}

let joinedCount = 0;
let clientCount = 0;
/** The first client counts the notices it receives (`* ` anywhere in a chunk: close enough for a bound). */
const countNotices = opt.notices !== undefined;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Connects `n` clients, at most `batch` connecting at once; resolves once all have their join notice. */
async function joinAll(n, onData) {
  const clients = [];
  const batch = Number(opt.batch ?? 200);
  const started = Date.now();
  for (let i = 0; i < n; i += batch) {
    const group = [];
    for (let j = i; j < Math.min(n, i + batch); j++) group.push(new Client(onData));
    clients.push(...group);
    while (group.some((c) => !c.joined && !c.closed)) await sleep(5);
  }
  const closed = clients.filter((c) => c.closed).length;
  report({ event: 'joined', n: joinedCount, closed, ms: Date.now() - started, notices: clients[0]?.notices });
  return clients;
}

/** Finds `needle` in each client's stream (across chunks); resolves once every open client has it. */
function awaitText(clients, needle) {
  const found = new Set();
  const tails = new Map();
  return new Promise((resolve) => {
    const check = (c, chunk) => {
      if (found.has(c)) return;
      const text = (tails.get(c) ?? '') + chunk.toString('latin1');
      if (text.includes(needle)) found.add(c);
      else tails.set(c, text.slice(-needle.length));
    };
    for (const c of clients) c.socket.on('data', (chunk) => check(c, chunk));
    report({ event: 'watching', text: needle });
    const started = Date.now();
    const tick = setInterval(() => {
      const open = clients.filter((c) => !c.closed);
      if (open.every((c) => found.has(c))) {
        clearInterval(tick);
        resolve({ got: found.size, open: open.length, ms: Date.now() - started });
      }
    }, 10);
  });
}

async function joinMode() {
  const clients = await joinAll(count);
  for await (const line of createInterface({ input: process.stdin })) {
    report({ event: 'got', text: line, ...(await awaitText(clients, line)) });
  }
  for (const c of clients) c.socket.destroy();
}

async function slowlorisMode() {
  const clients = await joinAll(count);
  const bytes = Number(opt.bytes ?? 65000);
  const chunk = Buffer.alloc(Number(opt.chunk ?? 1), 0x61);
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    const piece = chunk.subarray(0, Math.min(chunk.length, bytes - sent));
    for (const c of clients) c.socket.write(piece);
    // Let the writes reach the kernel one round at a time, so the server reads small chunks.
    await new Promise((r) => setImmediate(r));
    while (clients.some((c) => c.socket.writableLength > 64 * 1024)) await sleep(5);
  }
  while (clients.some((c) => c.socket.writableLength > 0)) await sleep(10);
  report({ event: 'sent', perClient: bytes, closed: clients.filter((c) => c.closed).length });
  for await (const _ of createInterface({ input: process.stdin }));
  for (const c of clients) c.socket.destroy();
}

/** A reader's check: per sender, the numbers after the name must run 0, 1, 2, … */
function readMode() {
  const ends = (opt.end ?? 'END').split(',');
  const state = new Map();
  const onData = (c, chunk) => {
    let s = state.get(c);
    if (!s)
      state.set(c, (s = { partial: '', seq: new Map(), lines: 0, bad: 0, ends: new Set(), done: false, chatAt: [] }));
    const text = s.partial + chunk.toString('latin1');
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const line = text.slice(start, nl);
      start = nl + 1;
      if (line.charCodeAt(0) !== 0x3c) continue; // '<': a relayed line; notices are not counted
      const sp = line.indexOf(' ');
      const who = line.slice(0, sp);
      const body = line.slice(sp + 1);
      if (ends.includes(body)) {
        s.ends.add(body);
        s.done = s.ends.size === ends.length;
        continue;
      }
      const n = parseInt(body, 10);
      if (Number.isNaN(n)) continue;
      const next = s.seq.get(who) ?? 0;
      if (n !== next) s.bad++;
      s.seq.set(who, n + 1);
      s.lines++;
      // Where in the flood each chatter line arrived: a starved chatter's lines would all come at the end.
      if (body.includes(' chat ')) s.chatAt.push(s.lines);
    }
    s.partial = text.slice(start);
  };
  return joinAll(count, onData).then(async (clients) => {
    const started = Date.now();
    while (clients.some((c) => !c.closed && !state.get(c)?.done)) await sleep(20);
    const all = clients.map((c) => state.get(c) ?? { lines: 0, bad: 0, seq: new Map(), done: false, chatAt: [] });
    report({
      event: 'done',
      ms: Date.now() - started,
      closed: clients.filter((c) => c.closed).length,
      lines: all.map((s) => s.lines),
      done: all.filter((s) => s.done).length,
      perSender: all.map((s) => Object.fromEntries(s.seq)),
      bad: all.reduce((a, s) => a + s.bad, 0),
      chatAt: all[0]?.chatAt ?? [],
    });
    for await (const _ of createInterface({ input: process.stdin }));
    for (const c of clients) c.socket.destroy();
  });
}

async function floodMode() {
  const [c] = await joinAll(1);
  const lines = Number(opt.lines ?? 100_000);
  const per = 1000;
  let maxQueued = 0;
  const started = Date.now();
  for (let i = 0; i < lines; i += per) {
    let chunk = '';
    for (let j = i; j < Math.min(lines, i + per); j++) chunk += `${String(j).padStart(8, '0')} ${'f'.repeat(90)}\n`;
    if (!c.socket.write(chunk)) {
      maxQueued = Math.max(maxQueued, c.socket.writableLength);
      await new Promise((r) => c.socket.once('drain', r));
    }
  }
  c.socket.write(`${opt.end ?? 'END'}\n`);
  while (c.socket.writableLength > 0) await sleep(10);
  report({ event: 'sent', ms: Date.now() - started, maxQueued, closed: c.closed });
  for await (const _ of createInterface({ input: process.stdin }));
  c.socket.destroy();
}

async function chatMode() {
  const [c] = await joinAll(1);
  const lines = Number(opt.lines ?? 20);
  const every = Number(opt.every ?? 100);
  for (let i = 0; i < lines; i++) {
    c.socket.write(`${String(i).padStart(8, '0')} chat ${i}\n`);
    await sleep(every);
  }
  c.socket.write(`${opt.end ?? 'CHAT-END'}\n`);
  report({ event: 'sent', closed: c.closed });
  for await (const _ of createInterface({ input: process.stdin }));
  c.socket.destroy();
}

const modes = { join: joinMode, slowloris: slowlorisMode, read: readMode, flood: floodMode, chat: chatMode };
if (!modes[mode]) {
  console.error(`room-load: unknown mode ${mode}`);
  process.exit(2);
}
await modes[mode]();
process.exit(0);
