/**
 * Signals end a command the way Ctrl-C does (a clean close: the peer gets a FIN), with the status a shell reports:
 * SIGINT 130, SIGTERM 143, SIGHUP 129.
 */
import { describe, expect, it } from 'vitest';
import { startServer } from '../helpers/net';
import { spawnNtk } from '../helpers/run-ntk';

const CASES: Array<[NodeJS.Signals, number]> = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
];

describe('signals', () => {
  for (const [signal, status] of CASES) {
    it(`connect: ${signal} closes the session with a FIN and exits ${status}`, async () => {
      let sawFin = false;
      const srv = await startServer((s) => {
        s.on('end', () => (sawFin = true));
        s.resume();
      });
      const p = spawnNtk(['connect', '127.0.0.1', String(srv.port)], { stdin: 'pipe' });
      const peer = await srv.nextConnection();
      const closed = new Promise((r) => peer.once('close', r));
      p.child.kill(signal);
      const r = await p.done;
      expect(r.code, r.stderr).toBe(status);
      expect(r.stderr).toBe('');
      await closed;
      expect(sawFin).toBe(true);
    });

    it(`listen: ${signal} while waiting for a peer exits ${status}`, async () => {
      const p = spawnNtk(['listen', '-s', '127.0.0.1', '0'], { stdin: 'pipe' });
      await p.waitFor(/Listening on/);
      p.child.kill(signal);
      const r = await p.done;
      expect(r.code, r.stderr).toBe(status);
    });
  }
});
