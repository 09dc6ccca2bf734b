/**
 * A test host in a network namespace of our own: `ip netns add`, a veth pair, 10.250.N.1 (this side) and
 * 10.250.N.2 (the namespace). Removed by name (ours alone) when the test file ends.
 */
import { execFileSync } from 'node:child_process';

export interface TestHost {
  ns: string;
  /** The address of this side of the veth pair. */
  local: string;
  /** The address of the namespace's side: the test host. */
  remote: string;
  /** Runs a command inside the namespace and returns its stdout. */
  exec(cmd: string[]): string;
  destroy(): void;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** True when this process may create namespaces (root and iproute2 present). */
export function canNetns(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    ip('-V');
    return true;
  } catch {
    return false;
  }
}

let serial = 0;

/** Creates a namespace with a veth pair; `index` (0-255) picks the /24 so parallel files do not collide. */
export function createTestHost(index: number): TestHost {
  const tag = `${process.pid % 100000}${serial++}`;
  const ns = `ntk-t${tag}`;
  const hostIf = `nth${tag}`.slice(0, 15);
  const nsIf = `ntn${tag}`.slice(0, 15);
  const local = `10.250.${index}.1`;
  const remote = `10.250.${index}.2`;
  ip('netns', 'add', ns);
  const host: TestHost = {
    ns,
    local,
    remote,
    exec: (cmd) => execFileSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8' }),
    destroy: () => {
      try {
        ip('link', 'del', hostIf);
      } catch {
        // already gone with the namespace
      }
      try {
        ip('netns', 'del', ns);
      } catch {
        // already gone
      }
    },
  };
  try {
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    ip('link', 'set', nsIf, 'netns', ns);
    ip('addr', 'add', `${local}/24`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    host.exec(['ip', 'addr', 'add', `${remote}/24`, 'dev', nsIf]);
    host.exec(['ip', 'link', 'set', nsIf, 'up']);
    host.exec(['ip', 'link', 'set', 'lo', 'up']);
  } catch (err) {
    host.destroy();
    throw err;
  }
  return host;
}
