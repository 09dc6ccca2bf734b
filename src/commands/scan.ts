/** `ntk scan`: not built yet. */
import type { CommandModule } from 'yargs';
import type { CliContext } from '../cli/build.js';
import { createError } from '../errors.js';

export function scanCommand(ctx: CliContext): CommandModule {
  return {
    command: 'scan',
    describe: '(scan is not available in this version)',
    handler: () => ctx.run(async () => {
      throw createError('E_INTERNAL', 'scan', 'not available in this version');
    }),
  };
}
