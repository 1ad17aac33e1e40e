import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';
import { withApp } from './options.js';

export const abortCommand: CommandModule<GlobalArgs, GlobalArgs & { app?: string }> = {
  command: 'abort [app]',
  describe: 'Stop the release: canary weight to 0, new version scaled down; exits 4 for the running release',
  builder: (y) => withApp(y),
  handler: lazy(async () => ({ run: (await import('../actions/release.js')).abortAction })),
};
