/**
 * The kernel's socket table, read from /proc/net/{tcp,tcp6,udp,udp6} (what netstat and ss show): which sockets
 * use a local address:port, in which state, and how long their timer has left. Used to explain EADDRINUSE and
 * EADDRNOTAVAIL, and to refuse a source port that a TIME_WAIT still holds.
 *
 * Line layout (include/net/tcp.h, net/ipv4/tcp_ipv4.c get_tcp4_sock / get_timewait4_sock):
 *   sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid  timeout inode
 *   0: 0100007F:3039 0100007F:0050 06 00000000:00000000 03:00001770 00000000     0        0 0
 * Addresses are the in-memory bytes of the address printed as 32-bit host-order (little-endian here) words.
 * `tr` is the timer kind (0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero-window probe) and `tm->when`
 * its remaining time in clock ticks (USER_HZ, 100 per second).
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { isIP } from 'node:net';
import { addressFromBytes, unmapIpv4 } from './addresses.js';

export type SockProto = 'tcp' | 'udp';

/** One row of the socket table. */
export interface SockEntry {
  proto: SockProto;
  family: 4 | 6;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** The state as the kernel names it: ESTABLISHED, TIME_WAIT, LISTEN, … (UDP: UNCONN or ESTABLISHED). */
  state: string;
  /** The timer kind: 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero-window probe. */
  timer: number;
  /** Milliseconds left on the timer (0 when no timer runs). */
  timerMs: number;
  /** Unacknowledged retransmissions of the segment at the head of the send queue (icsk_retransmits). */
  retransmits: number;
  /** Keep-alive or zero-window probes sent without an answer (icsk_probes_out). */
  probes: number;
  /** Bytes sent and not yet acknowledged (TCP) or queued to send (UDP); for LISTEN, 0. */
  sendQ: number;
  /** Bytes received and not yet read by the program; for LISTEN, connections waiting for accept(). */
  recvQ: number;
  uid: number;
  inode: number;
}

/** TCP state numbers, include/net/tcp_states.h, and the kernel's names for them (as netstat prints them). */
export const TCP_STATES = [
  '',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'NEW_SYN_RECV',
] as const;

const USER_HZ = 100;

/** Decodes a /proc/net address word ("0100007F" or 32 hex digits for IPv6) to text. */
export function decodeProcAddress(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = parseInt(hex.slice(w, w + 8), 16);
    // Each 32-bit word was printed in host order (little-endian on the machines ntk runs on).
    bytes.push(word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, (word >>> 24) & 0xff);
  }
  return addressFromBytes(bytes);
}

/** Parses the text of one /proc/net/{tcp,udp}[6] file into entries. */
export function parseProcNet(text: string, proto: SockProto, family: 4 | 6): SockEntry[] {
  const out: SockEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [local, remote, st, queues, timer, retr, uid, probes, inode] = f.slice(1);
    const [la, lp] = (local ?? '').split(':');
    const [ra, rp] = (remote ?? '').split(':');
    const [tr, when] = (timer ?? '').split(':');
    if (!la || !lp || !ra || !rp || !st || !tr || !when) continue;
    const stateNum = parseInt(st, 16);
    const state =
      proto === 'tcp' ? (TCP_STATES[stateNum] ?? `state ${stateNum}`) : stateNum === 7 ? 'UNCONN' : 'ESTABLISHED';
    const timerKind = parseInt(tr, 16);
    const [tx, rx] = (queues ?? '').split(':');
    out.push({
      proto,
      family,
      localAddress: decodeProcAddress(la),
      localPort: parseInt(lp, 16),
      remoteAddress: decodeProcAddress(ra),
      remotePort: parseInt(rp, 16),
      state,
      timer: timerKind,
      timerMs: timerKind === 0 ? 0 : Math.round((parseInt(when, 16) * 1000) / USER_HZ),
      retransmits: parseInt(retr ?? '0', 16) || 0,
      probes: Number(probes) || 0,
      sendQ: parseInt(tx ?? '0', 16) || 0,
      recvQ: parseInt(rx ?? '0', 16) || 0,
      uid: Number(uid),
      inode: Number(inode),
    });
  }
  return out;
}

/** Reads the socket table of this network namespace for `proto` (both families); missing files read as empty. */
export function readSockTable(proto: SockProto): SockEntry[] {
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  return [
    ...parseProcNet(read(`/proc/net/${proto}`), proto, 4),
    ...parseProcNet(read(`/proc/net/${proto}6`), proto, 6),
  ];
}

function isWildcard(addr: string): boolean {
  return addr === '0.0.0.0' || addr === '::';
}

/**
 * Returns the entries that would keep a socket from binding `address`:`port` (address undefined or a wildcard
 * means "any address"): same port, and the same address or a wildcard on either side, in a compatible family.
 */
export function findConflicts(entries: SockEntry[], port: number, address?: string): SockEntry[] {
  const ours = address === undefined ? undefined : unmapIpv4(address);
  const ourFamily = ours === undefined ? 0 : isIP(ours);
  return entries.filter((e) => {
    if (e.localPort !== port) return false;
    const theirs = unmapIpv4(e.localAddress);
    // An IPv6 wildcard socket is dual-stack: it takes the port for IPv4 as well.
    if (ourFamily !== 0 && isIP(theirs) !== ourFamily && theirs !== '::' && ours !== '::') return false;
    if (ours === undefined || isWildcard(ours) || isWildcard(theirs)) return true;
    return theirs === ours;
  });
}

/** Returns "pid (command)" of the process that owns socket `inode`, or undefined when it cannot be told. */
export function socketOwner(inode: number): string | undefined {
  if (inode === 0) return undefined; // TIME_WAIT sockets belong to no process
  const target = `socket:[${inode}]`;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) {
          const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
          return `pid ${pid} (${comm})`;
        }
      } catch {
        // The process or descriptor went away while we looked.
      }
    }
  }
  return undefined;
}

/** Formats an address:port pair, bracketing IPv6. */
export function hostPort(address: string, port: number): string {
  const a = unmapIpv4(address);
  return isIP(a) === 6 ? `[${a}]:${port}` : `${a}:${port}`;
}

/** Describes one entry in a line: its 4-tuple (or local address for LISTEN/UNCONN), state, timer and owner. */
export function describeEntry(e: SockEntry, owner: (inode: number) => string | undefined = socketOwner): string {
  const unbound = e.remotePort === 0 && isWildcard(unmapIpv4(e.remoteAddress));
  const tuple = unbound
    ? hostPort(e.localAddress, e.localPort)
    : `${hostPort(e.localAddress, e.localPort)} -> ${hostPort(e.remoteAddress, e.remotePort)}`;
  let text = `${tuple}  ${e.state}`;
  if (e.state === 'TIME_WAIT') {
    text += `  ${Math.ceil(e.timerMs / 1000)} s left of 2MSL (this side closed first)`;
  } else if (e.timer !== 0 && e.timerMs > 0) {
    text += `  timer ${Math.ceil(e.timerMs / 1000)} s`;
  }
  const who = owner(e.inode);
  if (who) text += `  held by ${who}`;
  return text;
}

/** Returns the advice line for a set of conflicts: wait for a TIME_WAIT, or free the port. */
export function conflictAdvice(conflicts: SockEntry[], flag: string, reuse: string | undefined): string {
  const tw = conflicts.filter((c) => c.state === 'TIME_WAIT');
  if (tw.length > 0 && tw.length === conflicts.length) {
    const secs = Math.max(...tw.map((c) => Math.ceil(c.timerMs / 1000)));
    return `wait ${secs} s, pick another ${flag}${reuse ? `, or pass ${reuse}` : ''}`;
  }
  return `pick another ${flag}, or end the program that holds it`;
}

/** A process that holds a socket open. */
export interface SockOwner {
  pid: number;
  /** The program name (/proc/PID/comm). */
  comm: string;
  fd: number;
}

/**
 * Maps each socket inode to the processes that hold it, from one walk of /proc/*\/fd (what ss -p and netstat -p
 * do). Processes of other users are skipped unless we may read their fd directory (root).
 */
export function socketOwners(proc = '/proc'): Map<number, SockOwner[]> {
  const owners = new Map<number, SockOwner[]>();
  let pids: string[];
  try {
    pids = readdirSync(proc).filter((d) => /^\d+$/.test(d));
  } catch {
    return owners;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`${proc}/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    let comm: string | undefined;
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`${proc}/${pid}/fd/${fd}`);
      } catch {
        continue; // the descriptor closed while we looked
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (!m) continue;
      try {
        comm ??= readFileSync(`${proc}/${pid}/comm`, 'utf8').trim();
      } catch {
        comm = '?';
      }
      const inode = Number(m[1]);
      const list = owners.get(inode) ?? [];
      list.push({ pid: Number(pid), comm, fd: Number(fd) });
      owners.set(inode, list);
    }
  }
  return owners;
}
