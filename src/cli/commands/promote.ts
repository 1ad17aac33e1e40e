import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { notImplemented } from './lazy.js';
import { withApp } from './options.js';

export const promoteCommand: CommandModule<GlobalArgs, GlobalArgs & { app?: string; full: boolean }> = {
  command: 'promote [app]',
  describe: 'Move a paused release on to its next step (--full: skip the remaining steps and analysis)',
  builder: (y) =>
    withApp(y).option('full', {
      type: 'boolean',
      default: false,
      describe: 'Skip the remaining steps and analysis',
    }),
  handler: notImplemented('promote'),
};
