import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';
import { withApp } from './options.js';

export const resumeCommand: CommandModule<GlobalArgs, GlobalArgs & { app?: string }> = {
  command: 'resume [app]',
  describe: 'Continue an interrupted release from its release record',
  builder: (y) => withApp(y),
  handler: lazy(async () => ({ run: (await import('../actions/release.js')).resumeAction })),
};
