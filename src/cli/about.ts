/**
 * What the program knows about itself without loading its command-line parser: its version and its command
 * names. Kept apart from build.ts so that `ntk --version` and the exit path start without yargs.
 */

declare const __NTK_VERSION__: string | undefined;

/** The version: set by the bundler, read from package.json when running from source (tests). */
export function version(): string {
  if (typeof __NTK_VERSION__ === 'string') return __NTK_VERSION__;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../package.json') as { version: string }).version;
}

export const COMMANDS = ['connect', 'listen', 'scan', 'watch', 'sockets', 'install-capture', 'completion'] as const;

/** The command `args` name (the context of its messages), or '' when none is named. */
export function commandOf(args: readonly string[]): string {
  const first = args.find((a) => !a.startsWith('-'));
  return (COMMANDS as readonly string[]).includes(first ?? '') ? (first as string) : '';
}

/** True when `args` only ask for the version, which needs no parser: `ntk --version`. */
export function onlyVersion(args: readonly string[]): boolean {
  return args.length === 1 && args[0] === '--version';
}
