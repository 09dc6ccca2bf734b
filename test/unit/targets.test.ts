import { describe, expect, it } from 'vitest';
import { isNtkError } from '../../src/lib/errors';
import { addressBytes, addressFromBytes, bigIntToAddress } from '../../src/lib/addresses';
import {
  blockAddresses,
  formatShard,
  isLocalAddress,
  parseShard,
  parseTargets,
  shardSize,
} from '../../src/scan/targets';

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isNtkError(err)) {
      expect(err.code).toBe('E_USAGE');
      return err.message;
    }
    throw err;
  }
  throw new Error('accepted');
}

describe('parseTargets', () => {
  it('sorts HOST arguments into addresses, blocks and names', () => {
    const t = parseTargets('scan', ['127.0.0.1', '[::1]', '10.250.0.0/28', 'localhost'], false, 0);
    expect(t.map((x) => x.kind)).toEqual(['address', 'address', 'block', 'name']);
    expect(t[1]).toMatchObject({ address: '::1', family: 6 });
    expect(t[2]).toMatchObject({ family: 4, size: 16 });
  });

  it('expands a block in ascending order, network and broadcast included', () => {
    const [b] = parseTargets('scan', ['10.250.0.5/30'], false, 0);
    if (b?.kind !== 'block') throw new Error('not a block');
    expect(blockAddresses(b)).toEqual(['10.250.0.4', '10.250.0.5', '10.250.0.6', '10.250.0.7']);
    const [v6] = parseTargets('scan', ['2001:db8::/126'], false, 0);
    if (v6?.kind !== 'block') throw new Error('not a block');
    expect(blockAddresses(v6)).toEqual(['2001:db8::', '2001:db8::1', '2001:db8::2', '2001:db8::3']);
  });

  it('refuses bad input, naming it', () => {
    expect(usage(() => parseTargets('scan', ['10.0.0.0/33'], false, 0))).toBe(
      'invalid prefix length in "10.0.0.0/33" (0-32)',
    );
    expect(usage(() => parseTargets('scan', ['example.org'], true, 0))).toContain(
      '"example.org" is not a numeric address',
    );
    expect(usage(() => parseTargets('scan', ['bad_host!'], false, 0))).toBe('invalid host "bad_host!"');
    expect(usage(() => parseTargets('scan', ['::1'], false, 4))).toContain('-4 given');
    expect(usage(() => parseTargets('scan', ['10.0.0.0/8'], false, 0))).toContain('too large');
    expect(usage(() => parseTargets('scan', ['10.0.0.0/12', '10.16.0.0/12'], false, 0))).toContain('too many hosts');
  });
});

describe('bigIntToAddress', () => {
  it('compresses IPv6 as RFC 5952 says', () => {
    expect(bigIntToAddress(0n, 6)).toBe('::');
    expect(bigIntToAddress(1n, 6)).toBe('::1');
    expect(bigIntToAddress(0x20010db8000000000001000000000001n, 6)).toBe('2001:db8::1:0:0:1');
    expect(bigIntToAddress(0x20010db8000100010001000100010001n, 6)).toBe('2001:db8:1:1:1:1:1:1');
    expect(bigIntToAddress(0x7f000001n, 4)).toBe('127.0.0.1');
    // IPv4-mapped addresses are written as inet_ntop (and Node) write them.
    expect(bigIntToAddress(0xffff0a000001n, 6)).toBe('::ffff:10.0.0.1');
  });

  it('turns addresses into bytes and back, embedded IPv4 included', () => {
    expect([...(addressBytes('::ffff:10.0.0.1') ?? [])]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 0, 0, 1]);
    expect(addressBytes('::ffff:10.0.0.1')).toEqual(addressBytes('::ffff:a00:1'));
    expect([...(addressBytes('10.0.0.1') ?? [])]).toEqual([10, 0, 0, 1]);
    expect(addressBytes('10.0.0')).toBeUndefined();
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '2001:db8::1', '::'])
      expect(addressFromBytes(addressBytes(a) ?? [])).toBe(a);
  });
});

describe('shards', () => {
  it('parses I/N with 0 <= I < N', () => {
    expect(parseShard('scan', '0/1')).toEqual({ index: 0, count: 1 });
    expect(parseShard('scan', '3/4')).toEqual({ index: 3, count: 4 });
    for (const bad of ['4/4', '1/0', 'a/2', '1', '-1/2', '1/2/3'])
      expect(usage(() => parseShard('scan', bad))).toContain('shard');
    expect(formatShard({ index: 2, count: 5 })).toBe('2/5');
  });

  it('splits a space into disjoint slices whose union is the space', () => {
    for (const total of [0, 1, 7, 100, 65535]) {
      for (const count of [1, 2, 3, 8]) {
        const owner = new Array<number>(total).fill(-1);
        let sizes = 0;
        let twice = 0;
        for (let index = 0; index < count; index++) {
          const shard = { index, count };
          let n = 0;
          for (let k = 0; k < total; k++) {
            if (k % shard.count !== shard.index) continue; // probe k belongs to shard k mod N
            if (owner[k] !== -1) twice++;
            owner[k] = index;
            n++;
          }
          expect(shardSize(total, shard)).toBe(n);
          sizes += n;
        }
        expect(twice).toBe(0);
        expect(sizes).toBe(total);
        expect(owner.every((o) => o >= 0)).toBe(true);
      }
    }
  });
});

describe('isLocalAddress', () => {
  it('knows loopback and our own addresses', () => {
    expect(isLocalAddress('127.0.0.1', [])).toBe(true);
    expect(isLocalAddress('127.3.2.1', [])).toBe(true);
    expect(isLocalAddress('::1', [])).toBe(true);
    expect(isLocalAddress('0:0::1', [])).toBe(true);
    expect(isLocalAddress('10.1.2.3', ['10.1.2.3'])).toBe(true);
    expect(isLocalAddress('10.1.2.4', ['10.1.2.3'])).toBe(false);
  });
});
