/**
 * `ntk install-capture`: run once as root, puts this ntk's capture addon where a privileged ntk (file
 * capabilities or setuid) will load it: <dir of the executable>/../lib/ntk/<version>/cap.node, owned by root.
 */
import type { CommandModule } from 'yargs';
import { diag } from '../lib/io.js';
import type { CliContext } from './context.js';

export function installCaptureCommand(ctx: CliContext): CommandModule<object, object> {
  return {
    command: 'install-capture',
    describe: 'As root: install the capture addon where ntk with capabilities loads it (next to the executable)',
    builder: (y) =>
      y.example('sudo /usr/local/bin/ntk install-capture', 'writes /usr/local/lib/ntk/<version>/cap.node'),
    handler: () => {
      ctx.run(async () => {
        const { installCapture } = await import('../watch/native.js');
        diag(ctx.io, `ntk: installed the capture addon: ${installCapture()}`);
        return 0;
      });
    },
  };
}
