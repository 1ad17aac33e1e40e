import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';
import { withApp } from './options.js';

export const rollbackCommand: CommandModule<GlobalArgs, GlobalArgs & { app?: string }> = {
  command: 'rollback [app]',
  describe: 'Return to the previous version (after a completed release too)',
  builder: (y) => withApp(y),
  handler: lazy(async () => ({ run: (await import('../actions/release.js')).rollbackAction })),
};
