import { describe, expect, it } from 'vitest';
import { cidrContains, parseCidr } from '../../src/lib/addresses';
import {
  parseAddress,
  parseCount,
  parseHost,
  parseLocalPort,
  parsePort,
  parsePortRange,
  parseSeconds,
} from '../../src/lib/args';
import { NtkError } from '../../src/lib/errors';

function usage(fn: () => unknown): NtkError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NtkError);
    expect((err as NtkError).code).toBe('E_USAGE');
    expect((err as NtkError).exitCode).toBe(2);
    return err as NtkError;
  }
  throw new Error('expected a usage error');
}

describe('parsePort', () => {
  it('accepts numbers and service names', () => {
    expect(parsePort('x', '80')).toBe(80);
    expect(parsePort('x', '65535')).toBe(65535);
    expect(parsePort('x', 'http')).toBe(80);
    expect(parsePort('x', 'ssh')).toBe(22);
    expect(parsePort('x', 'domain', 'udp')).toBe(53);
  });
  it('rejects 0, out of range, junk and unknown names, naming the input', () => {
    expect(usage(() => parsePort('connect', '0')).message).toContain('"0"');
    expect(usage(() => parsePort('connect', '70000')).message).toContain('"70000"');
    expect(usage(() => parsePort('connect', '-1')).message).toContain('"-1"');
    expect(usage(() => parsePort('connect', 'nosuchservice')).message).toContain('"nosuchservice"');
    expect(usage(() => parsePort('connect', '8x')).context).toBe('connect');
  });
});

describe('parseLocalPort', () => {
  it('takes 0..65535 numbers only', () => {
    expect(parseLocalPort('c', '0')).toBe(0);
    expect(parseLocalPort('c', '12345')).toBe(12345);
    usage(() => parseLocalPort('c', 'abc'));
    usage(() => parseLocalPort('c', '65536'));
  });
});

describe('parsePortRange', () => {
  it('parses ranges and single ports', () => {
    expect(parsePortRange('scan', '21-25')).toEqual([21, 25]);
    expect(parsePortRange('scan', '22')).toEqual([22, 22]);
    expect(parsePortRange('scan', 'ftp-smtp')).toEqual([21, 25]);
  });
  it('rejects reversed and open ranges', () => {
    expect(usage(() => parsePortRange('scan', '25-21')).message).toBe('invalid port range "25-21"');
    usage(() => parsePortRange('scan', '1-'));
    usage(() => parsePortRange('scan', '-5'));
  });
});

describe('parseSeconds / parseCount', () => {
  it('parses seconds into ms', () => {
    expect(parseSeconds('c', '5')).toBe(5000);
    expect(parseSeconds('c', '0.25')).toBe(250);
    usage(() => parseSeconds('c', 'soon'));
    usage(() => parseSeconds('c', '-1'));
  });
  it('parses bounded counts', () => {
    expect(parseCount('w', '10', 'packet count')).toBe(10);
    usage(() => parseCount('w', '0', 'packet count'));
    usage(() => parseCount('w', '-1', 'packet count'));
  });
});

describe('parseHost / parseAddress', () => {
  it('accepts literals, bracketed IPv6 and DNS names', () => {
    expect(parseHost('c', '127.0.0.1')).toBe('127.0.0.1');
    expect(parseHost('c', '[::1]')).toBe('::1');
    expect(parseHost('c', 'example.org')).toBe('example.org');
    expect(parseHost('c', 'localhost')).toBe('localhost');
  });
  it('with -n accepts only literals', () => {
    expect(parseHost('c', '10.250.0.2', true)).toBe('10.250.0.2');
    expect(usage(() => parseHost('connect', 'example.org', true)).message).toContain('"example.org"');
  });
  it('rejects malformed names', () => {
    usage(() => parseHost('c', 'bad host'));
    usage(() => parseHost('c', '-x.org'));
    usage(() => parseAddress('c', 'localhost'));
    expect(parseAddress('c', '::1')).toBe('::1');
  });
});

describe('parseCidr', () => {
  it('parses blocks and tests membership', () => {
    const b = parseCidr('listen', '10.250.0.0/28');
    expect(cidrContains(b, '10.250.0.15')).toBe(true);
    expect(cidrContains(b, '10.250.0.16')).toBe(false);
    expect(cidrContains(b, '::ffff:10.250.0.3')).toBe(true);
    const six = parseCidr('listen', '2001:db8::/32');
    expect(cidrContains(six, '2001:db8:1::5')).toBe(true);
    expect(cidrContains(six, '127.0.0.1')).toBe(false);
    expect(cidrContains(parseCidr('l', '0.0.0.0/0'), '1.2.3.4')).toBe(true);
    expect(cidrContains(parseCidr('l', '127.0.0.1'), '127.0.0.1')).toBe(true);
  });
  it('rejects bad prefixes and addresses', () => {
    expect(usage(() => parseCidr('listen', '10.0.0.0/33')).message).toContain('"10.0.0.0/33"');
    usage(() => parseCidr('listen', 'foo/8'));
    usage(() => parseCidr('listen', '::/129'));
  });
});
