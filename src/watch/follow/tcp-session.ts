/**
 * One TCP session followed from the wire (RFC 9293 §3.5-3.6, RFC 6298, RFC 1122 §4.2.3.6): a state machine fed
 * each segment in capture order, which says what the segment means from our side ("handshake 2/3", "data: 6
 * bytes sent", "close 4/4: … enters TIME_WAIT") and keeps the counts for the session's summary. Pure: times
 * come from the packets (ms since the epoch), never from the clock.
 */
import { TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../../print/tcp.js';
import type { TcpFields } from './decode.js';
import type { Endpoint } from '../../lib/sockets-tap.js';

/** Linux keeps TIME_WAIT for TCP_TIMEWAIT_LEN, 60 s (2MSL with an MSL of 30 s). */
export const TIME_WAIT_MS = 60_000;

/** What kind of event a segment is (the colour and the JSON `event` field). */
export type NoteKind =
  | 'handshake'
  | 'data'
  | 'ack'
  | 'close'
  | 'rst'
  | 'retransmission'
  | 'dupack'
  | 'window'
  | 'keepalive'
  | 'icmp'
  | 'other';

export interface Note {
  kind: NoteKind;
  text: string;
}

/** Who a session's socket is: the side that opened (connect, scan probe) or the one that accepted. */
export type Role = 'connect' | 'accept' | 'scan';

/** Why our side closes, when the follower knows it (in-process sessions). */
export type CloseReason = 'Ctrl-C' | 'SIGTERM' | 'stdin ended' | 'idle timeout' | undefined;

/** A range of bytes sent (relative sequence numbers), its last send time, how often and how far apart it went. */
interface Range {
  end: number;
  at: number;
  count: number;
  interval: number;
}

/** Where a segment started, and the range it sent (shared when sent again from inside another one). */
interface Sent {
  start: number;
  range: Range;
}

/** Per direction: what one side sent. */
interface Side {
  isn?: number;
  /** Relative sequence number after the highest byte sent (SYN and FIN count one). */
  nxt: number;
  bytes: number;
  segments: number;
  retrans: number;
  /** Recently sent ranges, oldest first, for telling retransmissions. */
  sent: Sent[];
  synAt?: number;
  synCount: number;
  synInterval: number;
  /** Relative seq of this side's FIN, once sent. */
  finRel?: number;
  finAt?: number;
  /** Highest relative ack this side sent (of the other side's numbers). */
  acked?: number;
  lastAckRaw?: number;
  lastWin?: number;
  dupacks: number;
  wscale?: number;
  /** The last segment was a keep-alive probe waiting for its answer. */
  probing: boolean;
  probes: number;
  /** Probes sent since the last answer. */
  unanswered: number;
  probeAt?: number;
}

function newSide(): Side {
  return {
    nxt: 0,
    bytes: 0,
    segments: 0,
    retrans: 0,
    sent: [],
    synCount: 0,
    synInterval: 0,
    dupacks: 0,
    probing: false,
    unanswered: 0,
    probes: 0,
  };
}

/** Ranges kept per side for retransmission matching (older ones are forgotten, up to as many again first). */
const MAX_RANGES = 4096;

/** The summary of a session, as printed and as the JSON `summary` object. */
export interface SessionSummary {
  type: 'summary';
  session: string;
  role: Role;
  local: string;
  remote: string;
  /** Handshake RTT in ms (undefined: no complete handshake). */
  rtt_ms?: number;
  sent: { bytes: number; segments: number; retransmissions: number };
  received: { bytes: number; segments: number; retransmissions: number };
  /** How it ended: fin, rst, refused, no-answer, open (still open when following stopped). */
  end: 'fin' | 'rst' | 'refused' | 'no-answer' | 'open';
  closed_first?: 'us' | 'peer' | 'both';
  /** The endpoint that holds TIME_WAIT, and until when (ms since the epoch). */
  time_wait?: { holder: string; until_ms: number };
  /** Still open with our last keep-alive probes unanswered: how many (--keepalive gave up on the peer). */
  unanswered_probes?: number;
  duration_ms: number;
  start_ms: number;
}

/** "127.0.0.1:80", "[::1]:80". */
export function endpointText(e: Endpoint): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** A duration in words: "0.063 ms", "12 ms", "1.20 s". */
export function ms(v: number): string {
  if (v < 1000) return `${Number(v.toPrecision(2))} ms`;
  return `${(v / 1000).toFixed(2)} s`;
}

/** Seconds with two decimals, for retransmission intervals ("after 0.21 s"). */
function secs(v: number): string {
  return `${(v / 1000).toFixed(2)} s`;
}

/** True when `b` is about twice `a` (exponential backoff, RFC 6298 §5.5). */
function doubled(a: number, b: number): boolean {
  return a > 0 && b / a > 1.6 && b / a < 2.5;
}

export class TcpSession {
  readonly us: Side = newSide();
  readonly peer: Side = newSide();
  private opener: 'us' | 'peer' | undefined;
  private synAckAt?: number;
  private synAckFrom?: 'us' | 'peer';
  private rtt?: number;
  private established = false;
  private firstFin: 'us' | 'peer' | undefined;
  private simultaneous = false;
  private finAcked = { us: false, peer: false };
  private endKind: SessionSummary['end'] | undefined;
  private timeWait?: { holder: string; until: number };
  private start?: number;
  private last = 0;
  /** Set when the session is over on the wire (RST, both FINs acknowledged, refused). */
  done = false;

  constructor(
    readonly local: Endpoint,
    readonly remote: Endpoint,
    readonly role: Role,
    private readonly closeReason: () => CloseReason = () => undefined,
  ) {}

  /** The session's name: "127.0.0.1:12345 > 127.0.0.1:8000" from the opener's side. */
  get name(): string {
    return this.role === 'accept'
      ? `${endpointText(this.remote)} > ${endpointText(this.local)}`
      : `${endpointText(this.local)} > ${endpointText(this.remote)}`;
  }

  /** Whether the peer answered a SYN at all (for the scan proof). */
  get answered(): boolean {
    return this.synAckAt !== undefined;
  }

  /** The window scale of the side that sent a segment (`out`: us), once both SYNs agreed on scaling. */
  scaleOf(out: boolean): number | undefined {
    if (this.us.wscale === undefined || this.peer.wscale === undefined) return undefined;
    return out ? this.us.wscale : this.peer.wscale;
  }

  /** Feeds one segment (`out`: sent by us) at time `t` (ms); returns what it means. */
  segment(t: number, out: boolean, tcp: TcpFields): Note {
    this.start ??= t;
    this.last = t;
    const who: 'us' | 'peer' = out ? 'us' : 'peer';
    const me = out ? this.us : this.peer;
    const other = out ? this.peer : this.us;
    me.segments++;
    const f = tcp.flags;
    if (f & TH_RST) return this.rst(who);
    if (f & TH_SYN) return this.syn(t, who, me, other, tcp);
    if (me.isn === undefined) {
      // The session's start was not seen: number from here.
      me.isn = tcp.seq;
    }
    const rel = (tcp.seq - (me.isn as number)) >>> 0;
    const notes: string[] = [];
    let kind: NoteKind = 'ack';
    // The ACK that completes the handshake.
    if (!this.established && f & TH_ACK && this.synAckFrom !== undefined && this.synAckFrom !== who) {
      this.established = true;
      // Our own SYN's round trip was measured at the SYN-ACK; a peer's, from our SYN-ACK to its ACK.
      this.rtt ??= t - (this.synAckAt as number);
      const ackRaw = tcp.ack;
      me.acked = (ackRaw - (other.isn as number)) >>> 0;
      me.lastAckRaw = ackRaw;
      me.lastWin = tcp.win;
      if (tcp.payload === 0 && !(f & TH_FIN))
        return { kind: 'handshake', text: `handshake 3/3: established (rtt ${ms(this.rtt)})` };
      notes.push('handshake 3/3: established');
      kind = 'handshake';
    }
    const probe = this.probe(t, who, me, other, rel, tcp);
    if (probe !== undefined) return probe;
    if (tcp.payload > 0) {
      const data = this.data(t, who, me, rel, tcp.payload);
      if (typeof data !== 'string') return data;
      notes.push(data);
      kind = kind === 'handshake' ? 'handshake' : 'data';
    }
    // What this segment acknowledges.
    let ackNote: Note | undefined;
    if (f & TH_ACK && other.isn !== undefined) {
      ackNote = this.ack(who, me, other, tcp, notes.length > 0 || (f & TH_FIN) !== 0);
    }
    if (f & TH_FIN) {
      const fin = this.finSegment(t, who, me, other, tcp, rel, ackNote);
      if (fin.kind === 'retransmission') return fin;
      notes.push(fin.text);
      return { kind: kind === 'data' ? 'data' : 'close', text: notes.join('; ') };
    }
    if (ackNote !== undefined) {
      if (notes.length === 0) return ackNote;
      if (ackNote.kind === 'close' || ackNote.kind === 'window') notes.push(ackNote.text);
    }
    if (notes.length > 0) return { kind, text: notes.join('; ') };
    return { kind: 'ack', text: out ? 'ack' : 'peer ack' };
  }

  /**
   * A keep-alive probe (RFC 1122 §4.2.3.6): one byte before what was already sent, no new data; against a zero
   * window the same segment is a window probe (RFC 9293 §3.8.6.1). Undefined when the segment is neither.
   */
  private probe(t: number, who: 'us' | 'peer', me: Side, other: Side, rel: number, tcp: TcpFields): Note | undefined {
    if (!this.established || tcp.payload > 1 || tcp.flags & TH_FIN || me.nxt === 0 || rel !== (me.nxt - 1) >>> 0)
      return undefined;
    if (other.lastWin === 0) {
      return { kind: 'window', text: `zero-window probe: has the ${who === 'us' ? "peer's" : 'our'} window opened?` };
    }
    me.probes++;
    const after = me.probeAt === undefined ? '' : `, ${secs(t - me.probeAt)} after the last`;
    me.probeAt = t;
    me.probing = true;
    me.unanswered++;
    return {
      kind: 'keepalive',
      text: `keep-alive probe #${me.probes}${after}: is the ${who === 'us' ? 'peer' : 'other end'} still there?`,
    };
  }

  /** New data (its words), or a retransmission of data already sent (its note). */
  private data(t: number, who: 'us' | 'peer', me: Side, rel: number, payload: number): string | Note {
    const end = rel + payload;
    // Only a segment that starts before the highest byte sent can send anything again.
    const range = rel < me.nxt ? startingAt(me.sent, rel) : undefined;
    if (end <= me.nxt || range !== undefined) {
      // Sent again: from its own start, or (segments cut differently the second time) from inside another.
      const r = range ?? covering(me.sent, rel) ?? { end, at: t, count: 0, interval: 0 };
      const interval = t - r.at;
      const backoff = doubled(r.interval, interval) ? ' (×2 backoff)' : '';
      r.count++;
      r.interval = interval;
      r.at = t;
      if (range === undefined) me.sent.push({ start: rel, range: r });
      me.retrans++;
      return {
        kind: 'retransmission',
        text: `retransmission #${r.count} of data (${payload} bytes) after ${secs(interval)}${backoff}`,
      };
    }
    me.sent.push({ start: rel, range: { end, at: t, count: 0, interval: 0 } });
    // Forgotten in batches, the oldest first.
    if (me.sent.length > 2 * MAX_RANGES) me.sent.splice(0, me.sent.length - MAX_RANGES);
    me.nxt = Math.max(me.nxt, end);
    me.bytes += payload;
    let half = '';
    if (this.firstFin !== undefined && this.firstFin !== who) {
      half =
        this.firstFin === 'us'
          ? ' (we sent FIN, still receiving)'
          : ' (peer sent FIN: we are in CLOSE_WAIT, still sending)';
    }
    return `data: ${payload} bytes ${who === 'us' ? 'sent' : 'received'}${half}`;
  }

  /** A FIN: a step of the close, or a FIN sent again. `ackNote`: what the same segment acknowledges. */
  private finSegment(
    t: number,
    who: 'us' | 'peer',
    me: Side,
    other: Side,
    tcp: TcpFields,
    rel: number,
    ackNote: Note | undefined,
  ): Note {
    const finRel = (rel + tcp.payload) >>> 0;
    if (me.finRel !== undefined && finRel === me.finRel) {
      me.retrans++;
      const interval = t - (me.finAt as number);
      me.finAt = t;
      return { kind: 'retransmission', text: `retransmission of FIN after ${secs(interval)}` };
    }
    me.finRel = finRel;
    me.finAt = t;
    me.nxt = Math.max(me.nxt, finRel + 1);
    const finText = this.fin(who, other, tcp);
    if (ackNote?.kind === 'close' && this.firstFin !== who) {
      // The usual close on a quick peer: its FIN carries the ACK of ours.
      const text =
        who === 'peer'
          ? 'close 2+3/4: peer ACKs our FIN and sends its own; we will hold TIME_WAIT'
          : "close 2+3/4: we ACK the peer's FIN and send ours; we are in LAST_ACK";
      return { kind: 'close', text };
    }
    return { kind: 'close', text: finText };
  }

  private syn(t: number, who: 'us' | 'peer', me: Side, other: Side, tcp: TcpFields): Note {
    const f = tcp.flags;
    const opts = [tcp.mss !== undefined ? `mss ${tcp.mss}` : '', tcp.wscale !== undefined ? `wscale ${tcp.wscale}` : '']
      .filter((s) => s)
      .join(', ');
    const optText = opts ? ` (${opts})` : '';
    if (me.isn === tcp.seq && me.synAt !== undefined) {
      // The same SYN again: retransmitted because no answer came (RFC 6298 §5: the timer doubles each time).
      me.synCount++;
      me.retrans++;
      const interval = t - me.synAt;
      const backoff = doubled(me.synInterval, interval)
        ? ' (×2 backoff)'
        : me.synInterval > 0 && interval / me.synInterval < 1.25
          ? ' (same interval: Linux retries its first SYNs linearly, tcp_syn_linear_timeouts)'
          : '';
      me.synInterval = interval;
      me.synAt = t;
      return {
        kind: 'retransmission',
        text: `retransmission #${me.synCount} of ${f & TH_ACK ? 'SYN-ACK' : 'SYN'} after ${secs(interval)}${backoff}`,
      };
    }
    me.isn = tcp.seq;
    me.synAt = t;
    me.nxt = 1;
    me.wscale = tcp.wscale;
    if (!(f & TH_ACK)) {
      this.opener = who;
      return { kind: 'handshake', text: `handshake 1/3: SYN, ${who === 'us' ? 'we open' : 'peer opens'}${optText}` };
    }
    this.synAckAt = t;
    this.synAckFrom = who;
    me.acked = (tcp.ack - (other.isn ?? tcp.ack - 1)) >>> 0;
    me.lastAckRaw = tcp.ack;
    const delay = other.synAt === undefined ? '' : ` after ${ms(t - other.synAt)}`;
    if (who === 'peer') {
      this.rtt = other.synAt === undefined ? undefined : t - other.synAt;
      return { kind: 'handshake', text: `handshake 2/3: SYN-ACK${delay}${optText}` };
    }
    return { kind: 'handshake', text: `handshake 2/3: we answer SYN-ACK${delay}${optText}` };
  }

  private rst(who: 'us' | 'peer'): Note {
    this.done = true;
    if (!this.established && this.synAckAt === undefined && this.opener !== undefined && this.opener !== who) {
      this.endKind = 'refused';
      return {
        kind: 'rst',
        text: who === 'peer' ? 'RST: port closed (connection refused)' : 'RST: we refuse: port closed',
      };
    }
    if (!this.established && this.synAckFrom !== undefined && this.synAckFrom !== who) {
      this.endKind = 'rst';
      return {
        kind: 'rst',
        text:
          who === 'us'
            ? 'RST (ours): we close the probe at once, no handshake completed'
            : 'RST: peer aborts the handshake',
      };
    }
    this.endKind = this.endKind === 'fin' ? 'fin' : 'rst';
    const after = this.firstFin !== undefined ? ' (after the close began)' : '';
    return { kind: 'rst', text: who === 'peer' ? `RST: peer aborts${after}` : `RST: we abort${after}` };
  }

  /** The acknowledgement part of a segment from `who`; `quiet`: other parts speak, only close steps matter. */
  private ack(who: 'us' | 'peer', me: Side, other: Side, tcp: TcpFields, quiet: boolean): Note {
    const ackRel = (tcp.ack - (other.isn as number)) >>> 0;
    const prev = me.acked ?? 0;
    const newly = ((ackRel - prev) | 0) > 0 ? ackRel - prev : 0;
    const sameAck = me.lastAckRaw === tcp.ack;
    const prevWin = me.lastWin;
    me.lastAckRaw = tcp.ack;
    me.lastWin = tcp.win;
    if (newly > 0) {
      me.acked = ackRel;
      me.dupacks = 0;
    }
    const scale = this.us.wscale !== undefined && this.peer.wscale !== undefined ? (me.wscale ?? 0) : 0;
    // Their FIN acknowledged: a close step.
    if (other.finRel !== undefined && ackRel === other.finRel + 1 && !this.finAcked[who === 'us' ? 'peer' : 'us']) {
      this.finAcked[who === 'us' ? 'peer' : 'us'] = true;
      return { kind: 'close', text: this.finAckText(who, me) };
    }
    if (quiet) return { kind: 'ack', text: '' };
    // The answer to a keep-alive probe.
    if (other.probing) {
      other.probing = false;
      other.unanswered = 0;
      return { kind: 'keepalive', text: `keep-alive answer: ${who === 'peer' ? 'the peer is alive' : 'we are alive'}` };
    }
    if (tcp.win === 0 && prevWin !== 0) {
      return {
        kind: 'window',
        text: `zero window: ${who === 'us' ? 'our' : "peer's"} receive buffer is full, the ${who === 'us' ? 'peer' : 'sender'} must wait`,
      };
    }
    if (sameAck && prevWin === 0 && tcp.win > 0) {
      return {
        kind: 'window',
        text: `window update: ${who === 'us' ? 'we' : 'peer'} can take ${tcp.win << scale} bytes again`,
      };
    }
    if (newly > 0) {
      const bytes = newly - (other.finRel !== undefined && ackRel > other.finRel ? 1 : 0);
      return {
        kind: 'ack',
        text: who === 'peer' ? `peer acknowledges ${bytes} bytes` : `we acknowledge ${bytes} bytes`,
      };
    }
    if (sameAck && prevWin === tcp.win && other.nxt > ackRel) {
      me.dupacks++;
      return {
        kind: 'dupack',
        text: `duplicate ACK #${me.dupacks}: ${who === 'us' ? 'we are' : 'peer is'} missing bytes from ${ackRel}`,
      };
    }
    if (sameAck && prevWin !== tcp.win) {
      return { kind: 'window', text: `window update: ${tcp.win << scale} bytes` };
    }
    return { kind: 'ack', text: who === 'us' ? 'ack' : 'peer ack' };
  }

  private fin(who: 'us' | 'peer', other: Side, tcp: TcpFields): string {
    const otherWho = who === 'us' ? 'peer' : 'us';
    if (this.firstFin === undefined) {
      this.firstFin = who;
      if (who === 'us') {
        const why = this.closeReason();
        if (why === 'stdin ended') return 'close 1/4: we send FIN first (stdin ended), still receiving';
        return `close 1/4: we send FIN first${why ? ` (${why})` : ''}; we are in FIN_WAIT_1`;
      }
      return 'close 1/4: peer sends FIN first: we are in CLOSE_WAIT until we close';
    }
    // The second FIN.
    const ackedFirst =
      tcp.flags & TH_ACK && other.finRel !== undefined && (tcp.ack - (other.isn as number)) >>> 0 === other.finRel + 1;
    if (!ackedFirst && !this.finAcked[otherWho]) {
      this.simultaneous = true;
      return 'close: simultaneous close, both sides sent FIN: both will hold TIME_WAIT';
    }
    if (who === 'peer') return 'close 3/4: peer sends its FIN; we will hold TIME_WAIT';
    return 'close 3/4: we send our FIN; we are in LAST_ACK';
  }

  /** The text of the ACK of `other`'s FIN sent by `who`. */
  private finAckText(who: 'us' | 'peer', me: Side): string {
    const first = this.firstFin;
    const finOf = who === 'us' ? 'peer' : 'us';
    if (finOf === first && me.finRel === undefined) {
      return who === 'peer'
        ? 'close 2/4: peer ACKs our FIN; we are in FIN_WAIT_2'
        : "close 2/4: we ACK the peer's FIN; we are in CLOSE_WAIT";
    }
    if (finOf === first) {
      // The ACK of the first FIN comes with (or after) the second FIN.
      if (me.finRel !== undefined && !this.simultaneous)
        return who === 'peer' ? 'close 2/4: peer ACKs our FIN' : "close 2/4: we ACK the peer's FIN";
    }
    // The last ACK: the first closer enters TIME_WAIT.
    this.done = this.finAcked.us && this.finAcked.peer;
    this.endKind = 'fin';
    const holderSide = this.simultaneous ? 'both' : first;
    const holder = holderSide === 'peer' ? this.remote : this.local;
    this.timeWait = {
      holder:
        holderSide === 'both' ? `${endpointText(this.local)} and ${endpointText(this.remote)}` : endpointText(holder),
      until: this.last + TIME_WAIT_MS,
    };
    if (this.simultaneous) return `close: both ends enter TIME_WAIT for ${TIME_WAIT_MS / 1000} s (2MSL)`;
    return `close 4/4: ${endpointText(holder)} enters TIME_WAIT for ${TIME_WAIT_MS / 1000} s (2MSL)`;
  }

  /** An ICMP error that quotes one of our segments. */
  icmp(t: number, words: string): Note {
    this.start ??= t;
    this.last = t;
    if (!this.established && !this.answered) {
      this.endKind = 'refused';
      this.done = true;
    }
    return { kind: 'icmp', text: `${words}: the network refuses this session's packet` };
  }

  /** The session's summary so far. */
  summary(): SessionSummary {
    const start = this.start ?? 0;
    let end = this.endKind;
    if (end === undefined)
      end = !this.established && !this.answered && this.us.synCount >= 0 && this.opener === 'us' ? 'no-answer' : 'open';
    const s: SessionSummary = {
      type: 'summary',
      session: this.name,
      role: this.role,
      local: endpointText(this.local),
      remote: endpointText(this.remote),
      sent: { bytes: this.us.bytes, segments: this.us.segments, retransmissions: this.us.retrans },
      received: { bytes: this.peer.bytes, segments: this.peer.segments, retransmissions: this.peer.retrans },
      end,
      duration_ms: Math.max(0, this.last - start),
      start_ms: start,
    };
    if (this.rtt !== undefined) s.rtt_ms = this.rtt;
    if (this.firstFin !== undefined) s.closed_first = this.simultaneous ? 'both' : this.firstFin;
    if (this.timeWait !== undefined) s.time_wait = { holder: this.timeWait.holder, until_ms: this.timeWait.until };
    if (end === 'open' && this.us.probing) s.unanswered_probes = this.us.unanswered;
    return s;
  }
}

/** The range of the segment sent last that started at `rel`. */
function startingAt(sent: Sent[], rel: number): Range | undefined {
  for (let i = sent.length - 1; i >= 0; i--) if ((sent[i] as Sent).start === rel) return (sent[i] as Sent).range;
  return undefined;
}

/** The range sent last that contains relative sequence number `rel`. */
function covering(sent: Sent[], rel: number): Range | undefined {
  for (let i = sent.length - 1; i >= 0; i--) {
    const s = sent[i] as Sent;
    if (s.start <= rel && rel < s.range.end) return s.range;
  }
  return undefined;
}
