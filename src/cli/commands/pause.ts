import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';
import { withApp } from './options.js';

export const pauseCommand: CommandModule<GlobalArgs, GlobalArgs & { app?: string }> = {
  command: 'pause [app]',
  describe: 'Hold the release at its current step until promote',
  builder: (y) => withApp(y),
  handler: lazy(async () => ({ run: (await import('../actions/release.js')).pauseAction })),
};
