import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { notImplemented } from './lazy.js';
import { withApp } from './options.js';

export const resumeCommand: CommandModule<GlobalArgs, GlobalArgs & { app?: string }> = {
  command: 'resume [app]',
  describe: 'Continue an interrupted release from its release record',
  builder: (y) => withApp(y),
  handler: notImplemented('resume'),
};
