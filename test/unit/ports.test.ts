import { describe, expect, it } from 'vitest';
import { isNtkError } from '../../src/lib/errors';
import { formatPortList, parsePortList } from '../../src/scan/ports';

function usage(text: string): string {
  try {
    parsePortList('scan', text);
  } catch (err) {
    if (isNtkError(err)) {
      expect(err.code).toBe('E_USAGE');
      expect(err.exitCode).toBe(2);
      return err.message;
    }
    throw err;
  }
  throw new Error(`"${text}" was accepted`);
}

describe('parsePortList', () => {
  it('reads a range, a list, names and mixes, ascending without repeats', () => {
    expect(parsePortList('scan', '21-25')).toEqual([21, 22, 23, 24, 25]);
    expect(parsePortList('scan', '443,22,80')).toEqual([22, 80, 443]);
    expect(parsePortList('scan', 'ssh,http')).toEqual([22, 80]);
    expect(parsePortList('scan', '20-23,ssh,22,8080')).toEqual([20, 21, 22, 23, 8080]);
    expect(parsePortList('scan', '7')).toEqual([7]);
  });

  it('takes `-` and 1-65535 as every port', () => {
    const all = parsePortList('scan', '-');
    expect(all).toHaveLength(65535);
    expect(all[0]).toBe(1);
    expect(all[65534]).toBe(65535);
    expect(parsePortList('scan', '1-65535')).toEqual(all);
  });

  it('reads a service name that contains a dash', () => {
    expect(parsePortList('scan', 'http-alt')).toEqual([8080]);
  });

  it('looks names up for the protocol asked', () => {
    expect(parsePortList('scan', 'domain', 'udp')).toEqual([53]);
  });

  it('names the bad item', () => {
    expect(usage('25-21')).toBe('invalid port range "25-21"');
    expect(usage('1-')).toBe('invalid port range "1-"');
    expect(usage('0')).toBe('port out of range (1-65535): "0"');
    expect(usage('70000')).toBe('port out of range (1-65535): "70000"');
    expect(usage('abc')).toBe('unknown tcp service "abc"');
    expect(usage('22,,80')).toContain('empty item');
    expect(usage('22,1-')).toBe('invalid port range "1-"');
    expect(usage('2x')).toBe('invalid port "2x"');
  });
});

describe('formatPortList', () => {
  it('writes the shortest list of ranges', () => {
    expect(formatPortList([1, 2, 3, 5, 7, 8])).toBe('1-3,5,7-8');
    expect(formatPortList(parsePortList('scan', '-'))).toBe('1-65535');
    expect(formatPortList([])).toBe('');
  });
});
