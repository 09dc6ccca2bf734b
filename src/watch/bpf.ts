/**
 * A classic BPF interpreter: runs the program libpcap compiles for a filter expression (pcap_compile, through
 * the capture addon) on packets read from files, with the semantics of libpcap's own bpf_filter()
 * (bpf_filter.c, after McCanne and Jacobson's "The BSD Packet Filter", USENIX 1993): a 32-bit accumulator A,
 * an index register X, 16 words of scratch memory, forward jumps only.
 *
 * | class     | instructions                                                            |
 * | --------- | ----------------------------------------------------------------------- |
 * | LD, LDX   | W/H/B at ABS k or IND X+k, IMM k, MEM[k], LEN (wire length), MSH (4*(P[k]&0xf)) |
 * | ST, STX   | MEM[k] = A, MEM[k] = X                                                  |
 * | ALU       | ADD SUB MUL DIV MOD AND OR XOR LSH RSH with k or X; NEG                 |
 * | JMP       | JA k; JEQ JGT JGE JSET with k or X, taking jt or jf                     |
 * | RET       | k or A: the number of bytes to keep, 0 = reject                          |
 * | MISC      | TAX, TXA                                                                |
 *
 * Like bpf_filter(), a load past the captured bytes (caplen) ends the program with 0 (reject), and so does a
 * division by X = 0.
 */

/** One instruction, as struct bpf_insn. */
export interface BpfInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

// Instruction classes, sizes, modes and operations (pcap/bpf.h).
const BPF_LD = 0x00;
const BPF_LDX = 0x01;
const BPF_ST = 0x02;
const BPF_STX = 0x03;
const BPF_ALU = 0x04;
const BPF_JMP = 0x05;
const BPF_RET = 0x06;
const BPF_MISC = 0x07;

const BPF_W = 0x00;
const BPF_H = 0x08;
const BPF_B = 0x10;

const BPF_IMM = 0x00;
const BPF_ABS = 0x20;
const BPF_IND = 0x40;
const BPF_MEM = 0x60;
const BPF_LEN = 0x80;
const BPF_MSH = 0xa0;

const BPF_ADD = 0x00;
const BPF_SUB = 0x10;
const BPF_MUL = 0x20;
const BPF_DIV = 0x30;
const BPF_OR = 0x40;
const BPF_AND = 0x50;
const BPF_LSH = 0x60;
const BPF_RSH = 0x70;
const BPF_NEG = 0x80;
const BPF_MOD = 0x90;
const BPF_XOR = 0xa0;

const BPF_JA = 0x00;
const BPF_JEQ = 0x10;
const BPF_JGT = 0x20;
const BPF_JGE = 0x30;
const BPF_JSET = 0x40;

const BPF_K = 0x00;
const BPF_X = 0x08;
const BPF_A = 0x10;

const BPF_TAX = 0x00;
const BPF_TXA = 0x80;

/** Words of scratch memory (BPF_MEMWORDS). */
export const BPF_MEMWORDS = 16;

/** Thrown for a program bpf_validate() would refuse (libpcap never compiles one). */
export class BpfProgramError extends Error {}

/** A program checked once and laid out for the interpreter. */
export interface BpfProgram {
  readonly code: Uint16Array;
  readonly jt: Uint8Array;
  readonly jf: Uint8Array;
  readonly k: Uint32Array;
}

/**
 * Returns `insns` checked as bpf_validate() checks them (known opcodes, jumps inside the program, scratch
 * indexes below BPF_MEMWORDS, no division by a constant 0, a RET last); throws BpfProgramError otherwise.
 */
export function bpfProgram(insns: readonly BpfInsn[]): BpfProgram {
  const n = insns.length;
  if (n === 0) throw new BpfProgramError('empty BPF program');
  const p: BpfProgram = {
    code: new Uint16Array(n),
    jt: new Uint8Array(n),
    jf: new Uint8Array(n),
    k: new Uint32Array(n),
  };
  insns.forEach((insn, i) => {
    const { code, jt, jf } = insn;
    const k = insn.k >>> 0;
    const bad = (why: string): never => {
      throw new BpfProgramError(`BPF instruction ${i} (code 0x${code.toString(16)}): ${why}`);
    };
    switch (code & 0x07) {
      case BPF_LD:
      case BPF_LDX: {
        const mode = code & 0xe0;
        if (mode === BPF_MEM && k >= BPF_MEMWORDS) bad('scratch index out of range');
        if (!KNOWN.has(code)) bad('unknown opcode');
        break;
      }
      case BPF_ST:
      case BPF_STX:
        if (k >= BPF_MEMWORDS) bad('scratch index out of range');
        if (code !== BPF_ST && code !== BPF_STX) bad('unknown opcode');
        break;
      case BPF_ALU:
        if (!KNOWN.has(code)) bad('unknown opcode');
        if ((code === (BPF_ALU | BPF_DIV | BPF_K) || code === (BPF_ALU | BPF_MOD | BPF_K)) && k === 0)
          bad('division by 0');
        break;
      case BPF_JMP:
        if (!KNOWN.has(code)) bad('unknown opcode');
        if ((code & 0xf0) === BPF_JA) {
          if (k >= n - i - 1) bad('jump out of the program');
        } else if (i + 1 + jt >= n || i + 1 + jf >= n) bad('jump out of the program');
        break;
      default:
        if (!KNOWN.has(code)) bad('unknown opcode');
    }
    p.code[i] = code;
    p.jt[i] = jt;
    p.jf[i] = jf;
    p.k[i] = k;
  });
  if (((p.code[n - 1] as number) & 0x07) !== BPF_RET)
    throw new BpfProgramError('BPF program does not end with a return');
  return p;
}

/** Every opcode bpf_filter() executes. */
const KNOWN = new Set<number>([
  BPF_RET | BPF_K,
  BPF_RET | BPF_A,
  ...[BPF_W, BPF_H, BPF_B].flatMap((size) => [BPF_LD | size | BPF_ABS, BPF_LD | size | BPF_IND]),
  BPF_LD | BPF_W | BPF_LEN,
  BPF_LDX | BPF_W | BPF_LEN,
  BPF_LD | BPF_IMM,
  BPF_LDX | BPF_IMM,
  BPF_LD | BPF_MEM,
  BPF_LDX | BPF_MEM,
  BPF_LDX | BPF_MSH | BPF_B,
  BPF_ST,
  BPF_STX,
  ...[BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH].flatMap((op) => [
    BPF_ALU | op | BPF_K,
    BPF_ALU | op | BPF_X,
  ]),
  BPF_ALU | BPF_NEG,
  BPF_JMP | BPF_JA,
  ...[BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET].flatMap((op) => [BPF_JMP | op | BPF_K, BPF_JMP | op | BPF_X]),
  BPF_MISC | BPF_TAX,
  BPF_MISC | BPF_TXA,
]);

/** bpfRun's scratch memory: allocated once, not for every packet. */
const SCRATCH = new Uint32Array(BPF_MEMWORDS);

/**
 * Runs `prog` on a packet of which `caplen` bytes, from `base` on in `p`, were captured and `wirelen` were on the
 * wire; returns what the program returns (0: reject; otherwise the bytes to keep), as bpf_filter() does. Offsets
 * in the program are from the packet's first byte; a file's packets are read in place in their chunk.
 */
export function bpfRun(prog: BpfProgram, p: Uint8Array, wirelen: number, caplen: number, base = 0): number {
  const { code, jt, jf, k: ks } = prog;
  const buflen = Math.min(caplen, p.length - base);
  // One scratch memory serves every run (a run is synchronous), cleared as a fresh one would be.
  const mem = SCRATCH.fill(0);
  let A = 0;
  let X = 0;
  for (let pc = 0; ; pc++) {
    const k = ks[pc] as number;
    switch (code[pc]) {
      case BPF_RET | BPF_K:
        return k;
      case BPF_RET | BPF_A:
        return A;

      case BPF_LD | BPF_W | BPF_ABS:
        if (k > buflen - 4) return 0;
        A = word(p, base + k);
        break;
      case BPF_LD | BPF_H | BPF_ABS:
        if (k > buflen - 2) return 0;
        A = ((p[base + k] as number) << 8) | (p[base + k + 1] as number);
        break;
      case BPF_LD | BPF_B | BPF_ABS:
        if (k >= buflen) return 0;
        A = p[base + k] as number;
        break;
      case BPF_LD | BPF_W | BPF_LEN:
        A = wirelen >>> 0;
        break;
      case BPF_LDX | BPF_W | BPF_LEN:
        X = wirelen >>> 0;
        break;
      case BPF_LD | BPF_W | BPF_IND: {
        const at = X + k;
        if (at > buflen - 4) return 0;
        A = word(p, base + at);
        break;
      }
      case BPF_LD | BPF_H | BPF_IND: {
        const at = X + k;
        if (at > buflen - 2) return 0;
        A = ((p[base + at] as number) << 8) | (p[base + at + 1] as number);
        break;
      }
      case BPF_LD | BPF_B | BPF_IND: {
        const at = X + k;
        if (at >= buflen) return 0;
        A = p[base + at] as number;
        break;
      }
      case BPF_LDX | BPF_MSH | BPF_B:
        if (k >= buflen) return 0;
        X = ((p[base + k] as number) & 0xf) << 2;
        break;
      case BPF_LD | BPF_IMM:
        A = k;
        break;
      case BPF_LDX | BPF_IMM:
        X = k;
        break;
      case BPF_LD | BPF_MEM:
        A = mem[k] as number;
        break;
      case BPF_LDX | BPF_MEM:
        X = mem[k] as number;
        break;
      case BPF_ST:
        mem[k] = A;
        break;
      case BPF_STX:
        mem[k] = X;
        break;

      case BPF_JMP | BPF_JA:
        pc += k;
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        pc += A > k ? (jt[pc] as number) : (jf[pc] as number);
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        pc += A >= k ? (jt[pc] as number) : (jf[pc] as number);
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += A === k ? (jt[pc] as number) : (jf[pc] as number);
        break;
      case BPF_JMP | BPF_JSET | BPF_K:
        pc += (A & k) !== 0 ? (jt[pc] as number) : (jf[pc] as number);
        break;
      case BPF_JMP | BPF_JGT | BPF_X:
        pc += A > X ? (jt[pc] as number) : (jf[pc] as number);
        break;
      case BPF_JMP | BPF_JGE | BPF_X:
        pc += A >= X ? (jt[pc] as number) : (jf[pc] as number);
        break;
      case BPF_JMP | BPF_JEQ | BPF_X:
        pc += A === X ? (jt[pc] as number) : (jf[pc] as number);
        break;
      case BPF_JMP | BPF_JSET | BPF_X:
        pc += (A & X) !== 0 ? (jt[pc] as number) : (jf[pc] as number);
        break;

      case BPF_ALU | BPF_ADD | BPF_X:
        A = (A + X) >>> 0;
        break;
      case BPF_ALU | BPF_SUB | BPF_X:
        A = (A - X) >>> 0;
        break;
      case BPF_ALU | BPF_MUL | BPF_X:
        A = Math.imul(A, X) >>> 0;
        break;
      case BPF_ALU | BPF_DIV | BPF_X:
        if (X === 0) return 0;
        A = Math.floor(A / X) >>> 0;
        break;
      case BPF_ALU | BPF_MOD | BPF_X:
        if (X === 0) return 0;
        A = (A % X) >>> 0;
        break;
      case BPF_ALU | BPF_AND | BPF_X:
        A = (A & X) >>> 0;
        break;
      case BPF_ALU | BPF_OR | BPF_X:
        A = (A | X) >>> 0;
        break;
      case BPF_ALU | BPF_XOR | BPF_X:
        A = (A ^ X) >>> 0;
        break;
      // bpf_filter(): a shift by 32 or more gives 0 (C leaves it undefined; JavaScript would shift by X % 32).
      case BPF_ALU | BPF_LSH | BPF_X:
        A = X < 32 ? (A << X) >>> 0 : 0;
        break;
      case BPF_ALU | BPF_RSH | BPF_X:
        A = X < 32 ? A >>> X : 0;
        break;
      case BPF_ALU | BPF_ADD | BPF_K:
        A = (A + k) >>> 0;
        break;
      case BPF_ALU | BPF_SUB | BPF_K:
        A = (A - k) >>> 0;
        break;
      case BPF_ALU | BPF_MUL | BPF_K:
        A = Math.imul(A, k) >>> 0;
        break;
      case BPF_ALU | BPF_DIV | BPF_K:
        A = Math.floor(A / k) >>> 0;
        break;
      case BPF_ALU | BPF_MOD | BPF_K:
        A = (A % k) >>> 0;
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        A = (A & k) >>> 0;
        break;
      case BPF_ALU | BPF_OR | BPF_K:
        A = (A | k) >>> 0;
        break;
      case BPF_ALU | BPF_XOR | BPF_K:
        A = (A ^ k) >>> 0;
        break;
      case BPF_ALU | BPF_LSH | BPF_K:
        A = k < 32 ? (A << k) >>> 0 : 0;
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        A = k < 32 ? A >>> k : 0;
        break;
      case BPF_ALU | BPF_NEG:
        A = -A >>> 0;
        break;

      case BPF_MISC | BPF_TAX:
        X = A;
        break;
      case BPF_MISC | BPF_TXA:
        A = X;
        break;

      default:
        // bpfProgram() admits only the opcodes above; this is bpf_filter()'s "abort" case.
        return 0;
    }
  }
}

/** Reads a big-endian 32-bit word at `at` (the caller checked the bounds). */
function word(p: Uint8Array, at: number): number {
  return (
    (((p[at] as number) << 24) |
      ((p[at + 1] as number) << 16) |
      ((p[at + 2] as number) << 8) |
      (p[at + 3] as number)) >>>
    0
  );
}
