/** `ntk listen`: not built yet. */
import type { CommandModule } from 'yargs';
import type { CliContext } from '../cli/build.js';
import { createError } from '../errors.js';

export function listenCommand(ctx: CliContext): CommandModule {
  return {
    command: 'listen',
    describe: '(listen is not available in this version)',
    handler: () => ctx.run(async () => {
      throw createError('E_INTERNAL', 'listen', 'not available in this version');
    }),
  };
}
