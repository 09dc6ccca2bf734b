import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../src/lib/addresses';
import { refusedBy } from '../../src/listen/access';

const rules = (allow: string[], deny: string[]) => ({
  allow: allow.map((b) => parseCidr('listen', b)),
  deny: deny.map((b) => parseCidr('listen', b)),
});

describe('refusedBy', () => {
  it('accepts everyone without rules', () => {
    expect(refusedBy(rules([], []), '192.0.2.1')).toBeUndefined();
  });
  it('accepts only --allow blocks when some are given', () => {
    const r = rules(['127.0.0.0/8', '2001:db8::/32'], []);
    expect(refusedBy(r, '127.0.0.5')).toBeUndefined();
    expect(refusedBy(r, '2001:db8::1')).toBeUndefined();
    expect(refusedBy(r, '10.0.0.1')).toBe('not in --allow');
  });
  it('lets --deny win over --allow', () => {
    const r = rules(['127.0.0.0/8'], ['127.0.0.2/32']);
    expect(refusedBy(r, '127.0.0.1')).toBeUndefined();
    expect(refusedBy(r, '127.0.0.2')).toBe('--deny 127.0.0.2/32');
  });
  it('matches IPv4-mapped IPv6 peers against IPv4 blocks', () => {
    expect(refusedBy(rules([], ['10.0.0.0/8']), '::ffff:10.1.2.3')).toBe('--deny 10.0.0.0/8');
  });
  it('matches IPv4 peers against IPv4-mapped IPv6 blocks (::ffff:0:0/96)', () => {
    expect(refusedBy(rules(['::ffff:127.0.0.1/128'], []), '127.0.0.1')).toBeUndefined();
    expect(refusedBy(rules(['::ffff:127.0.0.1/128'], []), '127.0.0.2')).toBe('not in --allow');
    expect(refusedBy(rules([], ['::ffff:10.0.0.0/104']), '10.9.9.9')).toBe('--deny ::ffff:10.0.0.0/104');
    expect(refusedBy(rules(['2001:db8::/32'], []), '127.0.0.1')).toBe('not in --allow');
  });
});
