/**
 * The chat room and broker behind `ntk listen --chat` / `--broker` (ncat's --chat and --broker, made safe):
 * every participant's lines reach every other participant and the operator, each participant has a bounded
 * outgoing queue, and nobody can stall, flood or repaint anyone else.
 *
 * Chat: each line is relayed as `<name> text` with control characters stripped (chat-text.ts) and cut at
 * `maxLine` bytes (linebuf.ts); notices start with `* `. Broker: bytes are relayed unchanged, without names.
 * Backpressure: a socket's write() queues what the kernel cannot take yet; once a participant's queue holds more
 * than `maxQueue` bytes it has stopped reading, and it is disconnected (E_QUEUE_FULL) instead of making the room
 * wait or grow without bound. The operator's stdout gets the same treatment: past a backlog, output is dropped
 * and counted. Speed: the lines read in one turn of the event loop go out as one write per participant, and a
 * chunk of plain whole lines is relayed in one pass (relayPlain) without a buffer per line.
 */
import type { Server, Socket } from 'node:net';
import { diag, onceAborted, onStdinEnd, type Io } from '../lib/io.js';
import { EXIT_INTERRUPTED, type ErrorCode } from '../lib/errors.js';
import { cleanText, parseCommand, validNick, MAX_NICK } from './chat-text.js';
import { LineSplitter } from './linebuf.js';
// CLOSE_GRACE_MS: how long a refused or timed-out peer gets to take its closing notice before it is destroyed.
import { CLOSE_GRACE_MS } from '../lib/pipe.js';
import { refusedBy, type AccessRules } from './access.js';
import { errnoWords } from '../lib/errno.js';
import { hostPort } from '../lib/socktable.js';

export type RoomMode = 'chat' | 'broker';

export interface RoomOptions extends AccessRules {
  mode: RoomMode;
  /** --max-conns: participants at once; one more is told the room is full and closed (E_MAXCONNS). */
  maxConns: number;
  /** --max-line: longest line relayed whole, in bytes; longer ones are cut (E_LINE_TOO_LONG). Chat only. */
  maxLine: number;
  /** --max-queue: bytes that may wait for one participant before it is disconnected (E_QUEUE_FULL). */
  maxQueue: number;
  /** --idle: disconnect a participant that sent nothing for this many ms (E_IDLE); undefined: never. */
  idleMs?: number;
  /** Told about every join, leave, rename, cut line and refusal (for tests and embedding). */
  onEvent?: (event: RoomEvent) => void;
}

/** Something that happened in the room. `code` says why a participant was refused, cut or disconnected. */
export interface RoomEvent {
  kind: 'join' | 'leave' | 'nick' | 'cut' | 'refused';
  /** The participant's name (chat), or its address:port (broker, refusals). */
  name: string;
  where: string;
  code?: ErrorCode;
  /** The notice as printed, without `* `. */
  text: string;
}

/** The limits' defaults (listen-defaults.ts, where --help reads them). */
export { ROOM_DEFAULTS } from './defaults.js';

/** How much output may wait for the operator's stdout before lines are dropped. */
export const OPERATOR_BACKLOG = 4 * 1024 * 1024;


/** Names nobody can take: the operator's. */
const RESERVED = new Set(['server']);

const NL = Buffer.from('\n');

/** Relayed bytes gathered before they are written out even within one turn of the event loop. */
const MAX_BATCH = 256 * 1024;

interface Participant {
  socket: Socket;
  name: string;
  /** `<name> `, made once per name rather than once per line. */
  prefix: Buffer;
  where: string;
  lines: LineSplitter;
  idle?: NodeJS.Timeout;
  gone: boolean;
}

/**
 * Runs the room on a listening `server` until `io.interrupt` is aborted; resolves with exit status 130 then.
 * Never rejects and never ends because of a participant: their errors only disconnect them.
 */
export async function runRoom(server: Server, opts: RoomOptions, io: Io): Promise<number> {
  const room = new Room(opts, io);
  server.on('connection', (socket) => room.admit(socket));
  let lastAcceptError = 0;
  server.on('error', (err) => {
    // accept() can fail (EMFILE when out of descriptors); libuv keeps listening, so say so at most once a second.
    const now = Date.now();
    if (now - lastAcceptError > 1000) diag(io, `ntk: listen: accept failed: ${errnoWords(err)}`);
    lastAcceptError = now;
  });
  const stopStdin = room.readOperator();
  await onceAborted(io.interrupt);
  stopStdin();
  server.close();
  room.closeAll();
  if (room.operatorDropped > 0) {
    diag(io, `ntk: listen: ${room.operatorDropped} bytes of the room not shown: stdout did not keep up`);
  }
  return EXIT_INTERRUPTED;
}

/** The room's state: who is here, by name, and what is waiting to be said. */
class Room {
  private readonly people = new Set<Participant>();
  /** Lower-cased names in use (names are unique regardless of case, so nobody can pose as another). */
  private readonly names = new Map<string, Participant>();
  private joined = 0;
  /** Disconnections decided during a broadcast, announced once it is over (so every message keeps its order). */
  private readonly leaving: { p: Participant; code?: ErrorCode; why?: string }[] = [];
  private broadcasting = 0;

  /**
   * Relayed lines not written yet, all from `batchFrom`: the lines of every chunk read in one turn of the event
   * loop go out as one write per participant (fewer system calls when a participant sends fast).
   */
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private batchFrom: Participant | undefined;
  private flushScheduled = false;
  private readonly flushSoon = (): void => {
    this.flushScheduled = false;
    this.flush();
  };
  operatorDropped = 0;

  constructor(
    private readonly opts: RoomOptions,
    private readonly io: Io,
  ) {}

  /** Takes a new connection: refuses it (access rules, room full) or makes it a participant. */
  admit(socket: Socket): void {
    socket.on('error', () => {}); // replaced below; a refused peer's RST must not crash the room
    const address = socket.remoteAddress;
    const port = socket.remotePort ?? 0;
    if (address === undefined) {
      socket.destroy(); // gone before we looked
      return;
    }
    const where = hostPort(address, port);
    const rule = refusedBy(this.opts, address);
    if (rule !== undefined) {
      this.event({ kind: 'refused', name: where, where, code: 'E_DENIED', text: `${where} refused (${rule})` });
      socket.destroy();
      return;
    }
    if (this.people.size >= this.opts.maxConns) {
      const text = `${where} refused: room full (--max-conns ${this.opts.maxConns})`;
      this.event({ kind: 'refused', name: where, where, code: 'E_MAXCONNS', text });
      closeGently(socket, `* room full (${this.opts.maxConns} connected)\n`);
      return;
    }
    const chat = this.opts.mode === 'chat';
    const name = chat ? this.nextName() : where;
    const p: Participant = {
      socket,
      name,
      prefix: Buffer.from(`<${name}> `),
      where,
      lines: new LineSplitter(this.opts.maxLine),
      gone: false,
    };
    this.people.add(p);
    if (chat) this.names.set(name.toLowerCase(), p);
    // Detect peers that vanished without a FIN or RST (RFC 1122 §4.2.3.6 keep-alives), so they do not linger.
    socket.setKeepAlive(true, 60_000);
    if (this.opts.idleMs) {
      const secs = this.opts.idleMs / 1000;
      p.idle = setTimeout(() => this.disconnect(p, 'E_IDLE', `idle for ${secs} s`, true), this.opts.idleMs);
    }
    socket.removeAllListeners('error');
    socket.on('error', (err) => this.disconnect(p, 'E_NET', errnoWords(err)));
    socket.on('data', chat ? (chunk: Buffer) => this.onChatData(p, chunk) : (chunk: Buffer) => this.onBrokerData(p, chunk));
    socket.on('end', () => {
      if (chat) p.lines.end((line, cut) => this.onLine(p, line, cut));
      this.disconnect(p);
    });
    socket.on('close', () => this.disconnect(p));
    if (chat) this.notice(`${name} joined from ${where}`, { kind: 'join', name, where });
    else this.event({ kind: 'join', name, where, text: `${where} joined` });
  }

  /** Reads the operator's stdin: lines go out as `<server> text` (chat) or bytes unchanged (broker). */
  readOperator(): () => void {
    const stdin = this.io.stdin;
    const lines = new LineSplitter(this.opts.maxLine);
    const prefix = Buffer.from('<server> ');
    const relay = (feed: (onLine: (line: Buffer) => void) => void): void => {
      const out: Buffer[] = [];
      feed((line) => {
        const text = cleanText(line);
        if (text.length > 0) out.push(prefix, text, NL);
      });
      if (out.length === 0) return;
      this.flush();
      this.broadcast(Buffer.concat(out), undefined);
    };
    const onData = (chunk: Buffer): void => {
      if (this.opts.mode === 'broker') this.broadcast(chunk, undefined);
      else relay((onLine) => lines.push(chunk, onLine));
    };
    stdin.on('data', onData);
    // The operator's last line may lack its newline; a closed terminal ends the operator's input, not the room.
    const stopWatching = onStdinEnd(this.io, 'listen', () => relay((onLine) => lines.end(onLine)));
    return () => {
      stdin.removeListener('data', onData);
      stopWatching();
      stdin.pause();
    };
  }

  /** Ends every connection (graceful FIN, then destroyed after a grace period). */
  closeAll(): void {
    this.flush();
    for (const p of [...this.people]) {
      p.gone = true;
      if (p.idle) clearTimeout(p.idle);
      closeGently(p.socket);
    }
    this.people.clear();
    this.names.clear();
  }

  private onChatData(p: Participant, chunk: Buffer): void {
    if (p.gone) return;
    p.idle?.refresh();
    const fast = p.lines.atLineStart && chunk.length <= this.opts.maxLine ? relayPlain(chunk, p.prefix) : undefined;
    if (fast) this.queue(p, fast);
    else p.lines.push(chunk, (line, cut) => this.onLine(p, line, cut));
  }

  private onBrokerData(p: Participant, chunk: Buffer): void {
    if (p.gone) return;
    p.idle?.refresh();
    this.broadcast(chunk, p);
    this.toOperator(chunk);
  }

  /** One line from `p`: a /nick command, or text added to the batch being relayed. */
  private onLine(p: Participant, line: Buffer, cut: boolean): void {
    if (p.gone) return;
    const text = cleanText(line);
    const cmd = parseCommand(text);
    if (cmd) {
      this.rename(p, cmd.name);
      return;
    }
    if (text.length > 0) this.queue(p, Buffer.concat([p.prefix, text, NL]));
    if (cut) {
      const max = this.opts.maxLine;
      this.tell(p, `line cut at ${max} bytes (--max-line); the rest of it was not sent`);
      this.event({ kind: 'cut', name: p.name, where: p.where, code: 'E_LINE_TOO_LONG', text: `${p.name}: line cut at ${max} bytes` });
    }
  }

  /** Adds relayed lines from `p` to the batch; written at the end of this turn, or now if the batch is large. */
  private queue(p: Participant, lines: Buffer): void {
    if (this.batchFrom !== p) this.flush();
    this.batchFrom = p;
    this.batch.push(lines);
    this.batchBytes += lines.length;
    if (this.batchBytes >= MAX_BATCH) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushSoon);
    }
  }

  /** Relays the batch to everyone but its sender, and to the operator, as one write each. */
  private flush(): void {
    if (this.batch.length === 0) return;
    const data = Buffer.concat(this.batch, this.batchBytes);
    const from = this.batchFrom;
    this.batch = [];
    this.batchBytes = 0;
    this.batchFrom = undefined;
    this.broadcast(data, from);
    this.toOperator(data);
  }

  private rename(p: Participant, name: string): void {
    if (!validNick(name)) {
      this.tell(p, `invalid nick "${name.slice(0, MAX_NICK + 8)}": 1-${MAX_NICK} letters, digits, _ or -`);
      return;
    }
    const key = name.toLowerCase();
    const holder = this.names.get(key);
    if (holder === p && p.name === name) return;
    if ((holder && holder !== p) || RESERVED.has(key)) {
      this.tell(p, `nick "${name}" is taken`);
      return;
    }
    const old = p.name;
    this.names.delete(old.toLowerCase());
    this.names.set(key, p);
    p.name = name;
    p.prefix = Buffer.from(`<${name}> `);
    this.notice(`${old} is now ${name}`, { kind: 'nick', name, where: p.where });
  }

  /** The next free `userN` (a participant may have taken a future one with /nick). */
  private nextName(): string {
    let name: string;
    do name = `user${++this.joined}`;
    while (this.names.has(name));
    return name;
  }

  /** Sends `data` to every participant but `except`; afterwards announces those who had to be disconnected. */
  private broadcast(data: Buffer, except: Participant | undefined): void {
    this.broadcasting++;
    for (const p of this.people) if (p !== except) this.send(p, data);
    this.broadcasting--;
    if (this.broadcasting === 0) this.announceLeaving();
  }

  /** Queues `data` for `p`; a participant whose queue passes --max-queue has stopped reading: it is cut off. */
  private send(p: Participant, data: Buffer): void {
    if (p.gone) return;
    if (p.socket.destroyed) {
      // Reset by the peer, its 'error' not yet delivered: writing would only build an error per message.
      this.disconnect(p, 'E_NET', 'connection lost');
      return;
    }
    // write() queues what the kernel cannot take yet; its return value is only advice, the queue is the bound.
    p.socket.write(data);
    if (p.socket.writableLength > this.opts.maxQueue) {
      this.disconnect(p, 'E_QUEUE_FULL', `not reading: over ${this.opts.maxQueue} bytes queued`);
    }
  }

  /** Writes relayed data to the operator's stdout, dropping it (counted) when stdout is far behind. */
  private toOperator(data: Buffer): void {
    const out = this.io.stdout;
    if (out.writableLength > OPERATOR_BACKLOG) this.operatorDropped += data.length;
    else out.write(data);
  }

  /** Tells one participant something (chat only: a broker relays nothing of its own). */
  private tell(p: Participant, text: string): void {
    this.flush(); // what p said before comes first
    if (this.opts.mode === 'chat') this.send(p, Buffer.from(`* ${text}\n`));
  }

  /** Tells everyone (chat) and the operator (stderr) about `event`. */
  private notice(text: string, event: Omit<RoomEvent, 'text'>): void {
    this.flush(); // lines read before the event are relayed before its notice
    this.event({ ...event, text });
    if (this.opts.mode === 'chat') this.broadcast(Buffer.from(`* ${text}\n`), undefined);
  }

  private event(e: RoomEvent): void {
    diag(this.io, `* ${e.text}`);
    this.opts.onEvent?.(e);
  }

  /**
   * Removes `p` from the room at once; the notice to the others follows the broadcast in progress, if any.
   * `gently`: let it read a last notice first (idle); otherwise the socket is destroyed.
   */
  private disconnect(p: Participant, code?: ErrorCode, why?: string, gently = false): void {
    if (p.gone) return;
    p.gone = true;
    if (p.idle) clearTimeout(p.idle);
    this.people.delete(p);
    if (this.names.get(p.name.toLowerCase()) === p) this.names.delete(p.name.toLowerCase());
    if (gently && this.opts.mode === 'chat') closeGently(p.socket, `* disconnected: ${why}\n`);
    else if (gently) closeGently(p.socket);
    else p.socket.destroy();
    this.leaving.push({ p, code, why });
    if (this.broadcasting === 0) this.announceLeaving();
  }

  private announceLeaving(): void {
    // Announcing can disconnect more participants (their queues fill); the loop takes those too.
    for (let next = this.leaving.shift(); next; next = this.leaving.shift()) {
      const { p, code, why } = next;
      this.notice(`${p.name} left${why ? ` (${why})` : ''}`, { kind: 'leave', name: p.name, where: p.where, code });
    }
  }
}

/**
 * The common case done in one pass: a chunk of whole lines, each non-empty, none a command, all printable ASCII
 * or tab. Returns them relayed (`prefix` before each line) in one buffer, or undefined when the chunk needs the
 * line-by-line path (a partial line, control bytes, non-ASCII, an empty line, a line starting with `/`).
 */
export function relayPlain(chunk: Buffer, prefix: Buffer): Buffer | undefined {
  const n = chunk.length;
  if (n === 0 || chunk[n - 1] !== 0x0a) return undefined;
  let lines = 0;
  let lineStart = true;
  for (let i = 0; i < n; i++) {
    const b = chunk[i] as number;
    if (b === 0x0a) {
      if (lineStart) return undefined; // an empty line
      lines++;
      lineStart = true;
      continue;
    }
    if ((b < 0x20 && b !== 0x09) || b > 0x7e || (lineStart && b === 0x2f)) return undefined;
    lineStart = false;
  }
  const out = Buffer.allocUnsafe(n + lines * prefix.length);
  let o = 0;
  for (let start = 0; start < n; ) {
    const end = chunk.indexOf(0x0a, start) + 1;
    o += prefix.copy(out, o);
    o += chunk.copy(out, o, start, end);
    start = end;
  }
  return out;
}

/** Writes `last` (if any), sends FIN, and destroys the socket if the peer has not closed within the grace period. */
function closeGently(socket: Socket, last?: string): void {
  socket.on('error', () => {});
  if (last === undefined) socket.end();
  else socket.end(last);
  setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
}
