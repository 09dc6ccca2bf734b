/** `ntk watch`: tcpdump's command line. Converts argv into WatchOptions and hands them to src/watch/run. */
import type { CommandModule } from 'yargs';
import { parseCount } from '../lib/args.js';
import {
  lastOf,
  maxBacklogOf,
  maxBacklogOption,
  PARSER_CONFIGURATION,
  usageFailure,
  type CliContext,
} from './context.js';
import { usageError } from '../lib/errors.js';
import type { WatchOptions } from '../watch/run.js';
import { MAX_SNAPLEN } from '../print/packet.js';
import type { PrintOptions } from '../print/context.js';
import { DEFAULT_MAX_BACKLOG } from '../watch/defaults.js';
import yargs from 'yargs';
import { connectCommand } from './connect.js';
import { listenCommand } from './listen.js';
import { scanCommand } from './scan.js';
import type { WatchWith } from './follow.js';

const CONTEXT = 'watch';

interface WatchArgs {
  filter?: string[];
  i?: string;
  r?: string;
  w?: string;
  c?: string;
  s?: string;
  B?: string;
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
  Z?: string;
  'max-backlog'?: string;
  own?: boolean;
  explain?: boolean;
  json?: boolean;
  _?: (string | number)[];
}

/** The commands `ntk watch -- <command> ARGS…` can run. */
const FOLLOWED = ['connect', 'listen', 'scan'];

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
  const b = lastOf(argv.B);
  let snaplen = MAX_SNAPLEN;
  if (s !== undefined) {
    // tcpdump: 0 means the default; a value past the maximum is refused, as tcpdump refuses it.
    if (!/^\d+$/.test(s) || Number(s) > MAX_SNAPLEN)
      throw usageError(CONTEXT, `invalid snaplen "${s}" (must be >= 0 and <= ${MAX_SNAPLEN})`);
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
    // tcpdump -B: KiB, a positive number.
    bufferKiB: b === undefined ? undefined : parseCount(CONTEXT, b, 'packet buffer size', 1, 4 * 1024 * 1024),
    filter: (argv.filter ?? []).join(' '),
    listDevices: argv.D === true,
    noPromisc: argv.p === true,
    user: lastOf(argv.Z),
    maxBacklog: maxBacklogOf(CONTEXT, argv['max-backlog']),
  };
}

export function watchCommand(ctx: CliContext): CommandModule<object, WatchArgs> {
  return {
    command: 'watch [filter..]',
    describe: 'Capture packets and print them as tcpdump does (libpcap filter syntax)',
    builder: (y) =>
      y
        .positional('filter', { type: 'string', array: true, describe: 'BPF filter expression, e.g. tcp port 80' })
        .option('i', {
          type: 'string',
          describe: 'interface to capture on (default: first non-loopback, up)',
          requiresArg: true,
        })
        .option('r', { type: 'string', describe: 'read packets from a pcap file', requiresArg: true })
        .option('w', {
          type: 'string',
          describe: 'write packets to a pcap file instead of printing',
          requiresArg: true,
        })
        .option('c', { type: 'string', describe: 'stop after COUNT packets', requiresArg: true })
        .option('s', { type: 'string', describe: 'snapshot length: bytes kept of each packet', requiresArg: true })
        .option('B', { type: 'string', describe: 'capture buffer size in KiB (default 65536)', requiresArg: true })
        .option('D', { type: 'boolean', describe: 'list the interfaces capture can use' })
        .option('p', { type: 'boolean', describe: 'do not capture in promiscuous mode (not possible: see note)' })
        .option('n', { type: 'boolean', describe: 'numeric addresses and ports' })
        .option('t', {
          type: 'count',
          describe: 'timestamps: -t none, -tt epoch, -ttt delta, -tttt date, -ttttt since first',
        })
        .option('e', { type: 'boolean', describe: 'print the link-level header' })
        .option('v', { type: 'count', describe: 'more detail (-vv, -vvv)' })
        .option('q', { type: 'boolean', describe: 'quick: less protocol detail' })
        .option('x', { type: 'count', describe: 'hex dump (-xx: with the link header)' })
        .option('X', { type: 'count', describe: 'hex and ASCII dump (-XX: with the link header)' })
        .option('A', { type: 'count', describe: 'ASCII dump (-AA: with the link header)' })
        .option('S', { type: 'boolean', describe: 'absolute TCP sequence numbers' })
        .option('#', { type: 'boolean', describe: 'number the packets' })
        .option('Z', {
          type: 'string',
          describe: 'as root: continue as USER once capture is open (default ntk or nobody; root keeps root)',
          requiresArg: true,
        })
        .option('max-backlog', maxBacklogOption('live capture', 'packets', DEFAULT_MAX_BACKLOG))
        .option('own', {
          type: 'boolean',
          describe: "follow every session of ntk's other processes, explained (stdout)",
        })
        .option('explain', {
          type: 'boolean',
          describe: 'with --own or -- COMMAND: what each field of each packet means',
        })
        .option('json', { type: 'boolean', describe: 'with --own or -- COMMAND: NDJSON events and summaries' })
        .conflicts('r', 'i')
        .conflicts('own', ['r', 'w'])
        .example("ntk watch -i lo -nt 'tcp port 80'", 'a web session on loopback, as tcpdump -nt shows it')
        .example('ntk watch -ntx -i lo', 'with hex dumps')
        .example('ntk watch -r capture.pcap -n -v', 'read a capture file')
        .example('ntk watch -i lo -w out.pcap -c 100', 'save 100 packets for tcpdump or Wireshark')
        .example('ntk watch -- connect -p 12345 127.0.0.1 8000', 'run a session and explain each of its packets')
        .example('ntk watch --own', "explain the sessions of ntk's other processes"),
    handler: (argv) => {
      const inner = (argv._ ?? []).slice(1).map(String);
      if (FOLLOWED.includes(inner[0] ?? '')) return runFollowed(ctx, argv, inner);
      if (inner.length > 0) argv.filter = [...(argv.filter ?? []), ...inner];
      if (argv.own) {
        ctx.run(async () => {
          const opts = watchOptions(argv, ctx.io.env);
          const { watchOwn } = await import('../watch/follow/own.js');
          return watchOwn(
            {
              print: opts.print,
              iface: opts.iface,
              explain: argv.explain === true,
              json: argv.json === true,
              snaplen: opts.snaplen,
              filter: opts.filter,
            },
            ctx.io,
          );
        });
        return;
      }
      if (argv.explain || argv.json) {
        ctx.run(() =>
          Promise.reject(usageError(CONTEXT, `--${argv.explain ? 'explain' : 'json'} needs --own or -- COMMAND`)),
        );
        return;
      }
      ctx.run(async () => {
        const opts = watchOptions(argv, ctx.io.env);
        const { runWatch } = await import('../watch/run.js');
        return runWatch(opts, ctx.io);
      });
    },
  };
}

/**
 * `ntk watch [flags] -- connect|listen|scan ARGS…`: parses the command as ntk would and runs it with its sessions
 * followed, shown with watch's printing flags.
 */
function runFollowed(ctx: CliContext, argv: WatchArgs, inner: string[]): void {
  let how: WatchWith;
  try {
    const opts = watchOptions(argv, ctx.io.env);
    if (opts.readFile !== undefined || opts.writeFile !== undefined || argv.own) {
      throw usageError(CONTEXT, '-r, -w and --own cannot be used with -- COMMAND');
    }
    if (opts.filter !== '')
      throw usageError(CONTEXT, `a filter cannot be used with -- COMMAND (the command's own packets are shown)`);
    how = {
      print: opts.print,
      iface: opts.iface,
      explain: argv.explain === true,
      json: argv.json === true,
      snaplen: opts.snaplen,
    };
  } catch (err) {
    ctx.run(() => Promise.reject(err));
    return;
  }
  const innerCtx: CliContext = { io: ctx.io, run: (task) => ctx.run(task), watchWith: how };
  const context = inner[0] as string;
  let ran = false;
  const run = innerCtx.run;
  innerCtx.run = (task) => {
    ran = true;
    run(task);
  };
  try {
    yargs(inner)
      .scriptName('ntk watch --')
      .command(connectCommand(innerCtx))
      .command(listenCommand(innerCtx))
      .command(scanCommand(innerCtx))
      .strict()
      .parserConfiguration(PARSER_CONFIGURATION)
      .exitProcess(false)
      .version(false)
      .fail(usageFailure(context))
      .parse();
  } catch (err) {
    ctx.run(() => Promise.reject(err));
    return;
  }
  if (!ran) ctx.run(async () => 0); // --help of the command was printed
}
