/**
 * The chat room and broker behind `ntk listen --chat` / `--broker` (ncat's --chat and --broker, made safe):
 * every participant's lines reach every other participant and the operator, and nobody can stall, flood or
 * repaint anyone else.
 *
 * Chat: each line is relayed as `<name> text` with control characters stripped (chat-text.ts) and cut at
 * `maxLine` bytes (linebuf.ts); notices start with `* `. Broker: bytes are relayed unchanged, without names.
 *
 * Flow control (Redis's output-buffer limits and NATS's slow consumers are the models): senders are paced, not
 * readers kicked. A socket's write() queues what the kernel cannot take yet; while any participant's queue holds
 * more than `maxQueue` bytes (the high-water mark), the room reads from nobody: a chunk that arrives then is put
 * back and its socket paused, so TCP backpressure reaches the senders. When every queue is back under the mark,
 * the paused senders are resumed in the order they were paused, each served one chunk before anyone is paused
 * again (round-robin), so a flooder cannot starve the others. A participant whose queue stays above the mark for
 * `stallMs` without draining at all is disconnected (E_QUEUE_FULL): a stalled reader holds the room that long
 * at most, and one that keeps reading is never cut off and gets every line, in order.
 *
 * Cost: one socket and one small record per participant; handlers are shared by all participants, and a line
 * buffer, a name prefix or a timer exists only once it is needed (idle checks and stall checks are one sweep).
 * Joins and leaves in a busy room are announced in one line a second (`* 312 joined: user41 … user352`), so a
 * join storm does not cost a notice per join per participant. The operator's stdout drops output (counted) past
 * a backlog. The lines read in one turn of the event loop go out as one write per participant, and a chunk of
 * plain whole lines is relayed in one pass (relayPlain) without a buffer per line.
 */
import type { Server, Socket } from 'node:net';
import type { Readable } from 'node:stream';
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
  /** --max-queue: the high-water mark: while a participant has more bytes waiting, the room reads nobody. */
  maxQueue: number;
  /** --stall: a participant above the mark this many ms without draining is disconnected (E_QUEUE_FULL). */
  stallMs?: number;
  /** --idle: disconnect a participant that sent no complete line (broker: no byte) for this many ms (E_IDLE). */
  idleMs?: number;
  /** --max-backlog: output bytes waiting for the operator's stdout past which relayed data is dropped (counted). */
  maxBacklog?: number;
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

/** Join and leave notices sent at once within one second; past that they wait for that second's summary. */
export const NOTICE_BURST = 5;
/** The period of join/leave summaries in a busy room, in ms. */
export const NOTICE_PERIOD_MS = 1000;
/** Names a join/leave summary shows before `…` and the last one. */
const SUMMARY_NAMES = 8;

/** Names nobody can take: the operator's. */
const RESERVED = new Set(['server']);

const NL = Buffer.from('\n');

/** Relayed bytes gathered before they are written out even within one turn of the event loop. */
const MAX_BATCH = 256 * 1024;

/** A source the room reads from and paces: a participant's socket, or the operator's stdin. */
interface Sender {
  source: Readable;
  /** Paused by the room and waiting in line to be read again. */
  waiting: boolean;
  /** Resumed with a turn: its next chunk is taken even if the room is over the mark again. */
  turn: boolean;
}

interface Participant extends Sender {
  socket: Socket;
  name: string;
  /** `<name> `, made on the first line and once per name rather than once per line. */
  prefix: Buffer | undefined;
  where: string;
  /** Made on the first partial line. */
  lines: LineSplitter | undefined;
  /** When it last sent a complete line (broker: any byte), or joined; for --idle. */
  active: number;
  /** Bytes ever queued for it: less what is still queued, the bytes it has taken (drained). */
  sent: number;
  /** Above the high-water mark: when it last drained (or went above), and what it had drained then. 0: below. */
  stallFrom: number;
  stallDrained: number;
  gone: boolean;
}

/** Where a socket's participant is kept, so that one set of handlers serves every socket. */
const PARTICIPANT = Symbol('participant');
type RoomSocket = Socket & { [PARTICIPANT]?: Participant };

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

/** Joins and leaves waiting for the next summary line (names beyond the first few are only counted). */
class PendingNotices {
  joined = 0;
  left = 0;
  private readonly joinNames: string[] = [];
  private readonly leftNames: string[] = [];
  private lastJoin = '';
  private lastLeft = '';
  /** The whole notice of the first event, said as such when it stays alone. */
  first = '';

  add(kind: 'join' | 'leave', name: string, text: string): void {
    if (this.joined + this.left === 0) this.first = text;
    if (kind === 'join') {
      if (this.joined++ < SUMMARY_NAMES) this.joinNames.push(name);
      this.lastJoin = name;
    } else {
      if (this.left++ < SUMMARY_NAMES) this.leftNames.push(name);
      this.lastLeft = name;
    }
  }

  /** `312 joined: user41 user42 … user352; 2 left: user7 user9`, or the one event's own notice. */
  text(): string {
    if (this.joined + this.left === 1) return this.first;
    const list = (n: number, names: string[], last: string): string =>
      `${names.join(' ')}${n > names.length ? `${n > names.length + 1 ? ' …' : ''} ${last}` : ''}`;
    const parts: string[] = [];
    if (this.joined > 0) parts.push(`${this.joined} joined: ${list(this.joined, this.joinNames, this.lastJoin)}`);
    if (this.left > 0) parts.push(`${this.left} left: ${list(this.left, this.leftNames, this.lastLeft)}`);
    return parts.join('; ');
  }
}

/** The room's state: who is here, by name, what is waiting to be said, and who is waiting to be read. */
class Room {
  private readonly people = new Set<Participant>();
  /** Lower-cased names in use (names are unique regardless of case, so nobody can pose as another). */
  private readonly names = new Map<string, Participant>();
  private joined = 0;
  /** Disconnections decided during a broadcast, announced once it is over (so every message keeps its order). */
  private readonly leaving: { p: Participant; code?: ErrorCode; why?: string }[] = [];
  private broadcasting = 0;

  /** Participants whose queue is above the high-water mark: while there are any, the room reads nobody. */
  private readonly over = new Set<Participant>();
  /** Senders paused while the room was over the mark, in the order they were paused. */
  private waiting: Sender[] = [];
  private readonly operator: Sender;
  /** The sweep for --idle and --stall: runs only while there is something to check. */
  private sweepTimer: NodeJS.Timeout | undefined;

  /** Join/leave notices: how many went out in the current period, and those held for its summary. */
  private noticePeriod = 0;
  private noticesSent = 0;
  private pending: PendingNotices | undefined;
  private pendingTimer: NodeJS.Timeout | undefined;

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

  // One handler of each kind for every socket: a participant costs no closures.
  private readonly onSocketData: (this: RoomSocket, chunk: Buffer) => void;
  private readonly onSocketEnd: (this: RoomSocket) => void;
  private readonly onSocketClose: (this: RoomSocket) => void;
  private readonly onSocketError: (this: RoomSocket, err: Error) => void;
  private readonly onSocketDrain: (this: RoomSocket) => void;

  constructor(
    private readonly opts: RoomOptions,
    private readonly io: Io,
  ) {
    this.operator = { source: io.stdin, waiting: false, turn: false };
    // The handlers are shared by every socket, so `this` is the socket and the room is reached through `room`.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const room = this;
    const chat = opts.mode === 'chat';
    this.onSocketData = function (chunk) {
      const p = this[PARTICIPANT];
      if (p && !p.gone && room.mayRead(p, chunk)) {
        if (chat) room.onChatData(p, chunk);
        else room.onBrokerData(p, chunk);
      }
    };
    this.onSocketEnd = function () {
      const p = this[PARTICIPANT];
      if (!p) return;
      if (chat) p.lines?.end((line, cut) => room.onLine(p, line, cut));
      room.disconnect(p);
    };
    this.onSocketClose = function () {
      const p = this[PARTICIPANT];
      if (p) room.disconnect(p);
    };
    this.onSocketError = function (err) {
      const p = this[PARTICIPANT];
      if (p) room.disconnect(p, 'E_NET', errnoWords(err));
    };
    this.onSocketDrain = function () {
      const p = this[PARTICIPANT];
      if (p) room.drained(p);
    };
  }

  /** Takes a new connection: refuses it (access rules, room full) or makes it a participant. */
  admit(socket: RoomSocket): void {
    const address = socket.remoteAddress;
    const port = socket.remotePort ?? 0;
    if (address === undefined) {
      socket.on('error', ignore);
      socket.destroy(); // gone before we looked
      return;
    }
    const where = hostPort(address, port);
    const rule = refusedBy(this.opts, address);
    if (rule !== undefined) {
      this.event({ kind: 'refused', name: where, where, code: 'E_DENIED', text: `${where} refused (${rule})` });
      socket.on('error', ignore); // a refused peer's RST must not crash the room
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
      source: socket,
      waiting: false,
      turn: false,
      socket,
      name,
      prefix: undefined,
      where,
      lines: undefined,
      active: this.opts.idleMs ? Date.now() : 0,
      sent: 0,
      stallFrom: 0,
      stallDrained: 0,
      gone: false,
    };
    socket[PARTICIPANT] = p;
    this.people.add(p);
    if (chat) this.names.set(name.toLowerCase(), p);
    // Detect peers that vanished without a FIN or RST (RFC 1122 §4.2.3.6 keep-alives), so they do not linger.
    socket.setKeepAlive(true, 60_000);
    socket.on('error', this.onSocketError);
    socket.on('data', this.onSocketData);
    socket.on('end', this.onSocketEnd);
    socket.on('close', this.onSocketClose);
    if (this.opts.idleMs) this.sweepSoon();
    const text = `${name} joined from ${where}`;
    if (chat) this.send(p, Buffer.from(`* ${text}\n`)); // its name, at once, whatever the others are told
    this.joinOrLeave({ kind: 'join', name, where, text }, p);
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
      if (!this.mayRead(this.operator, chunk)) return;
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
    this.flushNotices();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.pendingTimer) clearTimeout(this.pendingTimer);
    for (const p of [...this.people]) {
      p.gone = true;
      closeGently(p.socket);
    }
    this.people.clear();
    this.names.clear();
    this.over.clear();
    this.waiting = [];
  }

  /**
   * Pacing: true when `chunk` from `s` may be relayed now. While the room is over the mark, a sender without a
   * turn has its chunk put back and is paused until every queue is under the mark again.
   */
  private mayRead(s: Sender, chunk: Buffer): boolean {
    if (this.over.size === 0) return true;
    if (s.turn) {
      s.turn = false;
      return true;
    }
    s.source.pause();
    s.source.unshift(chunk);
    if (!s.waiting) {
      s.waiting = true;
      this.waiting.push(s);
    }
    // A paced participant that sends whole lines is not idle.
    if (this.opts.idleMs && s !== this.operator && chunk.includes(10)) (s as Participant).active = Date.now();
    return false;
  }

  /** Every queue is under the mark: resumes the paused senders in the order they were paused, one turn each. */
  private resumeSenders(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const s of waiting) {
      s.waiting = false;
      if (s !== this.operator && (s as Participant).gone) continue;
      s.turn = true;
      s.source.resume();
    }
  }

  private onChatData(p: Participant, chunk: Buffer): void {
    const lines = p.lines;
    const fast =
      (lines === undefined || lines.atLineStart) && chunk.length <= this.opts.maxLine
        ? relayPlain(chunk, this.prefixOf(p))
        : undefined;
    if (fast) {
      if (this.opts.idleMs) p.active = Date.now();
      this.queue(p, fast);
    } else (p.lines ??= new LineSplitter(this.opts.maxLine)).push(chunk, (line, cut) => this.onLine(p, line, cut));
  }

  private onBrokerData(p: Participant, chunk: Buffer): void {
    if (this.opts.idleMs) p.active = Date.now();
    this.broadcast(chunk, p);
    this.toOperator(chunk);
  }

  /** One line from `p`: a /nick command, or text added to the batch being relayed. */
  private onLine(p: Participant, line: Buffer, cut: boolean): void {
    if (p.gone) return;
    if (this.opts.idleMs) p.active = Date.now();
    const text = cleanText(line);
    const cmd = parseCommand(text);
    if (cmd) {
      this.rename(p, cmd.name);
      return;
    }
    if (text.length > 0) this.queue(p, Buffer.concat([this.prefixOf(p), text, NL]));
    if (cut) {
      const max = this.opts.maxLine;
      this.tell(p, `line cut at ${max} bytes (--max-line); the rest of it was not sent`);
      this.event({
        kind: 'cut',
        name: p.name,
        where: p.where,
        code: 'E_LINE_TOO_LONG',
        text: `${p.name}: line cut at ${max} bytes`,
      });
    }
  }

  private prefixOf(p: Participant): Buffer {
    return (p.prefix ??= Buffer.from(`<${p.name}> `));
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
    const data = this.batch.length === 1 ? (this.batch[0] as Buffer) : Buffer.concat(this.batch, this.batchBytes);
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
    p.prefix = undefined;
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

  /** Queues `data` for `p`; a queue that passes the high-water mark stops the room reading (see above). */
  private send(p: Participant, data: Buffer): void {
    if (p.gone) return;
    const socket = p.socket;
    if (socket.destroyed) {
      // Reset by the peer, its 'error' not yet delivered: writing would only build an error per message.
      this.disconnect(p, 'E_NET', 'connection lost');
      return;
    }
    // write() queues what the kernel cannot take yet; its return value is only advice, the mark is the rule.
    socket.write(data);
    p.sent += data.length;
    if (p.stallFrom === 0 && socket.writableLength > this.opts.maxQueue) {
      p.stallFrom = Date.now();
      p.stallDrained = p.sent - socket.writableLength;
      this.over.add(p);
      socket.on('drain', this.onSocketDrain);
      this.sweepSoon();
    }
  }

  /** `p`'s queue is back under the mark: when nobody else is over it, the room reads again. */
  private drained(p: Participant): void {
    if (p.stallFrom === 0) return;
    p.stallFrom = 0;
    p.socket.removeListener('drain', this.onSocketDrain);
    this.over.delete(p);
    if (this.over.size === 0) this.resumeSenders();
  }

  /** Starts the sweep for --idle and --stall if it is not running. */
  private sweepSoon(): void {
    if (this.sweepTimer) return;
    const idle = this.opts.idleMs;
    const every = Math.max(20, Math.min(250, idle ? idle / 4 : 250));
    this.sweepTimer = setInterval(() => this.sweep(), every);
  }

  /** Disconnects the stalled (above the mark, not draining, for --stall) and the idle; stops when nothing is left. */
  private sweep(): void {
    const now = Date.now();
    const stall = this.opts.stallMs;
    for (const p of this.over) {
      const queued = p.socket.writableLength;
      const drained = p.sent - queued;
      if (queued <= this.opts.maxQueue) this.drained(p);
      else if (drained > p.stallDrained)
        [p.stallFrom, p.stallDrained] = [now, drained]; // draining: not stalled
      else if (stall !== undefined && now - p.stallFrom >= stall) {
        const why = `not reading: over ${this.opts.maxQueue} bytes queued for ${stall / 1000} s`;
        this.disconnect(p, 'E_QUEUE_FULL', why);
      }
    }
    const idle = this.opts.idleMs;
    if (idle) {
      for (const p of this.people) {
        if (now - p.active >= idle) this.disconnect(p, 'E_IDLE', `idle for ${idle / 1000} s`, true);
      }
    } else if (this.over.size === 0 && this.sweepTimer) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }

  /** Writes relayed data to the operator's stdout, dropping it (counted) when stdout is far behind. */
  private toOperator(data: Buffer): void {
    const out = this.io.stdout;
    if (out.writableLength > (this.opts.maxBacklog ?? OPERATOR_BACKLOG)) this.operatorDropped += data.length;
    else out.write(data);
  }

  /** Tells one participant something (chat only: a broker relays nothing of its own). */
  private tell(p: Participant, text: string): void {
    this.flush(); // what p said before comes first
    if (this.opts.mode === 'chat') this.send(p, Buffer.from(`* ${text}\n`));
  }

  /** Tells everyone but `except` (chat) and the operator (stderr) about `event`. */
  private notice(text: string, event: Omit<RoomEvent, 'text'>, except?: Participant): void {
    this.flush(); // lines read before the event are relayed before its notice
    this.event({ ...event, text });
    if (this.opts.mode === 'chat') this.broadcast(Buffer.from(`* ${text}\n`), except);
  }

  /**
   * A join or a leave: announced at once while fewer than NOTICE_BURST went out this period; past that, held for
   * one summary line at the end of the period. The operator hears of each at once.
   */
  private joinOrLeave(e: RoomEvent & { kind: 'join' | 'leave' }, joiner?: Participant): void {
    const now = Date.now();
    if (now - this.noticePeriod >= NOTICE_PERIOD_MS && this.pending === undefined) {
      this.noticePeriod = now;
      this.noticesSent = 0;
    }
    if (this.pending === undefined && this.noticesSent < NOTICE_BURST) {
      this.noticesSent++;
      this.notice(e.text, e, joiner);
      return;
    }
    this.event(e);
    (this.pending ??= new PendingNotices()).add(e.kind, e.name, e.text);
    this.pendingTimer ??= setTimeout(() => this.flushNotices(), this.noticePeriod + NOTICE_PERIOD_MS - now);
  }

  /** Sends the held joins and leaves as one line; the next period starts with its burst spent. */
  private flushNotices(): void {
    if (this.pendingTimer) clearTimeout(this.pendingTimer);
    this.pendingTimer = undefined;
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    this.noticePeriod = Date.now();
    this.noticesSent = NOTICE_BURST;
    this.flush();
    if (this.opts.mode === 'chat') this.broadcast(Buffer.from(`* ${pending.text()}\n`), undefined);
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
    this.people.delete(p);
    if (this.names.get(p.name.toLowerCase()) === p) this.names.delete(p.name.toLowerCase());
    if (gently && this.opts.mode === 'chat') closeGently(p.socket, `* disconnected: ${why}\n`);
    else if (gently) closeGently(p.socket);
    else p.socket.destroy();
    if (this.over.delete(p) && this.over.size === 0) this.resumeSenders();
    this.leaving.push({ p, code, why });
    if (this.broadcasting === 0) this.announceLeaving();
  }

  private announceLeaving(): void {
    // Announcing can disconnect more participants (their sockets reset); the loop takes those too.
    for (let next = this.leaving.shift(); next; next = this.leaving.shift()) {
      const { p, code, why } = next;
      const text = `${p.name} left${why ? ` (${why})` : ''}`;
      this.joinOrLeave({ kind: 'leave', name: p.name, where: p.where, code, text });
    }
  }
}

function ignore(): void {}

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
  for (let start = 0; start < n;) {
    const end = chunk.indexOf(0x0a, start) + 1;
    o += prefix.copy(out, o);
    o += chunk.copy(out, o, start, end);
    start = end;
  }
  return out;
}

/** Writes `last` (if any), sends FIN, and destroys the socket if the peer has not closed within the grace period. */
function closeGently(socket: Socket, last?: string): void {
  socket.on('error', ignore);
  if (last === undefined) socket.end();
  else socket.end(last);
  setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
}
