import { describe, expect, it } from 'vitest';
import { ResultOrder } from '../../src/scan/order';

function collect(count: number, skip: (seq: number) => boolean = () => false, ringBits = 3) {
  const seen: string[] = [];
  const order = new ResultOrder<string>(
    count,
    skip,
    (seq, status, rtt, settled) => seen.push(settled ?? `${seq}:${status}:${rtt}`),
    ringBits,
  );
  return { order, seen };
}

describe('ResultOrder', () => {
  it('releases results in sequence order whatever order they come in', () => {
    const { order, seen } = collect(5);
    order.put(2, -111, 2);
    order.put(1, -111, 1);
    expect(seen).toEqual([]);
    order.put(0, 0, 0.5);
    expect(seen).toEqual(['0:0:0.5', '1:-111:1', '2:-111:2']);
    order.put(4, -110, 4);
    order.put(3, -111, 3);
    expect(seen).toHaveLength(5);
    expect(order.done).toBe(true);
  });

  it('skips sequences that will never come', () => {
    const { order, seen } = collect(6, (seq) => seq === 1 || seq === 2);
    order.put(3, 0, 3);
    order.put(0, 0, 0);
    expect(seen).toEqual(['0:0:0', '3:0:3']);
    order.put(5, 0, 5);
    order.put(4, 0, 4);
    expect(order.done).toBe(true);
  });

  it('keeps results beyond the ring and held ones until their turn', () => {
    const { order, seen } = collect(40); // a ring of 8
    order.hold(0);
    for (let s = 39; s >= 1; s--) order.put(s, -111, s);
    order.hold(30); // after its result: the hold replaces it
    expect(seen).toEqual([]);
    order.settle(0, 'zero');
    expect(seen).toHaveLength(30);
    expect(seen[0]).toBe('zero');
    expect(seen[29]).toBe('29:-111:29');
    order.settle(30, 'thirty');
    expect(seen).toHaveLength(40);
    expect(seen[30]).toBe('thirty');
    expect(order.done).toBe(true);
  });

  it('holds and settles a result far ahead', () => {
    const { order, seen } = collect(20);
    order.hold(15);
    order.settle(15, 'late');
    for (let s = 0; s < 20; s++) if (s !== 15) order.put(s, 0, s);
    expect(seen[15]).toBe('late');
    expect(seen).toHaveLength(20);
  });
});
