import { describe, expect, it } from 'vitest';
import { bpfProgram, bpfRun, BpfProgramError, type BpfInsn } from '../../src/watch/bpf';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** Instructions written as tcpdump -dd prints them: [code, jt, jf, k]. */
const prog = (...insns: [number, number, number, number][]): BpfInsn[] =>
  insns.map(([code, jt, jf, k]) => ({ code, jt, jf, k }));

// Ethernet + IPv4 (IHL 5) + TCP SYN from 10.0.0.1:1234 to 10.0.0.2:80.
const SYN = hex(
  'ffffffffffff 020000000001 0800' +
    '45000028 00014000 4006 0000 0a000001 0a000002' +
    '04d2 0050 00000001 00000000 5002 ffff 0000 0000',
);

/** tcpdump -dd 'tcp dst port 80' on Ethernet (libpcap 1.10). */
const TCP_DST_80 = prog(
  [0x28, 0, 0, 0x0000000c],
  [0x15, 0, 4, 0x000086dd],
  [0x30, 0, 0, 0x00000014],
  [0x15, 0, 11, 0x00000006],
  [0x28, 0, 0, 0x00000038],
  [0x15, 8, 9, 0x00000050],
  [0x15, 0, 8, 0x00000800],
  [0x30, 0, 0, 0x00000017],
  [0x15, 0, 6, 0x00000006],
  [0x28, 0, 0, 0x00000014],
  [0x45, 4, 0, 0x00001fff],
  [0xb1, 0, 0, 0x0000000e],
  [0x48, 0, 0, 0x00000010],
  [0x15, 0, 1, 0x00000050],
  [0x6, 0, 0, 0x00040000],
  [0x6, 0, 0, 0x00000000],
);

describe('bpfRun', () => {
  it("runs libpcap's program for tcp dst port 80 (ldh, ldb, jset, ldxb 4*([14]&0xf), indirect loads)", () => {
    const p = bpfProgram(TCP_DST_80);
    expect(bpfRun(p, SYN, SYN.length, SYN.length)).toBe(0x40000);
    const other = Uint8Array.from(SYN);
    other[37] = 81; // destination port 81
    expect(bpfRun(p, other, other.length, other.length)).toBe(0);
  });

  it('rejects (returns 0) when a load passes the captured bytes, as bpf_filter does', () => {
    const p = bpfProgram(TCP_DST_80);
    // The port is at 36-37: cut one byte short of it, the wire length says the packet was whole.
    expect(bpfRun(p, SYN, SYN.length, 37)).toBe(0);
    expect(bpfRun(p, SYN, SYN.length, 38)).toBe(0x40000);
    expect(bpfRun(bpfProgram(prog([0x20, 0, 0, 0xfffffffe], [0x6, 0, 0, 1])), SYN, 60, SYN.length)).toBe(0);
    expect(bpfRun(bpfProgram(prog([0x30, 0, 0, 0], [0x6, 0, 0, 1])), new Uint8Array(0), 0, 0)).toBe(0);
  });

  it('reads a packet in place at its offset in a larger buffer, the captured length counted from there', () => {
    const p = bpfProgram(TCP_DST_80);
    const around = new Uint8Array(SYN.length + 20).fill(0xff);
    around.set(SYN, 7);
    expect(bpfRun(p, around, SYN.length, SYN.length, 7)).toBe(0x40000);
    around[7 + 37] = 81;
    expect(bpfRun(p, around, SYN.length, SYN.length, 7)).toBe(0);
    around[7 + 37] = 80;
    // Cut before the port: the bytes that follow in the buffer are not the packet's.
    expect(bpfRun(p, around, SYN.length, 37, 7)).toBe(0);
  });

  it('reads the wire length with ld len ("less 64", "greater 100")', () => {
    // tcpdump -dd 'less 64': ld #pktlen; jgt #64 → reject.
    const less64 = bpfProgram(prog([0x80, 0, 0, 0], [0x25, 1, 0, 64], [0x6, 0, 0, 0x40000], [0x6, 0, 0, 0]));
    expect(bpfRun(less64, SYN, 64, 10)).toBe(0x40000);
    expect(bpfRun(less64, SYN, 65, 65)).toBe(0);
  });

  it('does 32-bit unsigned arithmetic, shifts past 31 give 0, division by X = 0 rejects', () => {
    const run = (insns: BpfInsn[]): number => bpfRun(bpfProgram(insns), SYN, SYN.length, SYN.length);
    // A = 0xffffffff + 2 → 1
    expect(run(prog([0x0, 0, 0, 0xffffffff], [0x04, 0, 0, 2], [0x16, 0, 0, 0]))).toBe(1);
    // A = 0 - 1 → 0xffffffff (neg)
    expect(run(prog([0x0, 0, 0, 1], [0x84, 0, 0, 0], [0x16, 0, 0, 0]))).toBe(0xffffffff);
    // A = 0x10000 * 0x10000 → 0 (mul wraps)
    expect(run(prog([0x0, 0, 0, 0x10000], [0x24, 0, 0, 0x10000], [0x16, 0, 0, 0]))).toBe(0);
    // X = 40; A = 1 << X → 0
    expect(run(prog([0x01, 0, 0, 40], [0x0, 0, 0, 1], [0x6c, 0, 0, 0], [0x16, 0, 0, 0]))).toBe(0);
    // A = 0x80000000 >> 31 → 1
    expect(run(prog([0x0, 0, 0, 0x80000000], [0x74, 0, 0, 31], [0x16, 0, 0, 0]))).toBe(1);
    // A = 7 / X with X = 0 → reject; A = 7 % 4 = 3; 7 ^ 5 = 2; 7 / 2 = 3
    expect(run(prog([0x01, 0, 0, 0], [0x0, 0, 0, 7], [0x3c, 0, 0, 0], [0x6, 0, 0, 9]))).toBe(0);
    expect(run(prog([0x0, 0, 0, 7], [0x94, 0, 0, 4], [0x16, 0, 0, 0]))).toBe(3);
    expect(run(prog([0x0, 0, 0, 7], [0xa4, 0, 0, 5], [0x16, 0, 0, 0]))).toBe(2);
    expect(run(prog([0x0, 0, 0, 7], [0x34, 0, 0, 2], [0x16, 0, 0, 0]))).toBe(3);
  });

  it('keeps 16 words of scratch memory and moves between A and X', () => {
    // mem[15] = 42; A = 0; A = mem[15]; tax; A = 0; txa; ret A
    const p = prog(
      [0x0, 0, 0, 42],
      [0x02, 0, 0, 15],
      [0x0, 0, 0, 0],
      [0x60, 0, 0, 15],
      [0x07, 0, 0, 0],
      [0x0, 0, 0, 0],
      [0x87, 0, 0, 0],
      [0x16, 0, 0, 0],
    );
    expect(bpfRun(bpfProgram(p), SYN, 1, 1)).toBe(42);
    // A run starts with its scratch memory cleared, whatever a run before it stored: ld M[15]; ret A.
    expect(bpfRun(bpfProgram(prog([0x60, 0, 0, 15], [0x16, 0, 0, 0])), SYN, 1, 1)).toBe(0);
  });

  it('jumps with ja, and with jgt/jge/jeq/jset against k and X', () => {
    const run = (a: number, cmp: number, k: number): number =>
      bpfRun(bpfProgram(prog([0x0, 0, 0, a], [cmp, 0, 1, k], [0x6, 0, 0, 1], [0x6, 0, 0, 2])), SYN, 1, 1);
    expect([run(5, 0x25, 4), run(4, 0x25, 4)]).toEqual([1, 2]); // jgt
    expect([run(4, 0x35, 4), run(3, 0x35, 4)]).toEqual([1, 2]); // jge
    expect([run(4, 0x15, 4), run(3, 0x15, 4)]).toEqual([1, 2]); // jeq
    expect([run(6, 0x45, 4), run(3, 0x45, 4)]).toEqual([1, 2]); // jset
    // Unsigned comparison: 0xffffffff > 1.
    expect(run(0xffffffff, 0x25, 1)).toBe(1);
    // ja skips k instructions; jgt x.
    expect(bpfRun(bpfProgram(prog([0x05, 0, 0, 1], [0x6, 0, 0, 1], [0x6, 0, 0, 2])), SYN, 1, 1)).toBe(2);
    expect(
      bpfRun(
        bpfProgram(prog([0x01, 0, 0, 3], [0x0, 0, 0, 4], [0x2d, 0, 1, 0], [0x6, 0, 0, 1], [0x6, 0, 0, 2])),
        SYN,
        1,
        1,
      ),
    ).toBe(1);
  });
});

describe('bpfProgram', () => {
  it('refuses what bpf_validate refuses: jumps out, scratch out of range, unknown codes, no final ret', () => {
    expect(() => bpfProgram([])).toThrow(BpfProgramError);
    expect(() => bpfProgram(prog([0x15, 5, 0, 1], [0x6, 0, 0, 0]))).toThrow('jump out of the program');
    expect(() => bpfProgram(prog([0x05, 0, 0, 1], [0x6, 0, 0, 0]))).toThrow('jump out of the program');
    expect(() => bpfProgram(prog([0x02, 0, 0, 16], [0x6, 0, 0, 0]))).toThrow('scratch index');
    expect(() => bpfProgram(prog([0x60, 0, 0, 16], [0x6, 0, 0, 0]))).toThrow('scratch index');
    expect(() => bpfProgram(prog([0xff, 0, 0, 0], [0x6, 0, 0, 0]))).toThrow('unknown opcode');
    expect(() => bpfProgram(prog([0x34, 0, 0, 0], [0x6, 0, 0, 0]))).toThrow('division by 0');
    expect(() => bpfProgram(prog([0x0, 0, 0, 0]))).toThrow('does not end with a return');
  });
});
