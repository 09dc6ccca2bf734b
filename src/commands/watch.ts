/** `ntk watch`: not built yet. */
import type { CommandModule } from 'yargs';
import type { CliContext } from '../cli/build.js';
import { createError } from '../errors.js';

export function watchCommand(ctx: CliContext): CommandModule {
  return {
    command: 'watch',
    describe: '(watch is not available in this version)',
    handler: () => ctx.run(async () => {
      throw createError('E_INTERNAL', 'watch', 'not available in this version');
    }),
  };
}
