#!/usr/bin/env node
// Regenerates test/golden/*.out from test/golden/TESTLIST with tcpdump itself:
//   TZ=GMT0 tcpdump -n -r <pcap> <options>  >  <out>
// With --capture it first records the captures the project makes itself: loopback traffic generated here
// (TCP with data and FIN, UDP to an open and a closed port, the same over IPv6, a refused connection, ping),
// captured by tcpdump on lo (Ethernet) and on "any" (Linux cooked v1 and v2). Needs root and tcpdump.
//
// With --capture-udp it records the UDP printers' captures: ntk's own `scan -u` probes, and the hand-made
// NTP, DHCP, TFTP, SNMP, syslog and ISAKMP messages of scripts/udp-samples.mjs, sent over loopback.
//
// Usage: node scripts/update-golden.mjs [--capture] [--capture-udp]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { createSocket } from 'node:dgram';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { udpSamples } from './udp-samples.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const golden = join(root, 'test/golden');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Reads TESTLIST: "name pcap out options…" per line, # comments. */
export function readTestList(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [name, pcap, out, ...options] = l.split(/\s+/);
      return { name, pcap, out, options };
    });
}

/** Starts tcpdump writing `file`; resolves once it listens. */
async function startTcpdump(file, args) {
  const p = spawn('tcpdump', ['-U', '-w', file, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10000);
    p.stderr.on('data', (d) => {
      err += d;
      if (err.includes('listening on')) {
        clearTimeout(t);
        resolve();
      }
    });
    p.on('exit', () => reject(new Error(`tcpdump exited: ${err}`)));
  });
  return p;
}

/** A short TCP session on `host`: connect, a request line, a reply, both sides close. */
async function tcpSession(host, port, request, reply) {
  const server = createServer((s) => {
    s.once('data', () => s.end(reply));
  });
  await new Promise((r) => server.listen(port, host, r));
  await new Promise((resolve, reject) => {
    const c = connect(port, host, () => c.write(request));
    c.on('data', () => {});
    c.on('end', () => c.end());
    c.on('close', resolve);
    c.on('error', reject);
  });
  await new Promise((r) => server.close(r));
}

async function udpExchange(type, host, port, closedPort) {
  const s = createSocket(type);
  await new Promise((r) => s.bind(port, host, r));
  const c = createSocket(type);
  await new Promise((r) => c.send('hello golden\n', port, host, r));
  await new Promise((r) => c.send('nobody listens\n', closedPort, host, r));
  await sleep(100);
  c.close();
  s.close();
}

async function refused(host, port) {
  await new Promise((resolve) => {
    const c = connect(port, host);
    c.on('error', resolve);
    c.on('connect', () => {
      c.destroy();
      resolve();
    });
  });
}

async function traffic() {
  await tcpSession(
    '127.0.0.1',
    18080,
    'GET /golden HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  );
  await tcpSession('127.0.0.1', 18022, 'SSH-2.0-ntk_golden\r\n', 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n');
  await udpExchange('udp4', '127.0.0.1', 18053, 18054);
  await refused('127.0.0.1', 18055);
  await tcpSession('::1', 18081, 'hello over IPv6\n', 'bye\n');
  await udpExchange('udp6', '::1', 18056, 18057);
  spawnSync('ping', ['-c', '2', '-i', '0.2', '127.0.0.1'], { stdio: 'ignore' });
  await sleep(300);
}

const FILTER = [
  'port',
  '18080',
  'or',
  'port',
  '18022',
  'or',
  'portrange',
  '18053-18057',
  'or',
  'port',
  '18081',
  'or',
  'icmp',
  'or',
  'icmp6',
];

async function capture() {
  const runs = [
    ['loopback.pcap', ['-i', 'lo', ...FILTER]],
    ['any-sll.pcap', ['-i', 'any', '-y', 'LINUX_SLL', ...FILTER]],
    ['any-sll2.pcap', ['-i', 'any', '-y', 'LINUX_SLL2', ...FILTER]],
  ];
  for (const [file, args] of runs) {
    const p = await startTcpdump(join(golden, file), args);
    // "listening on" comes a little before the capture sees packets.
    await sleep(1500);
    await traffic();
    p.kill('SIGINT');
    await new Promise((r) => p.on('exit', r));
    console.log(`captured ${file} (${statSync(join(golden, file)).size} bytes)`);
  }
}

/** The ports of the UDP printers: BOOTP/DHCP, TFTP, NTP, SNMP and its traps, ISAKMP, syslog. */
const UDP_PORTS = [67, 68, 69, 123, 161, 162, 500, 514];
const UDP_FILTER = [
  'udp',
  'and',
  '(',
  ...UDP_PORTS.flatMap((p, i) => (i ? ['or', 'port', String(p)] : ['port', String(p)])),
  ')',
];

/** Sends each sample from its source port to its destination port on 127.0.0.1, one after another. */
async function sendSamples() {
  for (const [sport, dport, payload] of udpSamples()) {
    const s = createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise((r) => s.bind(sport, '127.0.0.1', r));
    await new Promise((r) => s.send(payload, dport, '127.0.0.1', r));
    await sleep(20);
    s.close();
  }
}

async function captureUdp() {
  const runs = [
    [
      'udp-probes.pcap',
      () => spawnSync(join(root, 'bin/ntk'), ['scan', '-u', '-n', '-w', '0.3', '127.0.0.1', UDP_PORTS.join(',')]),
    ],
    ['udp-crafted.pcap', sendSamples],
  ];
  for (const [file, run] of runs) {
    const p = await startTcpdump(join(golden, file), ['-i', 'lo', ...UDP_FILTER]);
    await sleep(1500);
    await run();
    // On a busy machine tcpdump reads the last packets well after they were sent: give it time before SIGINT.
    await sleep(1500);
    p.kill('SIGINT');
    await new Promise((r) => p.on('exit', r));
    console.log(`captured ${file} (${statSync(join(golden, file)).size} bytes)`);
  }
}

if (process.argv.includes('--capture')) await capture();
if (process.argv.includes('--capture-udp')) await captureUdp();
for (const t of readTestList(join(golden, 'TESTLIST'))) {
  const r = spawnSync('tcpdump', ['-n', '-r', join(golden, t.pcap), ...t.options], {
    env: { ...process.env, TZ: 'GMT0' },
  });
  // A golden output is the whole of tcpdump's answer: an error exit would leave a partial one behind.
  if (r.status !== 0) throw new Error(`${t.name}: tcpdump exited with ${r.status ?? r.signal}:\n${r.stderr}`);
  writeFileSync(join(golden, t.out), r.stdout);
  console.log(`${t.name}: ${t.out}`);
}
