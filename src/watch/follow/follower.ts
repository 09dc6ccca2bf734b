/**
 * Following ntk's own sessions in a capture: each packet is matched against the sockets announced so far (a
 * 4-tuple, a listening port, a scan's hosts and ports); a packet that matches nothing yet is kept for a while,
 * because a socket is announced only once its local port is known, after its SYN is on the wire. Matched packets
 * are printed exactly as tcpdump prints them, followed by `  # ` and what the packet means; each session's
 * summary follows once it is over (or when following stops).
 */
import type { Writable } from 'node:stream';
import { packetBytes, type Packet } from '../../print/packet.js';
import { PrintContext, type PrintOptions } from '../../print/context.js';
import { formatPacket } from '../../print/dispatch.js';
import type { Endpoint, TapEvent } from '../../lib/sockets-tap.js';
import { decodePacket, icmpWords, type Decoded } from './decode.js';
import { TH_ACK, TH_RST, TH_SYN } from '../../print/tcp.js';
import {
  endpointText,
  ms,
  TcpSession,
  type CloseReason,
  type Note,
  type NoteKind,
  type Role,
  type SessionSummary,
} from './tcp-session.js';
import { scanProof, type ProofStep } from './scan-proof.js';
import { explainPacket } from './explain.js';

export interface FollowOptions {
  print: PrintOptions;
  /** --explain: the annotation on its own line, and what the packet's fields mean under it. */
  explain: boolean;
  /** --json: NDJSON events and summaries instead of text. */
  json: boolean;
  /** ANSI colours for the annotations. */
  color: boolean;
  /** Where packet lines go. */
  out: Writable;
  /** Where summaries and scan proofs go. */
  summaryOut: Writable;
  /** Why our side closes, when known (in-process sessions). */
  closeReason?: () => CloseReason;
  /**
   * Keep every packet not matched yet, for announcements from other processes that come after their packets
   * (--own); otherwise only packets to or from a peer being connected to are kept.
   */
  holdAll?: boolean;
}

/** Unmatched packets are kept this long (capture time) in case their socket is announced late. */
const KEEP_UNMATCHED_MS = 5000;
/** And at most this many bytes of those that carry data (older ones go first)… */
const MAX_UNMATCHED_BYTES = 16 * 1024 * 1024;
/** Packets longer than this are never kept. */
const MAX_HELD_PACKET = 4096;
/** …and this many of the others (SYN, FIN, RST, pure ACKs, ICMP). */
const MAX_UNMATCHED_CONTROL = 50_000;
/** Output queued past this is dropped (a live capture cannot wait), and counted. */
export const MAX_OUTPUT_BACKLOG = 16 * 1024 * 1024;

interface Followed {
  tcp?: TcpSession;
  udp?: UdpFlow;
  local: Endpoint;
  remote: Endpoint;
  /** The scan's exchange, step by step (scan probes only). */
  proof?: ProofStep[];
  summarized: boolean;
}

interface Held {
  pkt: Packet;
  d: Decoded;
  t: number;
}

/** Held packets; those before `head` are forgotten. */
interface HeldQueue {
  items: Held[];
  head: number;
}

/** One UDP "session": datagrams each way. */
interface UdpFlow {
  sent: number;
  received: number;
  sentBytes: number;
  receivedBytes: number;
  start: number;
  last: number;
}

const COLORS: Record<NoteKind, string> = {
  handshake: '32',
  data: '36',
  ack: '2',
  close: '33',
  rst: '31',
  retransmission: '31',
  dupack: '35',
  window: '35',
  keepalive: '34',
  icmp: '31',
  other: '0',
};

/** Strips IPv4-mapped IPv6 (what a dual-stack socket reports) down to the IPv4 address. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function key(proto: string, a: string, ap: number, b: string, bp: number): string {
  const x = `${plain(a)}|${ap}`;
  const y = `${plain(b)}|${bp}`;
  return x < y ? `${proto} ${x} ${y}` : `${proto} ${y} ${x}`;
}

function isWildcard(address: string): boolean {
  return address === '' || address === '0.0.0.0' || address === '::';
}

export class Follower {
  private readonly ctx: PrintContext;
  /** With -x/-X/-A: the same printer without the dumps, to find where the protocol text ends. */
  private readonly plainCtx: PrintContext | undefined;
  private readonly sessions = new Map<string, Followed>();
  private readonly order: Followed[] = [];
  private readonly listeners: Array<{ proto: string; local: Endpoint }> = [];
  private readonly scans: Array<{ proto: string; hosts: Set<string>; ports: Set<number> }> = [];
  /**
   * Packets not matched yet, in two queues so that a bulk transfer elsewhere cannot push a new session's SYN
   * out: those carrying data (bounded in bytes) and the rest (control segments, bounded in count).
   */
  private held: HeldQueue = { items: [], head: 0 };
  private heldBytes = 0;
  private heldControl: HeldQueue = { items: [], head: 0 };
  /** Peers being connected to: their packets are kept until the socket's 4-tuple is announced. */
  private readonly connecting = new Set<string>();
  private text = '';
  private scheduled = false;
  /** Packets matched and printed. */
  printed = 0;
  /** Lines dropped because the output could not keep up. */
  dropped = 0;
  /** True once anything was announced: packets of ours are on their way. */
  expecting = false;
  /** Called when a session ends on the wire (its summary was printed). */
  onSessionDone: (() => void) | undefined;

  constructor(
    private readonly linktype: number,
    private readonly opts: FollowOptions,
  ) {
    this.ctx = new PrintContext(opts.print);
    const p = opts.print;
    if (p.hex > 0 || p.hexAscii > 0 || p.ascii > 0)
      this.plainCtx = new PrintContext({ ...p, hex: 0, hexAscii: 0, ascii: 0 });
  }

  /** True when at least one session was followed and every one is over on the wire. */
  get allDone(): boolean {
    return this.order.length > 0 && this.order.every((f) => f.summarized || f.tcp?.done === true);
  }

  get sessionCount(): number {
    return this.order.length;
  }

  /** Takes an announcement: from now on (and among the packets held) what it names is followed. */
  tap(ev: TapEvent): void {
    this.expecting = true;
    if (ev.type === 'connecting') {
      this.connecting.add(`${ev.proto} ${plain(ev.remote.address)}|${ev.remote.port}`);
      return;
    }
    if (ev.type === 'listening') this.listeners.push({ proto: ev.proto, local: ev.local });
    else if (ev.type === 'scan')
      this.scans.push({ proto: ev.proto, hosts: new Set(ev.hosts.map(plain)), ports: new Set(ev.ports) });
    else {
      const k = key(ev.proto, ev.local.address, ev.local.port, ev.remote.address, ev.remote.port);
      if (!this.sessions.has(k)) this.add(k, ev.proto, ev.local, ev.remote, ev.role);
    }
    // Packets that came before the announcement, in capture order.
    const held = mergeByTime(
      this.heldControl.items.slice(this.heldControl.head),
      this.held.items.slice(this.held.head),
    );
    this.held = { items: [], head: 0 };
    this.heldControl = { items: [], head: 0 };
    this.heldBytes = 0;
    for (const h of held) if (!this.follow(h)) this.hold(h);
  }

  /** Takes one captured packet. */
  packet(pkt: Packet): void {
    const d = decodePacket(this.linktype, pkt);
    if (d === undefined) return;
    const h: Held = { pkt, d, t: pkt.tsSec * 1000 + pkt.tsNsec / 1e6 };
    if (this.follow(h)) return;
    // Not (yet) ours: keep a copy for a while (a live capture writes the next packet over this one).
    if (!this.opts.holdAll && !this.mayBeAnnounced(d)) return;
    // A large segment is the middle of a flowing transfer, not the start of a session: copying it would only cost.
    if (pkt.caplen > MAX_HELD_PACKET) return;
    this.hold({ ...h, pkt: { ...pkt, data: new Uint8Array(packetBytes(pkt)), offset: 0 } });
  }

  /** Queues an unmatched packet; forgets the oldest past KEEP_UNMATCHED_MS or the queue's bound. */
  private hold(h: Held): void {
    const data =
      h.d.tcp !== undefined ? h.d.tcp.payload > 0 && !(h.d.tcp.flags & (TH_SYN | TH_RST | 0x01)) : (h.d.udp ?? 0) > 0;
    const q = data ? this.held : this.heldControl;
    q.items.push(h);
    if (data) this.heldBytes += h.pkt.caplen;
    // Forgetting moves a head index: a busy interface brings many packets a millisecond, and each must cost little.
    const over = (): boolean =>
      data ? this.heldBytes > MAX_UNMATCHED_BYTES : q.items.length - q.head > MAX_UNMATCHED_CONTROL;
    while (q.head < q.items.length - 1 && (h.t - (q.items[q.head] as Held).t > KEEP_UNMATCHED_MS || over())) {
      if (data) this.heldBytes -= (q.items[q.head] as Held).pkt.caplen;
      q.items[q.head++] = undefined as unknown as Held;
    }
    if (q.head > 1024 && q.head * 2 > q.items.length) {
      q.items = q.items.slice(q.head);
      q.head = 0;
    }
  }

  /** True when `d` goes to or comes from a peer a socket of ours is connecting to. */
  private mayBeAnnounced(d: Decoded): boolean {
    if (this.connecting.size === 0) return false;
    const proto = d.tcp ? 'tcp' : d.udp !== undefined ? 'udp' : '';
    if (d.icmp?.quote)
      return this.connecting.has(
        `${d.icmp.quote.proto === 6 ? 'tcp' : 'udp'} ${plain(d.icmp.quote.dst)}|${d.icmp.quote.dport}`,
      );
    return (
      this.connecting.has(`${proto} ${plain(d.dst)}|${d.dport}`) ||
      this.connecting.has(`${proto} ${plain(d.src)}|${d.sport}`)
    );
  }

  /** Prints the summaries not printed yet (sessions still open when following stops) and the scan proof. */
  finish(): void {
    // Scan probes are told by the proof, one line each, not by a summary each.
    for (const f of this.order) if (!f.summarized && f.proof === undefined) this.summarize(f);
    const proofs = this.order.filter((f) => f.proof !== undefined);
    if (proofs.length > 0) {
      const lines = scanProof(proofs.map((f) => ({ remote: f.remote, steps: f.proof as ProofStep[] })));
      if (this.opts.json) for (const p of lines) this.put(this.opts.summaryOut, JSON.stringify(p.json) + '\n');
      else
        this.put(
          this.opts.summaryOut,
          lines.map((p) => this.paint(p.text, p.json.state === 'open' ? 'handshake' : 'other')).join('\n') + '\n',
        );
    }
    this.flush();
  }

  private add(k: string, proto: string, local: Endpoint, remote: Endpoint, role: Role): Followed {
    const f: Followed = {
      local: { address: plain(local.address), port: local.port },
      remote: { address: plain(remote.address), port: remote.port },
      summarized: false,
    };
    if (proto === 'tcp') f.tcp = new TcpSession(f.local, f.remote, role, this.opts.closeReason);
    else f.udp = { sent: 0, received: 0, sentBytes: 0, receivedBytes: 0, start: 0, last: 0 };
    if (role === 'scan' && proto === 'tcp') f.proof = [];
    this.sessions.set(k, f);
    this.order.push(f);
    return f;
  }

  /** Prints `h` if it belongs to a followed session (creating one for a listener's or a scan's new peer). */
  private follow(h: Held): boolean {
    const { d } = h;
    if (d.icmp !== undefined) return this.followIcmp(h);
    const proto = d.tcp ? 'tcp' : d.udp !== undefined ? 'udp' : '';
    if (proto === '') return false;
    let f = this.sessions.get(key(proto, d.src, d.sport, d.dst, d.dport));
    if (f === undefined && (d.udp !== undefined || (d.tcp && (d.tcp.flags & (TH_SYN | TH_ACK | TH_RST)) === TH_SYN)))
      f = this.newPeer(proto, d);
    if (f === undefined) return false;
    const out = plain(d.src) === f.local.address && d.sport === f.local.port;
    let note: Note;
    if (f.tcp && d.tcp) {
      note = f.tcp.segment(h.t, out, d.tcp);
      f.proof?.push(proofStep(d.tcp.flags, out));
    } else {
      note = this.udpNote(f, h.t, out, d.udp ?? 0);
    }
    this.emit(h, f, note);
    if (f.tcp?.done && !f.summarized && f.proof === undefined) this.summarize(f);
    return true;
  }

  /** A SYN to a port we listen on or a SYN from a scan probe: a new session. */
  private newPeer(proto: string, d: Decoded): Followed | undefined {
    for (const l of this.listeners) {
      if (
        l.proto === proto &&
        l.local.port === d.dport &&
        (isWildcard(l.local.address) || plain(l.local.address) === plain(d.dst))
      ) {
        return this.add(
          key(proto, d.src, d.sport, d.dst, d.dport),
          proto,
          { address: d.dst, port: d.dport },
          { address: d.src, port: d.sport },
          'accept',
        );
      }
    }
    for (const s of this.scans) {
      if (s.proto === proto && s.hosts.has(plain(d.dst)) && s.ports.has(d.dport)) {
        return this.add(
          key(proto, d.src, d.sport, d.dst, d.dport),
          proto,
          { address: d.src, port: d.sport },
          { address: d.dst, port: d.dport },
          'scan',
        );
      }
    }
    return undefined;
  }

  /** An ICMP error quoting one of our packets belongs to that packet's session. */
  private followIcmp(h: Held): boolean {
    const q = h.d.icmp?.quote;
    if (q === undefined) return false;
    const proto = q.proto === 6 ? 'tcp' : q.proto === 17 ? 'udp' : '';
    const f = proto === '' ? undefined : this.sessions.get(key(proto, q.src, q.sport, q.dst, q.dport));
    if (f === undefined) return false;
    const words = icmpWords(h.d.icmp as NonNullable<Decoded['icmp']>);
    const note = f.tcp
      ? f.tcp.icmp(h.t, words)
      : { kind: 'icmp' as const, text: `${words}: nobody takes this port's datagrams` };
    f.proof?.push({ token: words.replace(/^ICMP(v6)? /, 'ICMP$1 '), from: 'net' });
    this.emit(h, f, note);
    if (f.tcp?.done && !f.summarized && f.proof === undefined) this.summarize(f);
    return true;
  }

  private udpNote(f: Followed, t: number, out: boolean, bytes: number): Note {
    const u = f.udp as UdpFlow;
    if (u.start === 0) u.start = t;
    u.last = t;
    if (out) {
      u.sent++;
      u.sentBytes += bytes;
    } else {
      u.received++;
      u.receivedBytes += bytes;
    }
    return { kind: 'data', text: `datagram: ${bytes} bytes ${out ? 'sent' : 'received'}` };
  }

  private emit(h: Held, f: Followed, note: Note): void {
    this.printed++;
    const text = formatPacket(this.ctx, this.linktype, h.pkt);
    if (this.opts.json) {
      const nl = this.plainCtx ? formatPacket(this.plainCtx, this.linktype, h.pkt).length - 1 : text.length - 1;
      const ev = {
        type: 'packet',
        session: f.tcp?.name ?? `${endpointText(f.local)} > ${endpointText(f.remote)}`,
        ts: Number((h.t / 1000).toFixed(6)),
        dir: plain(h.d.src) === f.local.address && h.d.sport === f.local.port ? 'out' : 'in',
        event: note.kind,
        text: note.text,
        line: text.slice(0, nl),
      };
      this.put(this.opts.out, JSON.stringify(ev) + '\n');
      return;
    }
    // The annotation ends the protocol text (its last line at -v), before any -x/-X/-A dump.
    const end = this.plainCtx ? formatPacket(this.plainCtx, this.linktype, h.pkt).length - 1 : text.length - 1;
    const annotation = this.paint(`# ${note.text}`, note.kind);
    if (this.opts.explain) {
      const out = plain(h.d.src) === f.local.address && h.d.sport === f.local.port;
      const why = explainPacket(h.d, h.pkt, this.opts.print, { out, scale: f.tcp?.scaleOf(out) })
        .map((l) => `      ${l}\n`)
        .join('');
      this.put(this.opts.out, `${text}    ${annotation}\n${why}`);
    } else {
      this.put(this.opts.out, `${text.slice(0, end)}  ${annotation}${text.slice(end)}`);
    }
  }

  private paint(text: string, kind: NoteKind): string {
    return this.opts.color ? `\x1b[${COLORS[kind]}m${text}\x1b[0m` : text;
  }

  private summarize(f: Followed): void {
    f.summarized = true;
    if (f.tcp) {
      const s = f.tcp.summary();
      if (this.opts.json) this.put(this.opts.summaryOut, JSON.stringify(s) + '\n');
      else
        this.put(
          this.opts.summaryOut,
          summaryText(s, this.opts.print.utc)
            .map((l, i) => (i === 0 ? this.paint(l, 'close') : l))
            .join('\n') + '\n',
        );
    } else if (f.udp) {
      const u = f.udp;
      const s = {
        type: 'summary',
        session: `${endpointText(f.local)} > ${endpointText(f.remote)}`,
        proto: 'udp',
        sent: { datagrams: u.sent, bytes: u.sentBytes },
        received: { datagrams: u.received, bytes: u.receivedBytes },
        duration_ms: u.last - u.start,
      };
      if (this.opts.json) this.put(this.opts.summaryOut, JSON.stringify(s) + '\n');
      else {
        this.put(
          this.opts.summaryOut,
          `session ${s.session} (udp)\n  sent ${u.sent} datagrams (${u.sentBytes} bytes), received ${u.received} (${u.receivedBytes} bytes), ${ms(s.duration_ms)}\n`,
        );
      }
    }
    this.flush();
    this.onSessionDone?.();
  }

  /** Queues text for `stream`; flushed once per turn of the event loop. */
  private put(stream: Writable, text: string): void {
    if (stream !== this.opts.out) {
      this.flush();
      stream.write(text);
      return;
    }
    if (stream.writableLength > MAX_OUTPUT_BACKLOG) {
      this.dropped++;
      return;
    }
    this.text += text;
    if (this.text.length >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      // A few ms of lines in one write: a busy session writes thousands a second, and each write is a syscall.
      this.scheduled = true;
      setTimeout(() => this.flush(), FLUSH_MS);
    }
  }

  /** Writes what is queued. */
  flush(): void {
    this.scheduled = false;
    if (this.text === '') return;
    const t = this.text;
    this.text = '';
    // Printers write ASCII (tcpdump escapes the rest); the annotations have a few UTF-8 signs (→, ×).
    this.opts.out.write(t, 'utf8');
  }
}

/** Queued output is written at the latest this many ms after its first line, or once it holds FLUSH_BYTES. */
const FLUSH_MS = 10;
const FLUSH_BYTES = 64 * 1024;

/** Two lists in capture order merged into one (the first wins ties). */
function mergeByTime(a: Held[], b: Held[]): Held[] {
  const out: Held[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && (a[i] as Held).t <= (b[j] as Held).t)) out.push(a[i++] as Held);
    else out.push(b[j++] as Held);
  }
  return out;
}

/** One step of a scan probe's exchange. */
function proofStep(flags: number, out: boolean): ProofStep {
  const from = out ? 'us' : 'peer';
  if (flags & TH_RST) return { token: out ? 'RST (ours)' : 'RST', from };
  if (flags & TH_SYN) return { token: flags & TH_ACK ? 'SYN-ACK' : 'SYN', from };
  if (flags & 0x01) return { token: out ? 'FIN (ours)' : 'FIN', from };
  return { token: out ? 'ACK (ours)' : 'ACK', from };
}

/** The summary block: a title line and a few indented lines. */
export function summaryText(s: SessionSummary, utc = false): string[] {
  const who = s.role === 'accept' ? 'we accepted' : s.role === 'scan' ? 'scan probe' : 'we connected';
  const lines = [`session ${s.session} (${who}): summary`];
  if (s.rtt_ms !== undefined) lines.push(`  handshake rtt ${ms(s.rtt_ms)}`);
  else if (s.end === 'refused') lines.push('  refused: the port is closed');
  else if (s.end === 'no-answer') lines.push(`  no answer: SYN sent ${times(s.sent.segments, 'time')}`);
  lines.push(
    `  sent ${times(s.sent.bytes, 'byte')} in ${times(s.sent.segments, 'segment')}, ` +
      `received ${times(s.received.bytes, 'byte')} in ${times(s.received.segments, 'segment')}`,
  );
  const re = s.sent.retransmissions + s.received.retransmissions;
  lines.push(
    re === 0
      ? '  retransmissions: none'
      : `  retransmissions: ${s.sent.retransmissions} by us, ${s.received.retransmissions} by the peer`,
  );
  if (s.time_wait !== undefined) {
    const first =
      s.closed_first === 'us'
        ? 'we closed first'
        : s.closed_first === 'peer'
          ? 'the peer closed first'
          : 'both closed at once';
    lines.push(
      `  ${first}: ${s.time_wait.holder} holds TIME_WAIT until ${clock(s.time_wait.until_ms, utc)} (60 s, 2MSL)`,
    );
  } else if (s.end === 'rst') lines.push('  ended by RST: no TIME_WAIT on either side');
  else if (s.end === 'open' && s.unanswered_probes !== undefined)
    lines.push(`  the peer stopped answering: ${times(s.unanswered_probes, 'keep-alive probe')} unanswered`);
  else if (s.end === 'open')
    lines.push(
      s.closed_first
        ? `  still closing (${s.closed_first === 'us' ? 'we' : 'the peer'} closed first)`
        : '  still open when following stopped',
    );
  lines.push(`  duration ${ms(s.duration_ms)}`);
  return lines;
}

/** "1 segment", "2 segments". */
function times(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** HH:MM:SS of a time in ms since the epoch (local time, as tcpdump's timestamps). */
function clock(t: number, utc: boolean): string {
  const d = new Date(t);
  return (
    utc ? [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()] : [d.getHours(), d.getMinutes(), d.getSeconds()]
  )
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
}
