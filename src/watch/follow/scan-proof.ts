/**
 * The scan proof: for each probed port, the exchange on the wire that decided its state, on one line
 * (`22/tcp open: SYN → SYN-ACK → RST (ours)`, `23/tcp closed: SYN → RST`, `24/tcp filtered: SYN ×3, silence`,
 * `25/tcp unreachable: SYN → ICMP host unreachable`).
 */
import type { Endpoint } from '../../lib/sockets-tap.js';

/** One packet of a probe's exchange: its name and who sent it (the network, for ICMP errors). */
export interface ProofStep {
  token: string;
  from: 'us' | 'peer' | 'net';
}

export interface ProofLine {
  text: string;
  json: {
    type: 'proof';
    host: string;
    port: number;
    proto: 'tcp';
    state: 'open' | 'closed' | 'filtered' | 'unreachable';
    exchange: string;
  };
}

/** Returns one line per probed host and port (the first probe of each), in host then port order. */
export function scanProof(probes: Array<{ remote: Endpoint; steps: ProofStep[] }>): ProofLine[] {
  const first = new Map<string, { remote: Endpoint; steps: ProofStep[] }>();
  for (const p of probes) {
    const k = `${p.remote.address} ${p.remote.port}`;
    if (!first.has(k) && p.steps.length > 0) first.set(k, p);
  }
  const hosts = new Set([...first.values()].map((p) => p.remote.address));
  const sorted = [...first.values()].sort((a, b) =>
    a.remote.address === b.remote.address
      ? a.remote.port - b.remote.port
      : a.remote.address < b.remote.address
        ? -1
        : 1,
  );
  return sorted.map((p) => {
    const state = stateOf(p.steps);
    const exchange = compress(p.steps.map((s) => s.token)).join(' → ') + (state === 'filtered' ? ', silence' : '');
    const where = hosts.size > 1 ? `${p.remote.address} ` : '';
    return {
      text: `${where}${p.remote.port}/tcp ${state}: ${exchange}`,
      json: { type: 'proof', host: p.remote.address, port: p.remote.port, proto: 'tcp', state, exchange },
    };
  });
}

function stateOf(steps: ProofStep[]): ProofLine['json']['state'] {
  if (steps.some((s) => s.token === 'SYN-ACK')) return 'open';
  if (steps.some((s) => s.from === 'net')) return 'unreachable';
  if (steps.some((s) => s.token === 'RST' && s.from === 'peer')) return 'closed';
  return 'filtered';
}

/** Runs of the same token become one: SYN SYN SYN → "SYN ×3". */
function compress(tokens: string[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    let j = i;
    while (j < tokens.length && tokens[j] === tokens[i]) j++;
    out.push(j - i > 1 ? `${tokens[i]} ×${j - i}` : (tokens[i] as string));
    i = j;
  }
  return out;
}
