/**
 * The DNS printer against tcpdump's own DNS test captures (../shared/conformance/tcpdump): every DNS message in
 * each capture is printed on its own, and its text must be exactly the tail of the line tcpdump 4.99.3 printed
 * for that packet, after the UDP or TCP part. The link, IP and transport layers are peeled off here with a few
 * lines of test code, so this checks dns.ts alone.
 */
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PrintContext } from '../../src/print/context.js';
import { printDns } from '../../src/print/dns.js';
import { Reader, Truncated } from '../../src/print/reader.js';

const CORPUS = resolve(__dirname, '../../../shared/conformance/tcpdump');

interface Case {
  name: string;
  pcap: string;
  expected: string;
  verbose: number;
}

/** The DNS rows of cases.tsv (the *_8053 rows show that port is not DNS, so they have nothing to print here). */
function dnsCases(): Case[] {
  const rows = readFileSync(resolve(CORPUS, 'cases.tsv'), 'utf8').split('\n').slice(1);
  const cases: Case[] = [];
  for (const row of rows) {
    const [name, pcap, expected, args = '', protocols = ''] = row.split('\t');
    if (!name || !pcap || !expected || !protocols.split(',').includes('dns')) continue;
    const v = /-(v+)/.exec(args);
    cases.push({ name, pcap, expected, verbose: v?.[1]?.length ?? 0 });
  }
  return cases;
}

interface Packet {
  data: Uint8Array;
  linktype: number;
}

/** Classic pcap records (either byte order); enough for this corpus. */
function readPcap(file: string): Packet[] {
  const buf = readFileSync(file);
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linktype = u32(20) & 0xffff;
  const packets: Packet[] = [];
  for (let o = 24; o + 16 <= buf.length;) {
    const caplen = u32(o + 8);
    packets.push({ data: buf.subarray(o + 16, o + 16 + caplen), linktype });
    o += 16 + caplen;
  }
  return packets;
}

interface Payload {
  r: Reader;
  off: number;
  len: number;
  tcp: boolean;
}

/** Finds the port-53 UDP or TCP payload of a packet, with the reader cut at the end of the IP datagram. */
function dnsPayload(p: Packet): Payload | undefined {
  const d = p.data;
  const r0 = new Reader(d);
  let ip = 0;
  if (p.linktype === 1) {
    const ethertype = r0.be16(12);
    if (ethertype !== 0x0800 && ethertype !== 0x86dd) return undefined;
    ip = 14;
  }
  const version = r0.u8(ip) >> 4;
  let proto: number;
  let l4: number;
  let ipEnd: number;
  if (version === 4) {
    proto = r0.u8(ip + 9);
    l4 = ip + (r0.u8(ip) & 0xf) * 4;
    ipEnd = ip + r0.be16(ip + 2);
  } else {
    proto = r0.u8(ip + 6);
    l4 = ip + 40;
    ipEnd = l4 + r0.be16(ip + 4);
  }
  const r = new Reader(d, Math.min(d.length, ipEnd));
  const sport = r.be16(l4);
  const dport = r.be16(l4 + 2);
  if (sport !== 53 && dport !== 53) return undefined;
  if (proto === 17) return { r, off: l4 + 8, len: r.be16(l4 + 4) - 8, tcp: false };
  if (proto === 6) {
    const off = l4 + (r.u8(l4 + 12) >> 4) * 4;
    const len = ipEnd - off;
    return len > 0 ? { r, off, len, tcp: true } : undefined;
  }
  return undefined;
}

/** What ntk prints for the DNS part, with the dispatcher's truncation mark. */
function dnsText(pl: Payload, verbose: number): string {
  const ctx = new PrintContext({ verbose });
  try {
    printDns(ctx, pl.r, pl.off, pl.len, pl.tcp);
  } catch (e) {
    if (!(e instanceof Truncated)) throw e;
    ctx.out.put(` [|${ctx.proto}]`);
  }
  return ctx.out.text;
}

/** tcpdump's text of each packet (continuation lines of -v joined with newlines). */
function expectedPackets(file: string): string[] {
  const packets: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    if (/^ *\d+ {2}/.test(line)) packets.push(line);
    else packets[packets.length - 1] += `\n${line}`;
  }
  return packets;
}

const UDP_PREFIX = /(: |: \[udp sum ok\] |: \[bad udp cksum 0x[0-9a-f]+ -> 0x[0-9a-f]+!\] )$/;
const TCP_PREFIX = /, length \d+$/;

const present = existsSync(resolve(CORPUS, 'cases.tsv'));
if (!present) console.warn(`skipping the DNS corpus tests: ${CORPUS} is absent (it sits beside the repository)`);

describe.skipIf(!present)('printDns on tcpdump conformance captures (../shared present)', () => {
  for (const c of present ? dnsCases() : []) {
    it(c.name, () => {
      const packets = readPcap(resolve(CORPUS, 'cases', c.pcap));
      const expected = expectedPackets(resolve(CORPUS, 'cases', c.expected));
      expect(packets.length).toBe(expected.length);
      let printed = 0;
      packets.forEach((p, i) => {
        const pl = dnsPayload(p);
        if (!pl) return;
        const text = dnsText(pl, c.verbose);
        const want = expected[i] as string;
        expect(want.endsWith(text), `packet ${i + 1}:\n got: ${text}\nwant: ${want}`).toBe(true);
        expect(want.slice(0, want.length - text.length)).toMatch(pl.tcp ? TCP_PREFIX : UDP_PREFIX);
        printed++;
      });
      expect(printed).toBeGreaterThan(0);
    });
  }
});
