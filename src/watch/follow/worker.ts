/**
 * The thread a followed session's capture runs in (`watch -- COMMAND`, `--watch`). The command's transfer keeps
 * its own thread while this one takes every packet from libpcap, follows the sessions and writes their lines:
 * a bulk transfer and the printing of its packets then run side by side. Bundled on its own as
 * watch-worker.cjs (session.ts starts it); the messages are in thread.ts.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { NtkError } from '../../lib/errors.js';
import { openLive } from '../live.js';
import { Follower } from './follower.js';
import { CLOSE_REASONS, type CaptureStart, type FromCapture, type ThreadError, type ToCapture } from './thread.js';

/**
 * Packets come a block at a time, at most this long after the first of a block: a bulk transfer's tens of
 * thousands of packets a second then cost a few hundred wakeups, and a line typed still shows at once to the eye.
 */
const BLOCK_MS = 10;
/** After the command ends, packets are still awaited (the end of a close) for this long without traffic… */
const QUIET_MS = 500;
/** …or this long when the command announced no socket at all. */
const NOTHING_MS = 150;
/** …and this long at most. */
const SETTLE_MAX_MS = 3000;
/** How much this thread yields to the command's (nice): printing packets comes after moving the data. */
const CAPTURE_NICE = 5;

if (parentPort === null) throw new Error('watch-worker.cjs runs as a worker thread');
const port = parentPort;
const post = (m: FromCapture): void => port.postMessage(m);

async function main(start: CaptureStart): Promise<void> {
  let source;
  try {
    source = await openLive({ iface: start.iface, filter: start.filter, snaplen: start.snaplen, blockMs: BLOCK_MS });
  } catch (err) {
    post({ type: 'failed', error: threadError(err) });
    port.close();
    return;
  }
  // Lines go to the command's thread, which writes them to its stderr.
  const toMain = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      post({ type: 'out', text: String(chunk) });
      done();
    },
  });
  const follower = new Follower(source.linktype, {
    print: start.print,
    explain: start.explain,
    json: start.json,
    color: start.color,
    out: toMain,
    summaryOut: toMain,
    closeReason: () => CLOSE_REASONS[Atomics.load(start.reason, 0)],
    // An announcement crosses threads after the command's first packets may have been captured: hold them.
    holdAll: true,
  });
  let lastPacket = performance.now();
  const running = source.run({
    transient: true, // the follower copies what it keeps
    packet: (pkt) => {
      const before = follower.printed;
      follower.packet(pkt);
      if (follower.printed !== before) lastPacket = performance.now();
    },
  });
  const live = source;
  port.on('message', (m: ToCapture) => {
    if (m.type === 'tap') follower.tap(m.ev);
    else
      void settle(follower, () => lastPacket).then(async () => {
        const stats = live.stats();
        live.close();
        await running;
        follower.finish();
        post({ type: 'done', kernelDropped: stats instanceof Error || stats === undefined ? 0 : stats.dropped });
        port.close();
      });
  });
  yieldToCommand();
  post({ type: 'opened', iface: source.iface });
}

/**
 * Lowers this thread's priority: on a busy machine the session's transfer goes first, and the kernel's ring
 * holds the packets until this thread catches up (what it could not hold is counted and said at the end).
 */
function yieldToCommand(): void {
  try {
    // Linux names the calling thread's id in /proc/thread-self; setpriority(2) takes a thread id there.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (tid > 0) setPriority(tid, CAPTURE_NICE);
  } catch {
    // not Linux, or not allowed: the same priority as the command
  }
}

/** Waits for the sessions' last packets: until all are over on the wire, or the capture is quiet. */
async function settle(follower: Follower, lastPacket: () => number): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < SETTLE_MAX_MS / 20; i++) {
    const now = performance.now();
    if (follower.allDone || now - start > SETTLE_MAX_MS) return;
    // Nothing of ours seen at all (the command failed before sending): a moment for late packets only.
    const quiet = !follower.expecting ? NOTHING_MS : follower.printed === 0 ? SETTLE_MAX_MS : QUIET_MS;
    if (now - Math.max(lastPacket(), start) > quiet) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function threadError(err: unknown): ThreadError {
  if (err instanceof NtkError)
    return { code: err.code, context: err.context, message: err.message, details: err.details };
  return { message: err instanceof Error ? err.message : String(err) };
}

void main(workerData as CaptureStart);
