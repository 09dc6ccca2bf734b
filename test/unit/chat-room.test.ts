/** The room in-process, on real loopback sockets: names, relay, limits and their error codes. */
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseCidr } from '../../src/lib/addresses';
import { ROOM_DEFAULTS, runRoom, type RoomEvent, type RoomOptions } from '../../src/listen/chat';
import { memoryIo } from '../helpers/io';
import { join, until, type Peer } from '../helpers/peer';

/**
 * The rooms listen on an address of their own, so that probes other tests send to 127.0.0.1 (port scans of
 * ports free a moment ago) can never join them.
 */
const ROOM_HOST = '127.0.0.3';

/** Joins the room at ROOM_HOST:`port`. */
function enter(port: number, localAddress?: string): Promise<Peer> {
  return join(port, localAddress, ROOM_HOST);
}

async function startRoom(opts: Partial<RoomOptions> = {}) {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, ROOM_HOST, r));
  const port = (server.address() as { port: number }).port;
  const stdin = new PassThrough();
  const io = memoryIo(stdin);
  const controller = io.controller;
  const events: RoomEvent[] = [];
  const done = runRoom(
    server,
    { mode: 'chat', allow: [], deny: [], ...ROOM_DEFAULTS, ...opts, onEvent: (e) => void events.push(e) },
    io,
  );
  onTestFinished(async () => {
    controller.abort('SIGTERM');
    await done;
  });
  const event = (pred: (e: RoomEvent) => boolean): Promise<RoomEvent> =>
    until(
      () => events.some(pred),
      () => `an event in ${JSON.stringify(events)}`,
    ).then(() => events.find(pred) as RoomEvent);
  return { port, events, event, stdin, stdout: io.out, stderr: io.err, stop: () => controller.abort('SIGTERM'), done };
}

/** Joins and waits until the room has announced the participant to itself. */
async function joinAs(port: number, name: string, localAddress?: string): Promise<Peer> {
  const p = await enter(port, localAddress);
  await p.waitFor(`* ${name} joined from `);
  return p;
}

describe('chat room', () => {
  it('names participants user1, user2, user3 in join order and relays each line to the others, in order', async () => {
    const room = await startRoom();
    const a = await joinAs(room.port, 'user1');
    const b = await joinAs(room.port, 'user2');
    const c = await joinAs(room.port, 'user3');
    await a.waitFor('* user3 joined from 127.0.0.1:');
    a.socket.write('one\ntwo\n');
    b.socket.write('three\n');
    await c.waitFor('<user2> three\n');
    await a.waitFor('<user2> three\n');
    await b.waitFor('<user1> two\n');
    expect(c.lines().filter((l) => l.startsWith('<'))).toEqual(['<user1> one', '<user1> two', '<user2> three']);
    expect(a.text()).not.toContain('<user1>');
    expect(b.text()).not.toContain('<user2>');
    expect(room.stdout()).toBe('<user1> one\n<user1> two\n<user2> three\n');
    expect(room.stderr()).toMatch(/^\* user1 joined from 127\.0\.0\.1:\d+$/m);
  });

  it("sends the operator's stdin lines to everyone as <server>", async () => {
    const room = await startRoom();
    const a = await joinAs(room.port, 'user1');
    const b = await joinAs(room.port, 'user2');
    room.stdin.write('welcome\x1b[2J\n');
    await a.waitFor('<server> welcome\n');
    await b.waitFor('<server> welcome\n');
  });

  it("sends the operator's last line at stdin EOF even without its newline", async () => {
    const room = await startRoom();
    const a = await joinAs(room.port, 'user1');
    room.stdin.end('first\nbye');
    await a.waitFor('<server> bye\n');
    expect(a.lines().filter((l) => l.startsWith('<'))).toEqual(['<server> first', '<server> bye']);
  });

  it('takes an error on stdin as its end: one line on stderr, the room keeps running', async () => {
    const room = await startRoom();
    const a = await joinAs(room.port, 'user1');
    room.stdin.write('last words');
    room.stdin.destroy(Object.assign(new Error('read EIO'), { code: 'EIO' }));
    await a.waitFor('<server> last words\n');
    await until(
      () => /reading stdin failed/.test(room.stderr()),
      () => `the stdin line in ${room.stderr()}`,
    );
    expect(room.stderr().match(/^ntk: listen: reading stdin failed: .*$/gm)).toHaveLength(1);
    const b = await joinAs(room.port, 'user2');
    b.socket.write('still here\n');
    await a.waitFor('<user2> still here\n');
  });

  it('renames with /nick, refuses taken, reserved and invalid names, and skips taken userN names', async () => {
    const room = await startRoom();
    const a = await joinAs(room.port, 'user1');
    const b = await joinAs(room.port, 'user2');
    a.socket.write('/nick alice\n');
    await b.waitFor('* user1 is now alice\n');
    await a.waitFor('* user1 is now alice\n');
    b.socket.write('/nick ALICE\n/nick server\n/nick no way\n/nick <x>\n/nick user3\n');
    await b.waitFor('* user2 is now user3\n');
    expect(b.text()).toContain('* nick "ALICE" is taken\n');
    expect(b.text()).toContain('* nick "server" is taken\n');
    expect(b.text()).toContain('* invalid nick "<x>"');
    // "/nick no way" is not a command (two words): it is relayed as text.
    await a.waitFor('<user2> /nick no way\n');
    b.socket.write('hi\n');
    await a.waitFor('<user3> hi\n');
    const c = await enter(room.port);
    await c.waitFor('* user4 joined from ');
    // A rename in the middle of one chunk: the lines around it keep their order and their names.
    b.socket.write('before\n/nick bob\nafter\n');
    await c.waitFor('<bob> after\n');
    expect(c.lines().slice(-3)).toEqual(['<user3> before', '* user3 is now bob', '<bob> after']);
    expect(room.events.filter((e) => e.kind === 'nick').map((e) => e.name)).toEqual(['alice', 'user3', 'bob']);
  });

  it('announces a participant that leaves, and one that resets its connection, and keeps serving', async () => {
    const room = await startRoom();
    const a = await joinAs(room.port, 'user1');
    const b = await joinAs(room.port, 'user2');
    const c = await joinAs(room.port, 'user3');
    b.socket.end('last words without a newline');
    await a.waitFor('<user2> last words without a newline\n* user2 left\n');
    c.socket.resetAndDestroy();
    await a.waitFor('* user3 left (');
    const left = await room.event((e) => e.kind === 'leave' && e.name === 'user3');
    expect(left.code).toBe('E_NET');
    const d = await joinAs(room.port, 'user4');
    d.socket.write('still here\n');
    await a.waitFor('<user4> still here\n');
  });

  it('cuts a line longer than --max-line, tells the sender, and relays the rest of the stream', async () => {
    const room = await startRoom({ maxLine: 16 });
    const a = await joinAs(room.port, 'user1');
    const b = await joinAs(room.port, 'user2');
    a.socket.write('0123456789abcdefOVERFLOW\nshort\n');
    await b.waitFor('<user1> short\n');
    expect(b.lines().filter((l) => l.startsWith('<'))).toEqual(['<user1> 0123456789abcdef', '<user1> short']);
    await a.waitFor('* line cut at 16 bytes');
    expect((await room.event((e) => e.kind === 'cut')).code).toBe('E_LINE_TOO_LONG');
    // The rest of a cut line arriving in its own chunk (plain text ending in a newline) is skipped too.
    a.socket.write('0123456789abcdefXYZ');
    await a.waitFor('* line cut at 16 bytes (--max-line); the rest of it was not sent\n* line cut');
    a.socket.write('rest\n');
    a.socket.write('next\n');
    await b.waitFor('<user1> next\n');
    expect(b.text()).not.toContain('rest');
  });

  it('strips terminal control sequences from relayed text', async () => {
    const room = await startRoom();
    const a = await joinAs(room.port, 'user1');
    const b = await joinAs(room.port, 'user2');
    a.socket.write(Buffer.from('1b5d303b70776e6407' + '1b5b324a' + '6869' + '07080d' + 'c29b' + '0a', 'hex'));
    await b.waitFor('<user1> hi\n');
    expect(b.text()).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  });

  it('disconnects a participant that stops reading (E_QUEUE_FULL); the others get every line, in order', async () => {
    const room = await startRoom({ maxQueue: 64 * 1024, stallMs: 1000 });
    const a = await joinAs(room.port, 'user1');
    const b = await joinAs(room.port, 'user2');
    const stalled = await joinAs(room.port, 'user3');
    stalled.socket.pause();
    await b.waitFor('* user3 joined');
    let sent = 0;
    const pad = 'x'.repeat(80);
    const relayed = '<user1> 00000000 '.length + pad.length + 1;
    // Bounded: at most 64 MB, far more than the kernel buffers of the stalled connection can hold. The sender
    // waits for the reading participant to keep within 500 lines: it reads, so it must not be cut off.
    while (!room.events.some((e) => e.code === 'E_QUEUE_FULL') && sent < 640_000) {
      let chunk = '';
      for (let i = 0; i < 500; i++) chunk += `${String(sent++).padStart(8, '0')} ${pad}\n`;
      a.socket.write(chunk);
      const want = (sent - 500) * relayed;
      await until(
        () => Buffer.byteLength(b.text()) >= want,
        () => `line ${sent - 500} at user2`,
      );
    }
    const left = await room.event((e) => e.kind === 'leave');
    expect(left).toMatchObject({ name: 'user3', code: 'E_QUEUE_FULL' });
    a.socket.write('done\n');
    await b.waitFor('<user1> done\n', 20_000);
    await a.waitFor('* user3 left (not reading');
    const got = b.lines().filter((l) => l.startsWith('<user1> ') && l !== '<user1> done');
    expect(got.length).toBe(sent);
    expect(got.every((l, i) => l === `<user1> ${String(i).padStart(8, '0')} ${pad}`)).toBe(true);
  });

  it('refuses a participant past --max-conns (E_MAXCONNS) and admits one again after someone leaves', async () => {
    const room = await startRoom({ maxConns: 2 });
    const a = await joinAs(room.port, 'user1');
    const b = await joinAs(room.port, 'user2');
    const c = await enter(room.port);
    await c.closed;
    expect(c.text()).toBe('* room full (2 connected)\n');
    expect((await room.event((e) => e.kind === 'refused')).code).toBe('E_MAXCONNS');
    b.socket.end();
    await a.waitFor('* user2 left\n');
    await joinAs(room.port, 'user3');
  });

  it('refuses peers by --allow and --deny (E_DENIED)', async () => {
    const room = await startRoom({
      allow: [parseCidr('listen', '127.0.0.0/8')],
      deny: [parseCidr('listen', '127.0.0.2/32')],
    });
    const denied = await enter(room.port, '127.0.0.2');
    await denied.closed;
    expect(denied.text()).toBe('');
    const e = await room.event((x) => x.kind === 'refused');
    expect(e.code).toBe('E_DENIED');
    expect(e.text).toContain('--deny 127.0.0.2/32');
    await joinAs(room.port, 'user1', '127.0.0.3');
  });

  it('disconnects a participant silent for --idle (E_IDLE) with a notice', async () => {
    const room = await startRoom({ idleMs: 300 });
    const a = await joinAs(room.port, 'user1');
    await a.closed;
    expect(a.text()).toContain('* disconnected: idle for 0.3 s\n');
    expect((await room.event((e) => e.kind === 'leave')).code).toBe('E_IDLE');
  });

  it('announces joins past a burst in one summary line a second, cut to the first names and the last', async () => {
    const room = await startRoom();
    const first = await joinAs(room.port, 'user1');
    // All at once, so that they join within the second that user1's join started.
    const others = await Promise.all(Array.from({ length: 19 }, () => enter(room.port)));
    for (const p of others) await p.waitFor(/^\* user\d+ joined from /);
    // user2-user5 went out one by one (the burst), user6-user20 in one line at the end of the second.
    await first.waitFor('* 15 joined: user6 user7 user8 user9 user10 user11 user12 user13 … user20\n', 5000);
    const notices = first.lines().filter((l) => l.startsWith('* '));
    expect(notices).toHaveLength(1 + 4 + 1);
    expect(notices.slice(1, 5).map((l) => l.replace(/ from .*/, ''))).toEqual([
      '* user2 joined',
      '* user3 joined',
      '* user4 joined',
      '* user5 joined',
    ]);
    // The operator hears of each one.
    expect(room.stderr().match(/joined from/g)).toHaveLength(20);
    expect(room.events.filter((e) => e.kind === 'join')).toHaveLength(20);
  });

  it('ends on interrupt with status 130 and closes every connection', async () => {
    const room = await startRoom();
    const a = await joinAs(room.port, 'user1');
    room.stop();
    expect(await room.done).toBe(130);
    await a.closed;
  });
});

describe('broker', () => {
  it('relays raw bytes unchanged to every other peer and the operator, without names or notices', async () => {
    const room = await startRoom({ mode: 'broker' });
    const a = await enter(room.port);
    await room.event((e) => e.kind === 'join');
    const b = await enter(room.port);
    await until(
      () => room.events.filter((e) => e.kind === 'join').length === 2,
      () => 'two joins',
    );
    const bytes = Buffer.from('1b5b324a00ff0a41', 'hex');
    const got: Buffer[] = [];
    b.socket.on('data', (c: Buffer) => got.push(c));
    a.socket.write(bytes);
    await until(
      () => Buffer.concat(got).length >= bytes.length,
      () => 'the bytes',
    );
    expect(Buffer.concat(got).equals(bytes)).toBe(true);
    expect(a.text()).toBe('');
    room.stdin.write('from the operator');
    await a.waitFor('from the operator');
  });

  it('paces the sender: a reading peer gets every byte of 8 MB, a stalled one is cut off after --stall', async () => {
    const room = await startRoom({ mode: 'broker', maxQueue: 64 * 1024, stallMs: 500 });
    const a = await enter(room.port);
    const b = await enter(room.port);
    const stalled = await enter(room.port);
    await until(
      () => room.events.filter((e) => e.kind === 'join').length === 3,
      () => 'three joins',
    );
    stalled.socket.pause();
    let got = 0;
    let sum = 0;
    b.socket.on('data', (c: Buffer) => {
      for (const byte of c) sum = (sum + byte * ((got++ % 251) + 1)) % 1_000_003;
    });
    const block = Buffer.alloc(64 * 1024);
    for (let i = 0; i < block.length; i++) block[i] = (i * 7) % 256;
    let expected = 0;
    for (let n = 0; n < 128; n++) {
      for (let i = 0; i < block.length; i++)
        expected = (expected + (block[i] as number) * (((n * block.length + i) % 251) + 1)) % 1_000_003;
      if (!a.socket.write(block)) await new Promise((r) => a.socket.once('drain', r));
    }
    await until(
      () => got >= 128 * block.length,
      () => `8 MB at the reading peer (${got} bytes)`,
      30_000,
    );
    expect(sum).toBe(expected);
    const left = await room.event((e) => e.kind === 'leave');
    expect(left).toMatchObject({ where: left.name, code: 'E_QUEUE_FULL' });
    expect(room.events.filter((e) => e.kind === 'leave')).toHaveLength(1);
  });
});
