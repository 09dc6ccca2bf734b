import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  auxvSecure,
  capabilitySets,
  dropPrivileges,
  findAccount,
  readTrustedFile,
  secureExecution,
  untrustedDirectory,
} from '../../src/watch/privileges';
import { installDir } from '../../src/watch/native';

/** An auxiliary vector of 64-bit little-endian (type, value) pairs, ended by AT_NULL. */
function auxv(pairs: Array<[number, number]>): Buffer {
  const b = Buffer.alloc((pairs.length + 1) * 16);
  pairs.forEach(([t, v], i) => {
    b.writeBigUInt64LE(BigInt(t), i * 16);
    b.writeBigUInt64LE(BigInt(v), i * 16 + 8);
  });
  return b;
}

describe('auxvSecure', () => {
  it('reads AT_SECURE (23) among the other entries', () => {
    expect(
      auxvSecure(
        auxv([
          [33, 0x7fff],
          [6, 4096],
          [23, 1],
          [25, 0x1234],
        ]),
      ),
    ).toBe(true);
    expect(
      auxvSecure(
        auxv([
          [33, 0x7fff],
          [23, 0],
          [25, 0x1234],
        ]),
      ),
    ).toBe(false);
  });

  it('stops at AT_NULL and is false without AT_SECURE', () => {
    const b = Buffer.concat([auxv([[6, 4096]]), auxv([[23, 1]])]);
    expect(auxvSecure(b)).toBe(false);
    expect(auxvSecure(Buffer.alloc(0))).toBe(false);
  });

  it('reads 32-bit vectors', () => {
    const b = Buffer.alloc(24);
    b.writeUInt32LE(6, 0);
    b.writeUInt32LE(4096, 4);
    b.writeUInt32LE(23, 8);
    b.writeUInt32LE(1, 12);
    expect(auxvSecure(b, 4)).toBe(true);
  });

  it('this test process was not given privileges at execve', () => {
    expect(secureExecution()).toBe(false);
  });
});

describe('capabilitySets', () => {
  it('reads CapEff and CapPrm from /proc/<pid>/status text', () => {
    const text = 'Name:\tntk\nCapInh:\t0000000000000000\nCapPrm:\t0000000000002000\nCapEff:\t0000000000002000\n';
    expect(capabilitySets(text)).toEqual({ effective: 0x2000n, permitted: 0x2000n });
    expect(capabilitySets('Name:\tntk\n')).toBeUndefined();
  });
});

describe('findAccount', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
  it('gives uid and primary gid by name', () => {
    expect(findAccount(passwd, 'nobody')).toEqual({ name: 'nobody', uid: 65534, gid: 65534 });
    expect(findAccount(passwd, 'nob')).toBeUndefined();
  });
});

describe('dropPrivileges', () => {
  it('says in one line when -Z names no user', () => {
    if (process.geteuid?.() !== 0) return;
    expect(() => dropPrivileges({}, 'no-such-user-here', 'root:x:0:0::/root:/bin/sh\n')).toThrow(
      expect.objectContaining({ code: 'E_PERM', message: '-Z: no such user "no-such-user-here"' }),
    );
  });

  it('-Z root keeps root', () => {
    expect(dropPrivileges({}, 'root')).toBeUndefined();
    if (process.geteuid?.() === 0) expect(process.getuid?.()).toBe(0);
  });
});

describe('installDir', () => {
  it('is lib/ntk/<version> beside the directory of the executable', () => {
    expect(installDir('/usr/local/bin/ntk')).toMatch(/^\/usr\/local\/lib\/ntk\/[^/]+$/);
  });
});

const root = resolve(__dirname, '../..');
// The checks need directories owned by root: a checkout owned by root (as CI runs) provides them.
const rootOwnedCheckout = process.geteuid?.() === 0 && untrustedDirectory(root) === undefined;

describe.runIf(rootOwnedCheckout)('untrustedDirectory and readTrustedFile (as root)', () => {
  function trusted(): string {
    const dir = mkdtempSync(join(root, '.priv-test-'));
    chmodSync(dir, 0o755);
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  it('accepts root-owned directories no one else can write, and the file in them', () => {
    const dir = trusted();
    expect(untrustedDirectory(dir)).toBeUndefined();
    writeFileSync(join(dir, 'cap.node'), 'bytes', { mode: 0o644 });
    expect(readTrustedFile(join(dir, 'cap.node')).toString()).toBe('bytes');
  });

  it('refuses a world-writable directory on the way (such as /tmp)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntk-priv-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    expect(untrustedDirectory(dir)).toMatch(/ is writable by others$/);
  });

  it('refuses a component another user owns, one its group can write, a link, and a missing one', () => {
    const dir = trusted();
    const sub = join(dir, 'lib', 'ntk');
    mkdirSync(sub, { recursive: true, mode: 0o755 });
    chownSync(join(dir, 'lib'), 65534, 65534);
    expect(untrustedDirectory(sub)).toBe(`${join(dir, 'lib')} is not owned by root`);
    chownSync(join(dir, 'lib'), 0, 0);
    chmodSync(sub, 0o775);
    expect(untrustedDirectory(sub)).toBe(`${sub} is writable by its group`);
    chmodSync(sub, 0o755);
    symlinkSync(sub, join(dir, 'link'));
    expect(untrustedDirectory(join(dir, 'link'))).toBe(`${join(dir, 'link')} is a symbolic link`);
    expect(untrustedDirectory(join(dir, 'none'))).toBe(`${join(dir, 'none')} does not exist`);
    expect(untrustedDirectory('relative/dir')).toMatch(/not an absolute path/);
  });

  it('refuses a file that is a link, is not root-owned, or others can write', () => {
    const dir = trusted();
    const file = join(dir, 'cap.node');
    writeFileSync(file, 'bytes', { mode: 0o644 });
    symlinkSync(file, join(dir, 'link.node'));
    expect(() => readTrustedFile(join(dir, 'link.node'))).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    chownSync(file, 65534, 65534);
    expect(() => readTrustedFile(file)).toThrow(`${file} is not owned by root`);
    chownSync(file, 0, 0);
    chmodSync(file, 0o646);
    expect(() => readTrustedFile(file)).toThrow(`${file} is writable by others`);
  });
});
