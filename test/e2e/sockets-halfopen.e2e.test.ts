/**
 * The tutorial's half-open case in a namespace of our own: a session to the test host, then the host's veth goes
 * down and we send data. Nothing is acknowledged: `ntk sockets` shows the retransmission timer, its count rising,
 * and the half-open hint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canNetns, createTestHost, type TestHost } from '../helpers/netns';
import { runNtk, spawnNtk } from '../helpers/run-ntk';

interface JsonSock {
  state: string;
  peerAddress: string;
  peerPort: number;
  timer: string | null;
  retransmits: number;
  hint: string | null;
}

describe.runIf(canNetns())('ntk sockets: the half-open case', () => {
  let host: TestHost;
  beforeAll(() => {
    host = createTestHost(60);
  });
  afterAll(() => host?.destroy());

  it('shows the retransmission count rising once the peer stops answering', async () => {
    const server = spawnNtk(['listen', '-v', '-k', '-s', host.remote, '0'], { netns: host.ns, stdin: 'pipe' });
    const port = Number((await server.waitFor(/Listening on \S+ (\d+)/))[1]);
    const client = spawnNtk(['connect', host.remote, String(port)], { stdin: 'pipe' });
    await server.waitFor('Connection received');
    // The test host's side of the veth goes down: our segments now go nowhere.
    const nsIf = /^\d+: (ntn[^@:]+)/m.exec(host.exec(['ip', '-o', 'link']))?.[1] ?? '';
    expect(nsIf).not.toBe('');
    host.exec(['ip', 'link', 'set', nsIf, 'down']);
    client.child.stdin?.write('are you there?\n');

    const seen: number[] = [];
    let last: JsonSock | undefined;
    for (let i = 0; i < 40 && (seen.length < 2 || (seen.at(-1) ?? 0) < 3); i++) {
      const r = await runNtk(['sockets', '--json', 'tcp', host.remote, String(port)]);
      const rows = r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as JsonSock);
      last = rows.find((s) => s.state === 'ESTABLISHED' && s.peerPort === port);
      if (last && last.timer === 'retrans' && last.retransmits > (seen.at(-1) ?? 0)) seen.push(last.retransmits);
      await new Promise((res) => setTimeout(res, 150));
    }
    expect(seen.length, JSON.stringify(last)).toBeGreaterThanOrEqual(2);
    expect(seen.at(-1)).toBeGreaterThan(seen[0] ?? 0);
    expect(last?.hint).toMatch(
      /^no ACK from 10\.250\.60\.2:\d+ after \d+ retransmissions: the peer may be gone \(half-open\)/,
    );

    const text = await runNtk(['sockets', '-n', host.remote]);
    expect(text.stdout).toMatch(/ESTABLISHED .* retrans \d+(\.\d)?m?s #\d+ +\d+\/\S+\n +\^ no ACK from/);
    client.child.kill('SIGKILL');
    server.child.kill('SIGKILL');
  });
});
