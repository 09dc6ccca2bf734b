/** `ntk listen --chat` and `--broker`: the real binary on loopback, port 0, several participants. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { join, until, type Peer } from '../helpers/peer';
import { spawnNtk, type NtkProcess } from '../helpers/run-ntk';

async function room(args: string[] = []): Promise<{ ntk: NtkProcess; port: number }> {
  const ntk = spawnNtk(['listen', '--chat', ...args, '0'], { stdin: 'pipe' });
  const m = await ntk.waitFor(/Listening on \S+ (\d+)/);
  return { ntk, port: Number(m[1]) };
}

async function joinAs(port: number, name: string, localAddress?: string): Promise<Peer> {
  const p = await join(port, localAddress);
  await p.waitFor(`* ${name} joined from 127.0.0.`);
  return p;
}

/** Resident set size of a process, in KiB, from /proc. */
function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]);
}

describe('ntk listen --chat', () => {
  it('three participants: names in join order, relay in order to the others and the operator, /nick, leave', async () => {
    const { ntk, port } = await room();
    const a = await joinAs(port, 'user1');
    const b = await joinAs(port, 'user2');
    const c = await joinAs(port, 'user3');
    await a.waitFor(`* user3 joined from 127.0.0.1:${c.socket.localPort}\n`);
    // Lines from different participants are in the order the room read them: send one after the other.
    a.socket.write('hello\n');
    await c.waitFor('<user1> hello\n');
    b.socket.write('hi there\n');
    await c.waitFor('<user2> hi there\n');
    a.socket.write('/nick alice\n');
    a.socket.write('how are you?\n');
    await c.waitFor('<alice> how are you?\n');
    expect(c.lines().filter((l) => !l.includes('joined'))).toEqual([
      '<user1> hello',
      '<user2> hi there',
      '* user1 is now alice',
      '<alice> how are you?',
    ]);
    await b.waitFor('<alice> how are you?\n');
    expect(b.text()).toContain('<user1> hello\n');
    expect(b.text()).not.toContain('<user2>');
    ntk.child.stdin?.write('from the operator\n');
    await a.waitFor('<server> from the operator\n');
    c.socket.end();
    await a.waitFor('* user3 left\n');
    await b.waitFor('* user3 left\n');
    await ntk.waitFor('<alice> how are you?\n', { stream: 'stdout' });
    expect(ntk.stdout()).toBe('<user1> hello\n<user2> hi there\n<alice> how are you?\n');
    await ntk.waitFor('* user3 left');
    expect(ntk.stderr()).toContain('* user1 is now alice\n');
    ntk.child.kill('SIGTERM');
    expect((await ntk.done).code).toBe(143);
    await a.closed;
  });

  it('strips terminal control sequences so no participant can repaint another terminal', async () => {
    const { ntk, port } = await room();
    const a = await joinAs(port, 'user1');
    const b = await joinAs(port, 'user2');
    // OSC title, clear screen, cursor home, BEL, backspace, CR, UTF-8 CSI, bidi override, then text.
    a.socket.write(
      Buffer.from('1b5d323b6f776e6564071b5b324a1b5b48070808' + '0d' + 'c29b33316d' + 'e280ae' + '6f6b0a', 'hex'),
    );
    await b.waitFor('<user1> ok\n');
    await ntk.waitFor('<user1> ok\n', { stream: 'stdout' });
    expect(b.text()).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/);
    expect(ntk.stdout()).toBe('<user1> ok\n');
  });

  it('cuts a long line with a notice; 100 MB without a newline leaves the server memory bounded', async () => {
    const { ntk, port } = await room(['--max-line', '1000']);
    const a = await joinAs(port, 'user1');
    const b = await joinAs(port, 'user2');
    const pid = ntk.child.pid as number;
    const before = rssKiB(pid);
    const block = Buffer.alloc(1024 * 1024, 0x41);
    let peak = before;
    for (let i = 0; i < 100; i++) {
      if (!a.socket.write(block)) await new Promise((r) => a.socket.once('drain', r));
      if (i % 10 === 0) peak = Math.max(peak, rssKiB(pid));
    }
    a.socket.write('\nafter\n');
    await b.waitFor('<user1> after\n', 30_000);
    peak = Math.max(peak, rssKiB(pid));
    expect(b.lines().filter((l) => l.startsWith('<'))).toEqual([`<user1> ${'A'.repeat(1000)}`, '<user1> after']);
    await a.waitFor('* line cut at 1000 bytes');
    expect(ntk.stderr()).toMatch(/user1: line cut at 1000 bytes/);
    // 100 MB went through; the server grew by far less (the bound is the line limit plus socket buffers).
    expect(peak - before).toBeLessThan(64 * 1024);
  });

  it('disconnects a participant that stops reading, with a notice; the others still get every line in order', async () => {
    const { ntk, port } = await room(['--max-queue', '65536', '--stall', '1']);
    const a = await joinAs(port, 'user1');
    const b = await joinAs(port, 'user2');
    const stalled = await joinAs(port, 'user3');
    stalled.socket.pause();
    await b.waitFor('* user3 joined');
    const pad = 'y'.repeat(80);
    const relayed = '<user1> 00000000 '.length + pad.length + 1;
    let sent = 0;
    // Bounded: 64 MB at most. The reading participant is waited for, so only the stalled one falls behind.
    while (!b.text().includes('* user3 left') && sent < 640_000) {
      let chunk = '';
      for (let i = 0; i < 500; i++) chunk += `${String(sent++).padStart(8, '0')} ${pad}\n`;
      a.socket.write(chunk);
      const want = (sent - 500) * relayed;
      await until(
        () => b.text().length >= want,
        () => `line ${sent - 500} at user2`,
      );
    }
    a.socket.write('done\n');
    await b.waitFor('<user1> done\n', 30_000);
    expect(b.text()).toMatch(/\* user3 left \(not reading: over 65536 bytes queued for 1 s\)\n/);
    const got = b.lines().filter((l) => l.startsWith('<user1> ') && l !== '<user1> done');
    expect(got.length).toBe(sent);
    expect(got.every((l, i) => l === `<user1> ${String(i).padStart(8, '0')} ${pad}`)).toBe(true);
    stalled.socket.resume(); // it sees the close only once it reads what the kernel still holds for it
    await stalled.closed;
    expect(ntk.child.exitCode).toBeNull();
  });

  it('tells a participant past --max-conns that the room is full and closes it', async () => {
    const { ntk, port } = await room(['--max-conns', '2']);
    await joinAs(port, 'user1');
    const b = await joinAs(port, 'user2');
    const c = await join(port);
    await c.closed;
    expect(c.text()).toBe('* room full (2 connected)\n');
    await ntk.waitFor(/refused: room full \(--max-conns 2\)/);
    b.socket.end();
    await ntk.waitFor('* user2 left');
    await joinAs(port, 'user3');
  });

  it('refuses peers by --allow and --deny', async () => {
    const { ntk, port } = await room(['--allow', '127.0.0.0/8', '--deny', '127.0.0.2/32']);
    const denied = await join(port, '127.0.0.2');
    await denied.closed;
    expect(denied.text()).toBe('');
    await ntk.waitFor(/\* 127\.0\.0\.2:\d+ refused \(--deny 127\.0\.0\.2\/32\)/);
    await joinAs(port, 'user1', '127.0.0.3');

    const only = await room(['--allow', '10.0.0.0/8']);
    const outsider = await join(only.port);
    await outsider.closed;
    await only.ntk.waitFor(/refused \(not in --allow\)/);
  });

  it('cleans up a participant that resets its connection and keeps running', async () => {
    const { ntk, port } = await room();
    const a = await joinAs(port, 'user1');
    const b = await joinAs(port, 'user2');
    b.socket.resetAndDestroy();
    await a.waitFor('* user2 left (Connection reset by peer)\n');
    const c = await joinAs(port, 'user3');
    c.socket.write('still up\n');
    await a.waitFor('<user3> still up\n');
    expect(ntk.child.exitCode).toBeNull();
  });

  it('disconnects a participant silent for --idle seconds', async () => {
    const { port } = await room(['--idle', '0.3']);
    const a = await joinAs(port, 'user1');
    await a.closed;
    expect(a.text()).toContain('* disconnected: idle for 0.3 s\n');
  });
});

describe('ntk listen --broker', () => {
  it('relays raw bytes unchanged between all peers, without names', async () => {
    const ntk = spawnNtk(['listen', '--broker', '0'], { stdin: 'pipe' });
    const port = Number((await ntk.waitFor(/Listening on \S+ (\d+)/))[1]);
    const a = await join(port);
    await ntk.waitFor(`:${a.socket.localPort} joined`);
    const b = await join(port);
    await ntk.waitFor(`:${b.socket.localPort} joined`);
    const got: Buffer[] = [];
    b.socket.on('data', (c: Buffer) => got.push(c));
    const bytes = Buffer.from('00ff1b5b324a0d0a' + '41'.repeat(100), 'hex');
    a.socket.write(bytes);
    await until(
      () => Buffer.concat(got).length >= bytes.length,
      () => 'the bytes at b',
    );
    expect(Buffer.concat(got).equals(bytes)).toBe(true);
    await until(
      () => ntk.out().length >= bytes.length,
      () => 'the bytes on stdout',
    );
    expect(ntk.out().equals(bytes)).toBe(true);
    expect(a.text()).toBe('');
  });
});
