/**
 * A test host in a network namespace of our own: `ip netns add`, a veth pair, 10.250.N.1 (this side) and
 * 10.250.N.2 (the namespace). Removed by name (ours alone) when the test file ends.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

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

/**
 * Runs `script` (node -e, its JSON argument in argv[1]) inside the host's namespace and resolves once it prints
 * `ready` on stdout (10 s at most): the listeners a test needs on the test host.
 */
export async function startInHost(host: TestHost, script: string, arg: unknown): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', host.ns, process.execPath, '-e', script, JSON.stringify(arg)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('listeners did not start')), 10_000);
    child.stdout?.on('data', (c: Buffer) => {
      if (c.toString().includes('ready')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  return child;
}
