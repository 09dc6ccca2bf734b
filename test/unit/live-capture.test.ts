/** openLive on loopback, in-process: real packets through cap, checked below the printers. */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listDevices, openLive, type LiveSource } from '../../src/watch/live';
import { LINKTYPE, packetBytes, type Packet } from '../../src/print/packet';
import { canCapture } from '../helpers/can-capture';
import { freePort, startServer } from '../helpers/net';

/** Runs `source` until `until` says so (or 10 s pass); returns the packets. */
async function collect(source: LiveSource, until: (pkts: Packet[]) => boolean): Promise<Packet[]> {
  const pkts: Packet[] = [];
  const timer = setTimeout(() => source.close(), 10_000);
  onTestFinished(() => {
    clearTimeout(timer);
    source.close();
  });
  const end = await source.run({
    packet(p) {
      pkts.push(p);
      if (until(pkts)) source.close();
    },
  });
  clearTimeout(timer);
  expect(end.error).toBeUndefined();
  return pkts;
}

/** A client port and the filter that matches only its session with `port` (other tests use loopback too). */
async function sessionFilter(port: number): Promise<{ local: number; filter: string }> {
  const local = await freePort();
  return { local, filter: `tcp port ${port} and tcp port ${local}` };
}

/** One TCP session on loopback from `local`: connect, send `bytes`, close; resolves when both sides are closed. */
async function session(port: number, local: number, bytes: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const c = connect({ port, host: '127.0.0.1', localPort: local }, () => c.end(bytes));
    c.on('error', reject);
    c.resume();
    c.on('close', () => resolve());
  });
}

const tcpPorts = (p: Packet): [number, number] => {
  const d = Buffer.from(packetBytes(p));
  const ihl = ((d[14] as number) & 0x0f) * 4;
  return [d.readUInt16BE(14 + ihl), d.readUInt16BE(14 + ihl + 2)];
};
const tcpFlags = (p: Packet): number => {
  const d = Buffer.from(packetBytes(p));
  return d[14 + ((d[14] as number) & 0x0f) * 4 + 13] as number;
};

describe.runIf(canCapture())('live capture on lo', () => {
  it('lists lo among the devices, as tcpdump -D prints it', async () => {
    const lines = await listDevices();
    expect(lines).toContainEqual(expect.stringMatching(/^\d+\.lo \[Up, Running, Loopback\]$/));
  });

  it('delivers a whole TCP session through the filter, each packet a copy of its own', async () => {
    const server = await startServer((s) => {
      s.resume();
      s.on('end', () => s.end());
    });
    const { local, filter } = await sessionFilter(server.port);
    const source = await openLive({ iface: 'lo', filter, snaplen: 262144 });
    expect(source.linktype).toBe(LINKTYPE.ETHERNET);
    expect(source.iface).toBe('lo');
    expect(source.snaplen).toBe(262144);
    const firstCopy: Buffer[] = [];
    const done = collect(source, (pkts) => {
      if (pkts.length === 1) firstCopy.push(Buffer.from((pkts[0] as Packet).data));
      // SYN, SYN-ACK, ACK, data, ACK, FIN, …: stop after both FINs have been acknowledged.
      return pkts.filter((p) => tcpFlags(p) & 0x01).length === 2 && tcpFlags(pkts.at(-1) as Packet) === 0x10;
    });
    await session(server.port, local, Buffer.alloc(1000, 0x61));
    const pkts = await done;
    expect(pkts.length).toBeGreaterThanOrEqual(7);
    for (const p of pkts) {
      expect(tcpPorts(p)).toContain(server.port);
      expect(p.caplen).toBe(p.data.length);
      expect(p.len).toBe(p.caplen);
    }
    expect(tcpFlags(pkts[0] as Packet) & 0x12).toBe(0x02); // SYN first
    expect(Buffer.from((pkts[0] as Packet).data)).toEqual(firstCopy[0]); // not overwritten by later packets
    // No two packets share bytes (they may share a slab).
    const spans = pkts.map((p) => ({
      buf: p.data.buffer,
      from: p.data.byteOffset,
      to: p.data.byteOffset + p.data.length,
    }));
    for (const [i, a] of spans.entries()) {
      for (const b of spans.slice(i + 1)) expect(a.buf !== b.buf || a.to <= b.from || b.to <= a.from).toBe(true);
    }
    const payload = pkts.find((p) => p.len === 14 + 20 + 32 + 1000);
    expect(payload).toBeDefined();
    // Time goes forward, close to now.
    const ns = pkts.map((p) => BigInt(p.tsSec) * 1_000_000_000n + BigInt(p.tsNsec));
    for (let i = 1; i < ns.length; i++) expect((ns[i] as bigint) >= (ns[i - 1] as bigint)).toBe(true);
    expect(Math.abs(Number((ns[0] as bigint) / 1_000_000n) - Date.now())).toBeLessThan(60_000);
    // Nanosecond stamps: over a whole session, not all of them fall on a microsecond.
    expect(pkts.some((p) => p.tsNsec % 1000 !== 0)).toBe(true);
    // pcap_stats, read when the capture stopped: loopback shows libpcap each packet twice (out and in).
    const stats = source.stats();
    expect(stats).toMatchObject({ dropped: 0, ifdropped: 0 });
    expect((stats as { received: number }).received).toBeGreaterThanOrEqual(pkts.length);
  });

  it("cuts packets to the snaplen but keeps their length on the wire, also past cap's 65535 bytes", async () => {
    const sock = createSocket('udp4');
    onTestFinished(() => {
      sock.close();
    });
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    const port = sock.address().port;
    // From this socket to itself: both ports are ours.
    const filter = `udp src port ${port} and udp dst port ${port}`;
    const full = await openLive({ iface: 'lo', filter, snaplen: 262144 });
    const fullDone = collect(full, (p) => p.length === 2);
    const cut = await openLive({ iface: 'lo', filter, snaplen: 100 });
    const cutDone = collect(cut, (p) => p.length === 2);
    const send = (n: number): Promise<void> =>
      new Promise((resolve, reject) =>
        sock.send(Buffer.alloc(n, 1), port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
      );
    await send(65507); // the largest UDP/IPv4 datagram: 65549 bytes with the Ethernet header
    await send(500);
    const [big, small] = await fullDone;
    expect(big?.len).toBe(14 + 20 + 8 + 65507);
    expect(big?.caplen).toBe(65535); // cap's own limit
    expect(small?.len).toBe(small?.caplen);
    const cutPkts = await cutDone;
    expect(cutPkts.map((p) => [p.caplen, p.len, p.data.length])).toEqual([
      [100, 65549, 100],
      [100, 542, 100],
    ]);
  });

  it('close() ends run(), and a closed source delivers nothing more', async () => {
    const server = await startServer((s) => s.resume());
    const { local, filter } = await sessionFilter(server.port);
    const source = await openLive({ iface: 'lo', filter, snaplen: 262144 });
    let n = 0;
    const run = source.run({ packet: () => (n++, true) });
    setTimeout(() => source.close(), 50);
    expect(await run).toEqual({});
    await session(server.port, local, Buffer.from('late'));
    expect(n).toBe(0);
  });

  it('stops at once when the sink closes it from inside a packet (-c)', async () => {
    const server = await startServer((s) => s.resume());
    const { local, filter } = await sessionFilter(server.port);
    const source = await openLive({ iface: 'lo', filter, snaplen: 262144 });
    const pkts = collect(source, (p) => p.length === 2);
    await session(server.port, local, Buffer.alloc(5000));
    expect((await pkts).length).toBe(2);
  });

  it('reports a sink that throws as the end of the run instead of crashing', async () => {
    const server = await startServer((s) => s.resume());
    const { local, filter } = await sessionFilter(server.port);
    const source = await openLive({ iface: 'lo', filter, snaplen: 262144 });
    const run = source.run({
      packet() {
        throw new Error('boom');
      },
    });
    await session(server.port, local, Buffer.from('x'));
    expect((await run).error?.message).toBe('boom');
  });

  it('says what is wrong with an interface or a filter, in one line', async () => {
    await expect(openLive({ iface: 'nosuchif', filter: '', snaplen: 262144 })).rejects.toMatchObject({
      code: 'E_CAPTURE',
      message: 'nosuchif: No such device exists',
    });
    await expect(openLive({ iface: 'lo', filter: 'port foo', snaplen: 262144 })).rejects.toMatchObject({
      code: 'E_CAPTURE',
      message: "unknown port 'foo'",
    });
    await expect(openLive({ iface: 'lo', filter: 'tcp and and', snaplen: 262144 })).rejects.toMatchObject({
      code: 'E_CAPTURE',
      message: expect.stringMatching(/syntax error/),
    });
  });

  it('survives garbage collection of failed and of closed handles (the cap destructor is unsafe)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // Few: each failed open keeps libpcap's ring until the process ends.
    for (let i = 0; i < 2; i++) {
      await expect(openLive({ iface: 'lo', filter: 'port foo', snaplen: 262144 })).rejects.toThrow();
    }
    for (let i = 0; i < 3; i++) {
      const source = await openLive({ iface: 'lo', filter: 'tcp port 9 and tcp port 10', snaplen: 262144 });
      setTimeout(() => source.close(), 10);
      expect(await source.run({ packet: () => undefined })).toEqual({});
    }
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    // Still here (a crash takes the whole test process down), and capture still works.
    const source = await openLive({ iface: 'lo', filter: 'tcp port 9 and tcp port 10', snaplen: 262144 });
    source.close();
    expect(await source.run({ packet: () => undefined })).toEqual({});
  });
});
