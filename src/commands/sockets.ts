/** `ntk sockets`: netstat's and ss's part. Converts argv into SocketsOptions and hands them to src/sockets. */
import type { CommandModule } from 'yargs';
import { parseSeconds } from '../lib/args.js';
import { lastOf, type CliContext } from './context.js';
import { usageError } from '../lib/errors.js';
import type { SocketsOptions } from '../sockets/sockets.js';
import { parseFilter } from '../sockets/table.js';

const CONTEXT = 'sockets';

interface SocketsArgs {
  filter?: string[];
  l?: boolean;
  n?: boolean;
  t?: boolean;
  u?: boolean;
  json?: boolean;
  watch?: string;
}

/** Converts parsed arguments into SocketsOptions; throws E_USAGE naming the bad input. */
export function socketsOptions(argv: SocketsArgs): SocketsOptions {
  const filters = (argv.filter ?? []).map((w) => parseFilter(CONTEXT, w));
  const watch = lastOf(argv.watch);
  const watchMs = watch === undefined ? undefined : parseSeconds(CONTEXT, watch, '--watch interval');
  if (watchMs === 0) throw usageError(CONTEXT, `--watch interval must be more than 0: "${watch}"`);
  const protos: Array<'tcp' | 'udp'> = argv.t && !argv.u ? ['tcp'] : argv.u && !argv.t ? ['udp'] : ['tcp', 'udp'];
  return { filters, listeners: argv.l === true, numeric: argv.n === true, json: argv.json === true, watchMs, protos };
}

export function socketsCommand(ctx: CliContext): CommandModule<object, SocketsArgs> {
  return {
    command: 'sockets [filter..]',
    describe: 'List TCP and UDP sockets with state, queues, timer and owner (netstat -tanp, ss -tuanpo)',
    builder: (y) =>
      y
        .positional('filter', {
          type: 'string',
          array: true,
          describe: 'PORT, STATE (TIME_WAIT…), tcp, udp or ADDRESS; all must match',
        })
        .option('l', { type: 'boolean', describe: 'listening sockets only' })
        .option('n', { type: 'boolean', describe: 'numeric ports (no service names)' })
        .option('t', { type: 'boolean', describe: 'TCP only' })
        .option('u', { type: 'boolean', describe: 'UDP only' })
        .option('json', { type: 'boolean', describe: 'one JSON object per socket per line' })
        .option('watch', { type: 'string', describe: 'refresh every SECS seconds until Ctrl-C', requiresArg: true })
        .example('ntk sockets 12345', 'the sockets on port 12345, TIME_WAIT and its seconds left included')
        .example('ntk sockets -l', 'who listens where')
        .example('ntk sockets --watch 1 TIME_WAIT', 'watch TIME_WAITs count down'),
    handler: (argv) => {
      ctx.run(async () => {
        const opts = socketsOptions(argv);
        const { runSockets } = await import('../sockets/sockets.js');
        return runSockets(opts, ctx.io);
      });
    },
  };
}
