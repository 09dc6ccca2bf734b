import { describe, expect, it } from 'vitest';
import { FlowTable } from '../../src/print/flows';

/** Sets the table's lookup key to the words of `k`. */
function key(t: FlowTable, ...k: number[]): FlowTable {
  t.key.set(k);
  return t;
}

describe('FlowTable', () => {
  it('finds what was set and nothing else', () => {
    const t = new FlowTable(3, 8);
    key(t, 1, 2, 3).set(10, 20);
    const s = key(t, 1, 2, 3).find();
    expect(s).toBeGreaterThanOrEqual(0);
    expect([t.value(s, 0), t.value(s, 1)]).toEqual([10, 20]);
    expect(key(t, 1, 2, 4).find()).toBe(-1);
  });

  it('overwrites an existing key without growing', () => {
    const t = new FlowTable(3, 8);
    key(t, 1, 2, 3).set(1, 1);
    key(t, 1, 2, 3).set(0xffffffff, 2);
    expect(t.size).toBe(1);
    expect(t.value(key(t, 1, 2, 3).find(), 0)).toBe(0xffffffff);
  });

  it('forgets the oldest key when full and keeps every other one findable (against a Map model)', () => {
    const max = 64;
    const t = new FlowTable(3, max);
    const model = new Map<string, number>();
    let seed = 7;
    const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 97;
    for (let i = 0; i < 5000; i++) {
      const k = [rnd(), rnd() & 3, rnd() & 7];
      const ks = k.join(',');
      if (!model.has(ks) && model.size >= max) model.delete(model.keys().next().value as string);
      model.set(ks, i);
      key(t, ...k).set(i, i + 1);
      expect(t.size).toBe(model.size);
      // Lookups between changes: the slot found last is tried first, whatever has moved since.
      for (const probe of [k, [rnd(), rnd() & 3, rnd() & 7]]) {
        const s = key(t, ...probe).find();
        const want = model.get(probe.join(','));
        if (want === undefined) expect(s).toBe(-1);
        else expect(t.value(s, 0)).toBe(want);
      }
    }
    for (let a = 0; a < 97; a++) {
      for (let b = 0; b < 4; b++) {
        for (let c = 0; c < 8; c++) {
          const s = key(t, a, b, c).find();
          const want = model.get(`${a},${b},${c}`);
          if (want === undefined) expect(s).toBe(-1);
          else expect(t.value(s, 0)).toBe(want);
        }
      }
    }
  });
});
