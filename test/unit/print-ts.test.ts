import { describe, expect, it } from 'vitest';
import { PrintContext, type PrintOptions } from '../../src/print/context';
import { formatTimestamp } from '../../src/print/ts';

const stamps = (opts: Partial<PrintOptions>, times: [number, number][]): string[] => {
  const ctx = new PrintContext(opts);
  return times.map(([s, ns]) => formatTimestamp(ctx, s, ns));
};

// 2014-12-09 17:16:09.924505 UTC, as in tcpdump's tcp-handshake tests, then +0.127522 s and +0.000088 s.
const T: [number, number][] = [
  [1418145369, 924505123],
  [1418145370, 52027000],
  [1418145370, 52115000],
];

describe('timestamps (-t … -ttttt), at microsecond precision', () => {
  it('prints each style as tcpdump does', () => {
    expect(stamps({ utc: true }, T)).toEqual(['17:16:09.924505 ', '17:16:10.052027 ', '17:16:10.052115 ']);
    expect(stamps({ tsStyle: 1 }, T)).toEqual(['', '', '']);
    expect(stamps({ tsStyle: 2 }, T)).toEqual(['1418145369.924505 ', '1418145370.052027 ', '1418145370.052115 ']);
    expect(stamps({ tsStyle: 3 }, T)).toEqual([' 00:00:00.000000 ', ' 00:00:00.127522 ', ' 00:00:00.000088 ']);
    expect(stamps({ tsStyle: 4, utc: true }, T)).toEqual([
      '2014-12-09 17:16:09.924505 ',
      '2014-12-09 17:16:10.052027 ',
      '2014-12-09 17:16:10.052115 ',
    ]);
    expect(stamps({ tsStyle: 5 }, T)).toEqual([' 00:00:00.000000 ', ' 00:00:00.127522 ', ' 00:00:00.127610 ']);
  });

  it('shows a step back in time with a minus sign', () => {
    expect(stamps({ tsStyle: 3 }, [T[1]!, T[0]!])[1]).toBe('-00:00:00.127522 ');
  });

  it('refuses seconds with the top bit set, as tcpdump does', () => {
    expect(stamps({ utc: true }, [[0x80000000, 0]])).toEqual(['[Error converting time] ']);
  });
});
