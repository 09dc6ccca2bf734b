/**
 * The command-line program: registers every command on one yargs instance but does not parse, so tests can
 * check parsing without a process. Parse errors, unknown flags and bad values all become usage errors (exit 2)
 * through `.fail()`.
 */
import yargs, { type Argv } from 'yargs';
import { PARSER_CONFIGURATION, usageFailure, type CliContext } from '../commands/context.js';
import { connectCommand } from '../commands/connect.js';
import { listenCommand } from '../commands/listen.js';
import { scanCommand } from '../commands/scan.js';
import { watchCommand } from '../commands/watch.js';
import { socketsCommand } from '../commands/sockets.js';
import { installCaptureCommand } from '../commands/install-capture.js';

import { commandOf, version } from './about.js';

export { COMMANDS, commandOf, version } from './about.js';

/** Builds the `ntk` program for `args` without parsing it. */
export function buildCli(ctx: CliContext, args: string[]): Argv {
  const first = args.find((a) => !a.startsWith('-'));
  const context = commandOf(args);
  return yargs(args)
    .scriptName('ntk')
    .usage('ntk — connect, listen, scan and watch TCP/IP sessions\n\nUsage: ntk <command> [options]')
    .command(connectCommand(ctx))
    .command(listenCommand(ctx))
    .command(scanCommand(ctx))
    .command(watchCommand(ctx))
    .command(socketsCommand(ctx))
    .command(installCaptureCommand(ctx))
    .completion('completion', 'Print a bash completion script (source it: . <(ntk completion))')
    .demandCommand(1, 'missing command: connect, listen, scan, watch or sockets (see ntk --help)')
    .recommendCommands()
    .strict()
    .parserConfiguration(PARSER_CONFIGURATION)
    .exitProcess(false)
    .version(version())
    .alias('h', 'help')
    .epilog(
      'Exit status: 0 success, 1 failure, 2 usage error, 130 interrupted (Ctrl-C), 143 SIGTERM, 129 SIGHUP.\nNTK_DEBUG=1 shows stack traces.',
    )
    .wrap(process.stdout.columns ? Math.min(120, process.stdout.columns) : null)
    .fail(usageFailure(context, !context && first !== undefined ? first : undefined));
}
