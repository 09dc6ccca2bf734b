/** `ntk watch`: tcpdump's command line. Converts argv into WatchOptions and hands them to src/watch/run. */
import type { CommandModule } from 'yargs';
import { parseCount } from '../lib/args.js';
import { lastOf, type CliContext } from './context.js';
import { usageError } from '../lib/errors.js';
import type { WatchOptions } from '../watch/run.js';
import { MAX_SNAPLEN } from '../print/packet.js';
import type { PrintOptions } from '../print/context.js';

const CONTEXT = 'watch';

interface WatchArgs {
  filter?: string[];
  i?: string;
  r?: string;
  w?: string;
  c?: string;
  s?: string;
  D?: boolean;
  p?: boolean;
  n?: boolean;
  t?: number;
  e?: boolean;
  v?: number;
  q?: boolean;
  x?: number;
  X?: number;
  A?: number;
  S?: boolean;
  '#'?: boolean;
}

/**
 * True when TZ asks for UTC (tcpdump's tests run with TZ=GMT0). Without TZ the local zone is used, which is
 * what tcpdump does and gives the same text when the system zone is UTC.
 */
export function isUtc(env: NodeJS.ProcessEnv): boolean {
  const tz = env.TZ;
  if (tz === undefined) return false;
  return /^:?(UTC|GMT|UCT|Etc\/UTC|Etc\/GMT|Zulu)?0?$/i.test(tz);
}

/** Converts parsed arguments into WatchOptions; throws E_USAGE naming the bad value. */
export function watchOptions(argv: WatchArgs, env: NodeJS.ProcessEnv): WatchOptions {
  const c = lastOf(argv.c);
  const s = lastOf(argv.s);
  let snaplen = MAX_SNAPLEN;
  if (s !== undefined) {
    // tcpdump: 0 means the default; a value past the maximum is refused, as tcpdump refuses it.
    if (!/^\d+$/.test(s) || Number(s) > MAX_SNAPLEN) throw usageError(CONTEXT, `invalid snaplen "${s}" (must be >= 0 and <= ${MAX_SNAPLEN})`);
    snaplen = Number(s) === 0 ? MAX_SNAPLEN : Number(s);
  }
  const print: PrintOptions = {
    numeric: true,
    tsStyle: Math.min(argv.t ?? 0, 5) as PrintOptions['tsStyle'],
    packetNumbers: argv['#'] === true,
    linkHeader: argv.e === true,
    verbose: argv.v ?? 0,
    quick: argv.q === true,
    hex: argv.x ?? 0,
    hexAscii: argv.X ?? 0,
    ascii: argv.A ?? 0,
    absoluteSeq: argv.S === true,
    utc: isUtc(env),
  };
  return {
    print,
    iface: lastOf(argv.i),
    readFile: lastOf(argv.r),
    writeFile: lastOf(argv.w),
    count: c === undefined ? undefined : parseCount(CONTEXT, c, 'packet count'),
    snaplen,
    filter: (argv.filter ?? []).join(' '),
    listDevices: argv.D === true,
    noPromisc: argv.p === true,
  };
}

export function watchCommand(ctx: CliContext): CommandModule<object, WatchArgs> {
  return {
    command: 'watch [filter..]',
    describe: 'Capture packets and print them as tcpdump does (libpcap filter syntax)',
    builder: (y) =>
      y
        .positional('filter', { type: 'string', array: true, describe: 'BPF filter expression, e.g. tcp port 80' })
        .option('i', { type: 'string', describe: 'interface to capture on (default: first non-loopback, up)', requiresArg: true })
        .option('r', { type: 'string', describe: 'read packets from a pcap file', requiresArg: true })
        .option('w', { type: 'string', describe: 'write packets to a pcap file instead of printing', requiresArg: true })
        .option('c', { type: 'string', describe: 'stop after COUNT packets', requiresArg: true })
        .option('s', { type: 'string', describe: 'snapshot length: bytes kept of each packet', requiresArg: true })
        .option('D', { type: 'boolean', describe: 'list the interfaces capture can use' })
        .option('p', { type: 'boolean', describe: 'do not capture in promiscuous mode (not possible: see note)' })
        .option('n', { type: 'boolean', describe: 'numeric addresses and ports' })
        .option('t', { type: 'count', describe: 'timestamps: -t none, -tt epoch, -ttt delta, -tttt date, -ttttt since first' })
        .option('e', { type: 'boolean', describe: 'print the link-level header' })
        .option('v', { type: 'count', describe: 'more detail (-vv, -vvv)' })
        .option('q', { type: 'boolean', describe: 'quick: less protocol detail' })
        .option('x', { type: 'count', describe: 'hex dump (-xx: with the link header)' })
        .option('X', { type: 'count', describe: 'hex and ASCII dump (-XX: with the link header)' })
        .option('A', { type: 'count', describe: 'ASCII dump (-AA: with the link header)' })
        .option('S', { type: 'boolean', describe: 'absolute TCP sequence numbers' })
        .option('#', { type: 'boolean', describe: 'number the packets' })
        .conflicts('r', 'i')
        .example("ntk watch -i lo -nt 'tcp port 80'", 'a web session on loopback, as tcpdump -nt shows it')
        .example('ntk watch -ntx -i lo', 'with hex dumps')
        .example('ntk watch -r capture.pcap -n -v', 'read a capture file')
        .example('ntk watch -i lo -w out.pcap -c 100', 'save 100 packets for tcpdump or Wireshark'),
    handler: (argv) => {
      ctx.run(async () => {
        const opts = watchOptions(argv, ctx.io.env);
        const { runWatch } = await import('../watch/run.js');
        return runWatch(opts, ctx.io);
      });
    },
  };
}
