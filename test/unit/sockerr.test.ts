import { describe, expect, it } from 'vitest';
import { constants } from 'node:os';
import { addressInUseError, errName, errnoWords, statusOf, strerror, sysError, UV } from '../../src/lib/errno';
import type { SockEntry } from '../../src/lib/socktable';

function entry(over: Partial<SockEntry>): SockEntry {
  return {
    proto: 'tcp',
    family: 4,
    localAddress: '127.0.0.1',
    localPort: 12345,
    remoteAddress: '127.0.0.1',
    remotePort: 80,
    state: 'TIME_WAIT',
    timer: 3,
    timerMs: 47_000,
    retransmits: 0,
    probes: 0,
    sendQ: 0,
    recvQ: 0,
    uid: 0,
    inode: 0,
    ...over,
  };
}

const sysErr = (code: string, syscall: string): Error =>
  Object.assign(new Error(`${syscall} ${code}`), { code, syscall });

describe('addressInUseError', () => {
  it('explains EADDRINUSE from bind with the socket, its state and timer, and the way out', () => {
    const err = addressInUseError('connect', {
      proto: 'tcp',
      address: '127.0.0.1',
      port: 12345,
      flag: '-p',
      reuse: '--reuse',
      conflicts: [entry({})],
      cause: sysErr('EADDRINUSE', 'bind'),
    });
    expect(err.code).toBe('E_ADDRINUSE');
    expect(err.exitCode).toBe(1);
    expect(err.message).toBe('bind 127.0.0.1:12345 failed: Address already in use');
    expect(err.details).toEqual([
      '127.0.0.1:12345 -> 127.0.0.1:80  TIME_WAIT  47 s left of 2MSL (this side closed first)',
      'wait 47 s, pick another -p, or pass --reuse',
    ]);
  });

  it('gives a 4-tuple refused at connect() (EADDRNOTAVAIL, tcp_tw_reuse kernels) the same diagnosis', () => {
    const err = addressInUseError('connect', {
      proto: 'tcp',
      address: '127.0.0.1',
      port: 12345,
      errno: 'EADDRNOTAVAIL',
      flag: '-p',
      conflicts: [entry({ timerMs: 12_300 })],
      cause: sysErr('EADDRNOTAVAIL', 'connect'),
    });
    expect(err.code).toBe('E_ADDRNOTAVAIL');
    expect(err.message).toBe('connect from 127.0.0.1:12345 failed: Cannot assign requested address');
    expect(err.details).toEqual([
      '127.0.0.1:12345 -> 127.0.0.1:80  TIME_WAIT  13 s left of 2MSL (this side closed first)',
      'wait 13 s, pick another -p',
    ]);
  });

  it('shows at most five sockets', () => {
    const many = Array.from({ length: 7 }, (_, i) => entry({ remotePort: 1000 + i }));
    const err = addressInUseError('listen', {
      proto: 'tcp',
      address: '0.0.0.0',
      port: 12345,
      flag: 'PORT',
      conflicts: many,
    });
    expect(err.details).toHaveLength(7);
    expect(err.details[5]).toBe('… and 2 more');
    expect(err.details[6]).toBe('wait 47 s, pick another PORT');
  });
});

describe('system errors in words', () => {
  it('names the errno as strerror does', () => {
    expect(errnoWords(sysErr('ECONNREFUSED', 'connect'))).toBe('Connection refused');
    expect(errnoWords(sysErr('EHOSTUNREACH', 'connect'))).toBe('No route to host');
    const e = sysError('connect', 'connect to 10.0.0.1 port 80 (tcp)', sysErr('ETIMEDOUT', 'connect'));
    expect(e.code).toBe('E_TIMEDOUT');
    expect(e.message).toBe('connect to 10.0.0.1 port 80 (tcp) failed: Connection timed out');
  });
});

describe('errno numbers and names', () => {
  it("takes libuv statuses from this platform's errno numbers", () => {
    expect(UV.ECONNREFUSED).toBe(-constants.errno.ECONNREFUSED);
    expect(UV.ETIMEDOUT).toBe(-constants.errno.ETIMEDOUT);
    expect(errName(UV.ECONNREFUSED)).toBe('ECONNREFUSED');
    expect(errName(-99_999)).toBe('E99999');
    expect(statusOf(Object.assign(new Error('x'), { errno: UV.EMFILE }))).toBe(UV.EMFILE);
    expect(statusOf(new Error('no errno'))).toBe(UV.EIO);
  });

  it("words errnos outside ntk's own table from libuv's, in strerror's casing", () => {
    expect(strerror('ENOSPC')).toBe('No space left on device');
    expect(strerror('EROFS')).toBe('Read-only file system');
    expect(strerror('ENOTANERRNO')).toBeUndefined();
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(errnoWords(full)).toBe('No space left on device');
  });

  it("keeps any other error's message whole, and drops only a system error's own syscall and code", () => {
    // libpcap's words start with two words as a system error's message does: they stay.
    expect(errnoWords(new Error('no VLAN support for Linux cooked v1'))).toBe('no VLAN support for Linux cooked v1');
    const odd = Object.assign(new Error('connect ENOTANERRNO 10.0.0.1:80'), { code: 'ENOTANERRNO' });
    expect(errnoWords(odd)).toBe('10.0.0.1:80');
  });
});
