/** The UDP scan engine (scan-udp.ts) on loopback: stopping it leaves nothing running. */
import { createSocket } from 'node:dgram';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runUdpEngine } from '../../src/scan/udp';

describe('runUdpEngine', () => {
  it('on abort, drops its probes: no result and no error when their deadlines would have passed', async () => {
    // A port that receives the probes and never answers (no ICMP either): every probe waits for its deadline.
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    onTestFinished(() => void silent.close());
    let arrived = 0;
    const controller = new AbortController();
    silent.on('message', () => {
      if (++arrived === 3) controller.abort('SIGINT');
    });
    const port = silent.address().port;
    const results: number[] = [];
    const errors: unknown[] = [];
    const onError = (err: unknown): void => void errors.push(err);
    process.on('uncaughtException', onError);
    onTestFinished(() => void process.removeListener('uncaughtException', onError));
    await runUdpEngine(
      {
        hosts: [{ address: '127.0.0.1', family: 4 }],
        ports: [port, port, port],
        first: 0,
        step: 1,
        count: 3,
        concurrency: 3,
        timeoutMs: 150,
        rate: 0,
        retries: 0,
      },
      (k) => void results.push(k),
      controller.signal,
    );
    // Past every deadline: a timer left behind would fire now.
    await new Promise((r) => setTimeout(r, 400));
    expect(errors).toEqual([]);
    expect(arrived).toBe(3);
    expect(results).toEqual([]);
  });
});
