/** `ntk scan`: nc -z over port ranges and address blocks. Converts argv into ScanOptions for src/scan. */
import type { CommandModule } from 'yargs';
import { parseCount, parseSeconds } from '../lib/args.js';
import { lastOf, type CliContext } from './context.js';
import { usageError } from '../lib/errors.js';
import { parsePortList } from '../scan/ports.js';
import type { ScanOptions } from '../scan/scan.js';
import type { MergeOptions } from '../scan/merge.js';
import { parseShard, parseTargets, WHOLE } from '../scan/targets.js';
import { maybeFollowed, watchOption } from './follow.js';

const CONTEXT = 'scan';
const USAGE = 'usage: ntk scan [options] HOST... PORTS';

interface ScanArgs {
  _: (string | number)[];
  /** HOST... PORTS as given (taken from argv._ by the handler). */
  targets?: string[];
  z?: boolean;
  n?: boolean;
  u?: boolean;
  v?: boolean;
  w?: string;
  '4'?: boolean;
  '6'?: boolean;
  json?: boolean;
  banner?: boolean;
  concurrency?: string;
  rate?: string;
  shard?: string;
  fin?: boolean;
  retries?: string;
  merge?: boolean;
  watch?: boolean;
}

/** Converts parsed arguments into ScanOptions (or, with --merge, the files to merge); throws E_USAGE naming the bad input. */
export function scanOptions(argv: Omit<ScanArgs, '_'>): ScanOptions | { merge: MergeOptions } {
  const args = argv.targets ?? [];
  if (argv.merge) return { merge: { files: args, json: argv.json === true } };
  if (args.length < 2) {
    throw usageError(CONTEXT, `missing ${args.length === 0 ? 'HOST and PORTS' : 'HOST or PORTS'} (${USAGE})`);
  }
  // Unknown options reach here as arguments (so that a port list such as `-,1` is not read as flags).
  const flag = args.find((a) => /^--?[A-Za-z]/.test(a));
  if (flag !== undefined) throw usageError(CONTEXT, `unknown argument: ${flag.replace(/^-+/, '')}`);
  const proto = argv.u ? 'udp' : 'tcp';
  const numeric = argv.n === true;
  const family = argv['4'] ? 4 : argv['6'] ? 6 : 0;
  const ports = parsePortList(CONTEXT, args[args.length - 1] as string, proto);
  const targets = parseTargets(CONTEXT, args.slice(0, -1), numeric, family);
  const w = lastOf(argv.w);
  const timeoutMs = w === undefined ? 1000 : parseSeconds(CONTEXT, w, '-w timeout');
  if (timeoutMs === 0) throw usageError(CONTEXT, `invalid -w timeout "${w}" (more than 0 seconds expected)`);
  const concurrency = lastOf(argv.concurrency);
  const rate = lastOf(argv.rate);
  const shard = lastOf(argv.shard);
  const retries = lastOf(argv.retries);
  return {
    targets,
    ports,
    proto,
    family,
    numeric,
    verbose: argv.v === true,
    json: argv.json === true,
    timeoutMs,
    concurrency: concurrency === undefined ? undefined : parseCount(CONTEXT, concurrency, '--concurrency', 1, 65535),
    rate: rate === undefined ? 0 : parseCount(CONTEXT, rate, '--rate', 1, 10_000_000),
    shard: shard === undefined ? WHOLE : parseShard(CONTEXT, shard),
    fin: argv.fin === true,
    banner: argv.banner === true,
    retries: retries === undefined ? 2 : parseCount(CONTEXT, retries, '--retries', 0, 10),
  };
}

/** The `scan` command: HOST... PORTS, or --merge FILE... of shard outputs. */
export function scanCommand(ctx: CliContext): CommandModule<object, Omit<ScanArgs, '_'>> {
  return {
    // HOST... PORTS are read from argv._ rather than a declared positional: yargs drops a `-` (all ports)
    // from declared positionals. Unknown options are still refused (strictOptions).
    command: 'scan',
    describe: 'Probe TCP or UDP ports of hosts and report which are open (nc -z HOST... PORTS)',
    builder: (y) =>
      watchOption(y)
        .usage(
          'ntk scan [options] HOST... PORTS\n\nHOST: a name, an IPv4/IPv6 address or a CIDR block (10.0.0.0/24).\n' +
            'PORTS: 21-25, 22,80,443, service names (ssh,http), - for all, or a mix.',
        )
        .strict(false)
        .strictOptions()
        // An argument that is not a known option stays an argument: `-,1` is a (bad) port list, not flags `-, -1`.
        .parserConfiguration({ 'unknown-options-as-args': true })
        .option('z', { type: 'boolean', describe: 'zero-I/O: probe without sending data (always so; nc habit)' })
        .option('n', { type: 'boolean', describe: 'no DNS: HOSTs must be numeric addresses' })
        .option('u', { type: 'boolean', describe: 'UDP instead of TCP' })
        .option('v', { type: 'boolean', describe: "verbose: nc's line for every port on stderr, in port order" })
        .option('w', { type: 'string', describe: 'seconds a probe waits for an answer (default 1)', requiresArg: true })
        .option('4', { type: 'boolean', describe: 'IPv4 only' })
        .option('6', { type: 'boolean', describe: 'IPv6 only' })
        .option('json', { type: 'boolean', describe: 'NDJSON on stdout: one object per port, then a summary object' })
        .option('banner', { type: 'boolean', describe: 'read what open TCP ports say first (512 bytes, 2 s at most)' })
        .option('concurrency', {
          type: 'string',
          describe: 'probes in flight at most (default 1024 TCP, 256 UDP; kept below ulimit -n)',
          requiresArg: true,
        })
        .option('rate', {
          type: 'string',
          describe: 'probes started per second at most (default: no limit)',
          requiresArg: true,
        })
        .option('shard', {
          type: 'string',
          describe: 'probe only slice I of N (0-based) of the host×port space',
          requiresArg: true,
        })
        .option('fin', {
          type: 'boolean',
          describe: 'close open probes politely (FIN, like nc -z) instead of with a RST',
        })
        .option('retries', {
          type: 'string',
          describe:
            'UDP: times unanswered probes are sent again (default 2; more while a rate-limited host still answers)',
          requiresArg: true,
        })
        .option('merge', { type: 'boolean', describe: 'merge the --json output files of all shards of one scan' })
        .conflicts('4', '6')
        .conflicts('banner', 'u')
        .example('ntk scan -z -v -n 127.0.0.1 21-25', "nc's lines for each port")
        .example('ntk scan 10.0.0.0/24 ssh,http,8000-8100', 'open ports of a subnet')
        .example('ntk scan -u -n 127.0.0.1 53,123', 'UDP')
        .example('ntk scan --json --shard 0/4 10.0.0.0/16 - > s0.ndjson', 'one quarter of a large scan')
        .example('ntk scan --merge s0.ndjson s1.ndjson s2.ndjson s3.ndjson', 'check and join the quarters'),
    handler: (argv) => {
      ctx.run(async () => {
        const opts = scanOptions({ ...argv, targets: argv._.slice(1).map(String) });
        const { runScan } = await import('../scan/scan.js');
        if ('merge' in opts) return runScan(opts, ctx.io);
        const target = () => ({
          kind: 'scan' as const,
          hosts: opts.targets.map((t) => (t.kind === 'address' ? t.address : t.text)),
          ports: opts.ports,
        });
        return maybeFollowed(ctx, argv.watch, target, () => runScan(opts, ctx.io))();
      });
    },
  };
}
