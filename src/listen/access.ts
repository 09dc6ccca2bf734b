/** Which peers a listener accepts: --allow and --deny address blocks (nc has none; ncat's --allow/--deny). */
import { cidrContains, type Cidr } from '../lib/addresses.js';

export interface AccessRules {
  /** When not empty, only peers in one of these blocks are accepted. */
  allow: Cidr[];
  /** Peers in any of these blocks are refused, even when an --allow block holds them. */
  deny: Cidr[];
}

/** Returns undefined when `address` may connect, else the rule that refuses it ("--deny 10.0.0.0/8"). */
export function refusedBy(rules: AccessRules, address: string): string | undefined {
  const denied = rules.deny.find((b) => cidrContains(b, address));
  if (denied) return `--deny ${denied.text}`;
  if (rules.allow.length > 0 && !rules.allow.some((b) => cidrContains(b, address))) return 'not in --allow';
  return undefined;
}
