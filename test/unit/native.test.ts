import { EventEmitter } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { asBinding, loadCap, materialize, UNPATCHED } from '../../src/watch/native';
import { canCapture } from '../helpers/can-capture';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ntk-native-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const ADDON = Buffer.from('not really an addon, but bytes to place');

describe('materialize', () => {
  it('writes the addon once into the per-version cache directory and reuses it', () => {
    const dir = tempDir();
    const env = { XDG_CACHE_HOME: join(dir, 'cache'), TMPDIR: join(dir, 'tmp') };
    const first = materialize(ADDON, env);
    expect(first.fallback).toBeUndefined();
    expect(first.path.startsWith(join(dir, 'cache', 'ntk') + '/')).toBe(true);
    const mtime = statSync(first.path).mtimeMs;
    const again = materialize(ADDON, env);
    expect(again.path).toBe(first.path);
    expect(statSync(again.path).mtimeMs).toBe(mtime);
    // A different build of the same version gets its own file.
    expect(materialize(Buffer.from('another build'), env).path).not.toBe(first.path);
    expect(readdirSync(join(first.path, '..')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('uses ~/.cache without XDG_CACHE_HOME (and ignores a relative one)', () => {
    const dir = tempDir();
    const { path } = materialize(ADDON, { HOME: dir, XDG_CACHE_HOME: 'relative', TMPDIR: join(dir, 'tmp') });
    expect(path.startsWith(join(dir, '.cache', 'ntk') + '/')).toBe(true);
  });

  it('falls back to a private temp directory when the cache cannot be written', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    const placed = materialize(ADDON, { XDG_CACHE_HOME: join(dir, 'file'), TMPDIR: join(dir, 'tmp') });
    expect(placed.path.startsWith(join(dir, 'tmp') + '/')).toBe(true);
    expect(placed.fallback).toMatch(/file/);
    expect(statSync(join(placed.path, '..')).mode & 0o777).toBe(0o700);
  });

  it('says in one line where it tried when neither can be written', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    let err: unknown;
    try {
      materialize(ADDON, { XDG_CACHE_HOME: join(dir, 'file'), TMPDIR: join(dir, 'file') });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'E_CAPTURE',
      message: expect.stringMatching(/^cannot write the capture addon: /),
    });
    expect((err as Error).message).not.toContain('\n');
  });
});

describe.runIf(canCapture())('loadCap from node_modules', () => {
  it('gives a Cap that is an EventEmitter, and the device list', () => {
    const { binding, from } = loadCap();
    expect(from).toBe('node_modules');
    expect(new binding.Cap()).toBeInstanceOf(EventEmitter);
    expect(binding.deviceList().map((d) => d.name)).toContain('lo');
  });
});

describe('asBinding', () => {
  it('refuses, in one line, an addon built without the patch (no packet timestamps, stats, filter compiler or batches)', () => {
    class OldCap {}
    const old = { Cap: OldCap, deviceList: () => [] };
    expect(() => asBinding(old)).toThrow(expect.objectContaining({ code: 'E_CAPTURE', message: UNPATCHED }));
    expect(UNPATCHED).not.toContain('\n');
    class NewCap {
      static compileFilter(): unknown[] {
        return [];
      }
      stats(): object {
        return {};
      }
      setBatch(): void {}
    }
    expect(new (asBinding({ Cap: NewCap, deviceList: () => [] }).Cap)()).toBeInstanceOf(EventEmitter);
  });
});
