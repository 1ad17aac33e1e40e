import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';
import { withApp } from './options.js';

export const promoteCommand: CommandModule<GlobalArgs, GlobalArgs & { app?: string; full: boolean }> = {
  command: 'promote [app]',
  describe:
    'Move the release on: past its pause, or past the waiting step it is in (--full: skip all remaining steps and analysis)',
  builder: (y) =>
    withApp(y).option('full', {
      type: 'boolean',
      default: false,
      describe: 'Skip the remaining steps and analysis',
    }),
  handler: lazy(async () => ({ run: (await import('../actions/release.js')).promoteAction })),
};
