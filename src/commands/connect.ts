/** `ntk connect`: netcat's client. Converts argv into ConnectOptions and hands them to src/connect. */
import type { CommandModule } from 'yargs';
import { parseAddress, parseHost, parseLocalPort, parsePort, parseSeconds } from '../lib/args.js';
import { lastOf, maxBacklogOf, maxBacklogOption, type CliContext } from './context.js';
import { usageError } from '../lib/errors.js';
import type { ConnectOptions } from '../connect/connect.js';
import { UDP_STDOUT_BACKLOG } from '../lib/pipe.js';
import { maybeFollowed, watchOption } from './follow.js';

const CONTEXT = 'connect';

interface ConnectArgs {
  host?: string;
  port?: string;
  p?: string;
  s?: string;
  u?: boolean;
  '4'?: boolean;
  '6'?: boolean;
  n?: boolean;
  v?: boolean;
  w?: string;
  N?: boolean;
  q?: string;
  z?: boolean;
  reuse?: boolean;
  rst?: boolean;
  'max-backlog'?: string;
  watch?: boolean;
  keepalive?: string;
}

/** Converts parsed arguments into ConnectOptions; throws E_USAGE naming the bad input. */
export function connectOptions(argv: ConnectArgs): ConnectOptions {
  if (argv.host === undefined || argv.port === undefined) {
    throw usageError(CONTEXT, 'missing HOST and PORT (usage: ntk connect [options] HOST PORT)');
  }
  const proto = argv.u ? 'udp' : 'tcp';
  const numeric = argv.n === true;
  const p = lastOf(argv.p);
  const s = lastOf(argv.s);
  const w = lastOf(argv.w);
  const q = lastOf(argv.q);
  const sourcePort = p === undefined ? undefined : parseLocalPort(CONTEXT, p, 'source port');
  return {
    host: parseHost(CONTEXT, argv.host, numeric),
    port: parsePort(CONTEXT, argv.port, proto),
    proto,
    family: argv['4'] ? 4 : argv['6'] ? 6 : 0,
    numeric,
    sourceAddress: s === undefined ? undefined : parseAddress(CONTEXT, s),
    sourcePort: sourcePort === 0 ? undefined : sourcePort,
    timeoutMs: w === undefined ? undefined : parseSeconds(CONTEXT, w, '-w timeout') || undefined,
    halfClose: argv.N === true,
    quitAfterEofMs: q === undefined ? undefined : parseSeconds(CONTEXT, q, '-q delay'),
    verbose: argv.v === true,
    zero: argv.z === true,
    reuse: argv.reuse === true,
    rst: argv.rst === true,
    maxBacklog: maxBacklogOf(CONTEXT, argv['max-backlog'], { flag: '-u', given: proto === 'udp' }),
    keepAliveMs: keepAliveOf(argv.keepalive),
  };
}

/** --keepalive SECS: the idle time before TCP keep-alive probes (at least 1 s). */
export function keepAliveOf(value: string | string[] | undefined, context = CONTEXT): number | undefined {
  const k = lastOf(value);
  if (k === undefined) return undefined;
  const ms = parseSeconds(context, k, '--keepalive idle time');
  if (ms < 1000) throw usageError(context, `invalid --keepalive idle time "${k}" (1 second or more expected)`);
  return ms;
}

export function connectCommand(ctx: CliContext): CommandModule<object, ConnectArgs> {
  return {
    command: 'connect [host] [port]',
    describe: 'Connect to HOST PORT and copy stdin to it and it to stdout (nc HOST PORT)',
    builder: (y) =>
      watchOption(y)
        .positional('host', { type: 'string', describe: 'name or address to connect to' })
        .positional('port', { type: 'string', describe: 'port number or service name' })
        // One value each, whatever it looks like: yargs re-reads positionals as `--host -`, where a lone "-" would
        // otherwise pass for a flag and leave "".
        .nargs('host', 1)
        .nargs('port', 1)
        .option('p', { type: 'string', describe: 'source port to bind', requiresArg: true })
        .option('s', { type: 'string', describe: 'source address to bind', requiresArg: true })
        .option('u', { type: 'boolean', describe: 'UDP instead of TCP' })
        .option('4', { type: 'boolean', describe: 'IPv4 only' })
        .option('6', { type: 'boolean', describe: 'IPv6 only' })
        .option('n', { type: 'boolean', describe: 'no DNS: HOST must be a numeric address' })
        .option('v', { type: 'boolean', describe: 'verbose: report the connection on stderr' })
        .option('w', { type: 'string', describe: 'connect and idle timeout, in seconds', requiresArg: true })
        .option('N', { type: 'boolean', describe: 'shut down the write side (send FIN) on EOF from stdin' })
        .option('q', { type: 'string', describe: 'quit SECS after EOF on stdin', requiresArg: true })
        .option('z', { type: 'boolean', describe: 'connect, report and close without sending data' })
        .option('reuse', {
          type: 'boolean',
          describe: 'bind -p even if a TIME_WAIT holds it, when the kernel allows (SO_REUSEADDR)',
        })
        .option('rst', {
          type: 'boolean',
          describe: 'end with a RST instead of a FIN (Ctrl-C, -w, -q): no TIME_WAIT left',
        })
        .option('max-backlog', maxBacklogOption('-u', 'datagrams', UDP_STDOUT_BACKLOG))
        .option('keepalive', {
          type: 'string',
          describe: 'TCP keep-alive after SECS idle: a peer that stopped answering ends the session',
          requiresArg: true,
        })
        .conflicts('4', '6')
        .conflicts('z', ['N', 'q'])
        .conflicts('u', 'rst')
        .example('ntk connect 127.0.0.1 80', 'talk to a web server by hand')
        .example('ntk connect -p 12345 127.0.0.1 80', 'from source port 12345 (explains a port held in TIME_WAIT)')
        .example('ntk connect -N host 9000 < file', 'send a file, then half-close')
        .example('ntk connect -zv host 22', 'is port 22 open?'),
    handler: (argv) => {
      ctx.run(async () => {
        const opts = connectOptions(argv);
        const { connectSession } = await import('../connect/connect.js');
        const target = () => ({ kind: 'connect' as const, host: opts.host, port: opts.port, family: opts.family });
        return maybeFollowed(ctx, argv.watch, target, () => connectSession(opts, ctx.io))();
      });
    },
  };
}
