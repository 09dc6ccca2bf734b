/** The parts of a scan lane: claiming, pacing and timeouts, without sockets. */
import { describe, expect, it } from 'vitest';
import { Claimer } from '../../src/scan/claim';
import type { Attempt } from '../../src/scan/dialer';
import { Pacer } from '../../src/scan/pacing';
import { InFlight } from '../../src/scan/timeouts';

const attempt = (k: number, t: number): Attempt => ({ k, t, settled: false, stalled: false });

describe('Claimer', () => {
  it('hands out every probe of a shard once between lanes sharing the counter, in blocks', () => {
    const space = { first: 1, step: 3, count: 10, claim: new BigInt64Array(new SharedArrayBuffer(8)) };
    const a = new Claimer(space, 4);
    const b = new Claimer(space, 4);
    const byLane: [number[], number[]] = [[], []];
    for (let i = 0; i < 20; i++) {
      const k = (i % 2 === 0 ? a : b).take();
      if (k >= 0) byLane[i % 2]?.push(k);
    }
    // s 0-3 to a, 4-7 to b, 8-9 to a: k = 1 + 3·s.
    expect(byLane).toEqual([
      [1, 4, 7, 10, 25, 28],
      [13, 16, 19, 22],
    ]);
    expect(a.exhausted && b.exhausted).toBe(true);
    expect(a.take()).toBe(-1);
  });
});

describe('Pacer', () => {
  it('never waits without a rate, and spaces starts at 1/rate with one', () => {
    const free = new Pacer(0);
    free.start();
    expect(free.wait()).toBe(0);
    let clock = 1000;
    const paced = new Pacer(10, () => clock);
    expect(paced.wait()).toBe(0);
    paced.start();
    expect(paced.wait()).toBe(100);
    clock += 40;
    expect(paced.wait()).toBe(60);
    clock += 60;
    expect(paced.wait()).toBe(0);
    paced.start();
    clock += 150;
    // Late: the next start is due at once, not a full interval after the late one.
    expect(paced.wait()).toBe(0);
  });
});

describe('InFlight', () => {
  it('expires attempts past the timeout in start order, and marks the stale ones stalled', () => {
    const f = new InFlight();
    const old = attempt(0, 0);
    const answered = attempt(1, 5);
    const stale = attempt(2, 50);
    const fresh = attempt(3, 995);
    for (const a of [old, answered, stale, fresh]) f.add(a);
    expect(f.answered(answered, 7)).toBe(2);
    const expired: number[] = [];
    f.sweep(1000, 1000, (a) => expired.push(a.k));
    expect(expired).toEqual([0]);
    expect(f.count).toBe(2);
    expect([stale.stalled, fresh.stalled]).toEqual([true, false]);
    expect(f.stalled).toBe(1);
    const dropped: number[] = [];
    f.clear((a) => dropped.push(a.k));
    expect(dropped).toEqual([2, 3]);
    expect([f.count, f.stalled]).toEqual([0, 0]);
  });
});
