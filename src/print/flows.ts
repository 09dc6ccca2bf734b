/**
 * A bounded table of per-connection numbers keyed by a connection's addresses and ports (TCP's first sequence
 * numbers, tcpdump's tcp_seq_hash4/tcp_seq_hash6), built for one lookup per packet: keys are 32-bit words read
 * from the packet (no string is built), slots live in typed arrays (open addressing, linear probing), and when
 * the table is full the oldest connection is forgotten to make room (insertion order, kept in a ring).
 */

/** Connections kept; the oldest goes first once there are this many. */
export const MAX_FLOWS = 65536;

export class FlowTable {
  /** How many 32-bit words make a key (3 for IPv4 addresses and ports, 9 for IPv6). */
  private readonly words: number;
  private readonly max: number;
  private readonly mask: number;
  /** Key words of each slot (`words` per slot). */
  private readonly keys: Uint32Array;
  /** The two values kept per slot. */
  private readonly vals: Uint32Array;
  /** Per slot: its position in the insertion ring + 1, or 0 when the slot is empty. */
  private readonly pos: Int32Array;
  /** Slots in insertion order, a ring starting at `head`. */
  private readonly ring: Int32Array;
  private head = 0;
  /** The slot find() found last (it may hold another key by now, or none). */
  private last = 0;
  /** Connections held. */
  size = 0;
  /** The key being looked up, filled by the caller through `key` before find/insert. */
  readonly key: Uint32Array;

  constructor(words: number, max: number = MAX_FLOWS) {
    this.words = words;
    this.max = max;
    let cap = 16;
    while (cap < max * 2) cap <<= 1;
    this.mask = cap - 1;
    this.keys = new Uint32Array(cap * words);
    this.vals = new Uint32Array(cap * 2);
    this.pos = new Int32Array(cap);
    this.ring = new Int32Array(max);
    this.key = new Uint32Array(words);
  }

  /** The home slot of the key of `words` words at `off` in `arr`. */
  private home(arr: Uint32Array, off: number): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < this.words; i++) h = Math.imul(h ^ (arr[off + i] as number), 0x01000193);
    h ^= h >>> 15;
    return (Math.imul(h, 0x2c1b3c6d) >>> 0) & this.mask;
  }

  private matches(slot: number): boolean {
    const base = slot * this.words;
    for (let i = 0; i < this.words; i++) if (this.keys[base + i] !== this.key[i]) return false;
    return true;
  }

  /** Returns the slot holding `key`, or -1. */
  find(): number {
    // The connection of the last packet first: packets come in runs of one connection. The slot is checked
    // against the key, so that it does not matter what has moved since.
    const last = this.last;
    if (this.pos[last] !== 0 && this.matches(last)) return last;
    for (let s = this.home(this.key, 0); ; s = (s + 1) & this.mask) {
      if (this.pos[s] === 0) return -1;
      if (this.matches(s)) return (this.last = s);
    }
  }

  /** The first (`which` 0) or second (1) value of `slot`. */
  value(slot: number, which: 0 | 1): number {
    return this.vals[slot * 2 + which] as number;
  }

  /** Sets the values of `key`, adding it (after forgetting the oldest connection if the table is full). */
  set(a: number, b: number): void {
    let slot = this.find();
    if (slot < 0) {
      if (this.size >= this.max) this.remove(this.ring[this.head] as number);
      slot = this.home(this.key, 0);
      while (this.pos[slot] !== 0) slot = (slot + 1) & this.mask;
      this.keys.set(this.key, slot * this.words);
      const at = (this.head + this.size) % this.max;
      this.ring[at] = slot;
      this.pos[slot] = at + 1;
      this.size++;
    }
    this.vals[slot * 2] = a >>> 0;
    this.vals[slot * 2 + 1] = b >>> 0;
  }

  /** Removes the oldest entry, which is in `slot`; closes the gap so that probing stays correct (backward shift). */
  private remove(slot: number): void {
    this.head = (this.head + 1) % this.max;
    this.size--;
    const w = this.words;
    let hole = slot;
    this.pos[hole] = 0;
    for (let s = (hole + 1) & this.mask; this.pos[s] !== 0; s = (s + 1) & this.mask) {
      // The entry at s may move into the hole only if its home slot is not in (hole, s].
      const home = this.home(this.keys, s * w);
      const between = hole <= s ? home > hole && home <= s : home > hole || home <= s;
      if (between) continue;
      this.keys.copyWithin(hole * w, s * w, s * w + w);
      this.vals[hole * 2] = this.vals[s * 2] as number;
      this.vals[hole * 2 + 1] = this.vals[s * 2 + 1] as number;
      const p = this.pos[s] as number;
      this.pos[hole] = p;
      this.ring[p - 1] = hole;
      this.pos[s] = 0;
      hole = s;
    }
  }
}
