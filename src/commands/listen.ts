/** `ntk listen`: netcat's listener and a chat room. Converts argv into ListenOptions and hands them to src/listen. */
import type { CommandModule } from 'yargs';
import { isIP } from 'node:net';
import { parseAddress, parseCount, parseLocalPort, parseSeconds } from '../lib/args.js';
import { parseCidr } from '../lib/addresses.js';
import { allOf, lastOf, maxBacklogOf, maxBacklogOption, type CliContext } from './context.js';
import { usageError } from '../lib/errors.js';
import type { ListenOptions } from '../listen/listen.js';
import { DEFAULT_MAX_WAITING, ROOM_DEFAULTS } from '../listen/defaults.js';
import { UDP_STDOUT_BACKLOG } from '../lib/pipe.js';
import { maybeFollowed, watchOption } from './follow.js';
import { keepAliveOf } from './connect.js';

const CONTEXT = 'listen';

const {
  maxConns: DEFAULT_MAX_CONNS,
  maxLine: DEFAULT_MAX_LINE,
  maxQueue: DEFAULT_MAX_QUEUE,
  stallMs: DEFAULT_STALL_MS,
} = ROOM_DEFAULTS;

/** Options that apply to the room only (--chat, --broker), checked in one place. */
const ROOM_ONLY = ['max-conns', 'idle', 'max-line', 'max-queue', 'stall'] as const;

interface ListenArgs {
  port?: string;
  l?: boolean;
  s?: string;
  u?: boolean;
  '4'?: boolean;
  '6'?: boolean;
  k?: boolean;
  n?: boolean;
  v?: boolean;
  w?: string;
  N?: boolean;
  chat?: boolean;
  broker?: boolean;
  'max-conns'?: string;
  allow?: string | string[];
  deny?: string | string[];
  idle?: string;
  'max-line'?: string;
  'max-queue'?: string;
  stall?: string;
  'max-waiting'?: string;
  rst?: boolean;
  'max-backlog'?: string;
  watch?: boolean;
  keepalive?: string;
}

/** Converts parsed arguments into ListenOptions; throws E_USAGE naming the bad input. */
export function listenOptions(argv: ListenArgs): ListenOptions {
  if (argv.port === undefined) throw usageError(CONTEXT, 'missing PORT (usage: ntk listen [options] PORT)');
  const port = parseLocalPort(CONTEXT, argv.port);
  const mode = argv.chat ? 'chat' : argv.broker ? 'broker' : 'plain';
  const family = argv['4'] ? 4 : argv['6'] ? 6 : 0;
  const s = lastOf(argv.s);
  const address = s === undefined ? undefined : parseAddress(CONTEXT, s, 'listen address');
  if (address !== undefined && family !== 0 && isIP(address) !== family) {
    throw usageError(CONTEXT, `-${family} given, but "${s}" is an IPv${isIP(address)} address`);
  }
  const given = mode === 'plain' ? ROOM_ONLY.find((f) => argv[f] !== undefined) : undefined;
  if (given) throw usageError(CONTEXT, `--${given} applies to --chat and --broker only`);
  const w = lastOf(argv.w);
  const idle = lastOf(argv.idle);
  const stall = lastOf(argv.stall);
  const count = (
    flag: (typeof ROOM_ONLY)[number] | 'max-waiting',
    what: string,
    fallback: number,
    max: number,
  ): number => {
    const text = lastOf(argv[flag]);
    return text === undefined ? fallback : parseCount(CONTEXT, text, what, 1, max);
  };
  return {
    port,
    address,
    family,
    proto: argv.u ? 'udp' : 'tcp',
    mode,
    keep: argv.k === true,
    verbose: argv.v === true,
    halfClose: argv.N === true,
    idleMs: w === undefined ? undefined : parseSeconds(CONTEXT, w, '-w timeout') || undefined,
    rst: argv.rst === true,
    allow: allOf(argv.allow).map((b) => parseCidr(CONTEXT, b)),
    deny: allOf(argv.deny).map((b) => parseCidr(CONTEXT, b)),
    maxConns: count('max-conns', '--max-conns', DEFAULT_MAX_CONNS, 1_000_000),
    maxLine: count('max-line', '--max-line', DEFAULT_MAX_LINE, 16 * 1024 * 1024),
    maxQueue: count('max-queue', '--max-queue', DEFAULT_MAX_QUEUE, 1024 * 1024 * 1024),
    stallMs: stall === undefined ? DEFAULT_STALL_MS : parseSeconds(CONTEXT, stall, '--stall timeout'),
    maxWaiting: count('max-waiting', '--max-waiting', DEFAULT_MAX_WAITING, 65535),
    peerIdleMs: idle === undefined ? undefined : parseSeconds(CONTEXT, idle, '--idle timeout') || undefined,
    maxBacklog: maxBacklogOf(CONTEXT, argv['max-backlog'], {
      flag: '-u, --chat or --broker',
      given: argv.u === true || argv.chat === true || argv.broker === true,
    }),
    keepAliveMs: keepAliveOf(argv.keepalive, CONTEXT),
  };
}

export function listenCommand(ctx: CliContext): CommandModule<object, ListenArgs> {
  return {
    command: 'listen [port]',
    describe: 'Listen on PORT: copy the peer to stdout and stdin to it (nc -l), or run a chat room',
    builder: (y) =>
      watchOption(y)
        .positional('port', { type: 'string', describe: 'port number to listen on (0: any free port, printed)' })
        .nargs('port', 1) // one value whatever it looks like, a lone "-" too (see connect.ts)
        .option('l', { type: 'boolean', describe: 'accepted for nc habits (listening is what this command does)' })
        .option('s', { type: 'string', describe: 'local address to bind (default: all)', requiresArg: true })
        .option('u', { type: 'boolean', describe: 'UDP instead of TCP (replies go to the last sender)' })
        .option('4', { type: 'boolean', describe: 'IPv4 only (the default: 0.0.0.0)' })
        .option('6', { type: 'boolean', describe: 'IPv6 only (::)' })
        .option('k', { type: 'boolean', describe: 'keep listening: take the next peer when one leaves' })
        .option('n', { type: 'boolean', describe: 'numeric only (listen never looks names up)' })
        .option('v', { type: 'boolean', describe: 'verbose: report the address and each peer on stderr' })
        .option('w', { type: 'string', describe: 'end a session after SECS without traffic', requiresArg: true })
        .option('N', { type: 'boolean', describe: 'shut down the write side (send FIN) on EOF from stdin' })
        .option('chat', { type: 'boolean', describe: 'chat room: relay each line as "<name> text" to everyone else' })
        .option('broker', { type: 'boolean', describe: 'relay raw bytes between all peers, without names' })
        .option('max-conns', {
          type: 'string',
          describe: `room: peers at once (default ${DEFAULT_MAX_CONNS})`,
          requiresArg: true,
        })
        .option('allow', {
          type: 'string',
          describe: 'accept only peers in this CIDR block (repeatable)',
          requiresArg: true,
        })
        .option('deny', { type: 'string', describe: 'refuse peers in this CIDR block (repeatable)', requiresArg: true })
        .option('idle', {
          type: 'string',
          describe: 'room: disconnect a peer that sent no whole line for SECS',
          requiresArg: true,
        })
        .option('max-line', {
          type: 'string',
          describe: `chat: cut lines longer than BYTES (default ${DEFAULT_MAX_LINE})`,
          requiresArg: true,
        })
        .option('max-queue', {
          type: 'string',
          describe: `room: stop reading senders while a peer has more than BYTES waiting (default ${DEFAULT_MAX_QUEUE})`,
          requiresArg: true,
        })
        .option('stall', {
          type: 'string',
          describe: `room: disconnect a peer above --max-queue for SECS without reading (default ${DEFAULT_STALL_MS / 1000})`,
          requiresArg: true,
        })
        .option('max-waiting', {
          type: 'string',
          describe: `-k: peers kept waiting while one is served; more are closed (default ${DEFAULT_MAX_WAITING})`,
          requiresArg: true,
        })
        .option('rst', {
          type: 'boolean',
          describe: 'end a session with a RST instead of a FIN (Ctrl-C, -w): no TIME_WAIT left',
        })
        .option(
          'max-backlog',
          maxBacklogOption('-u (datagrams), --chat/--broker (relayed data)', 'what arrives', UDP_STDOUT_BACKLOG),
        )
        .option('keepalive', {
          type: 'string',
          describe: 'TCP keep-alive after SECS idle: a peer that stopped answering ends its session',
          requiresArg: true,
        })
        .conflicts('4', '6')
        .conflicts('chat', 'broker')
        .conflicts('u', 'rst')
        .conflicts('rst', ['chat', 'broker'])
        .conflicts('u', ['chat', 'broker', 'N'])
        // -w and -N concern one peer; the room has --idle and no stdin EOF to pass on.
        .conflicts('chat', ['w', 'N', 'max-waiting'])
        .conflicts('broker', ['w', 'N', 'max-waiting'])
        .example('ntk listen 1567', 'wait for one peer on port 1567 and talk (nc -l 1567)')
        .example('ntk listen 9000 > file', 'receive a file (send it with: ntk connect -N host 9000 < file)')
        .example('ntk listen -kv 8080', 'serve one peer after another, reporting each')
        .example('ntk listen -u 5353', 'print datagrams; stdin goes back to the sender')
        .example('ntk listen --chat --allow 10.0.0.0/8 1567', 'a chat room for the 10/8 network'),
    handler: (argv) => {
      ctx.run(async () => {
        const opts = listenOptions(argv);
        const { listenSession } = await import('../listen/listen.js');
        const target = () => ({ kind: 'listen' as const, address: opts.address, port: opts.port });
        return maybeFollowed(ctx, argv.watch, target, () => listenSession(opts, ctx.io))();
      });
    },
  };
}
