import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';

export const demoCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'demo',
  describe: 'Watch a live release on the embedded simulated cluster (no cluster or config needed)',
  handler: lazy(async () => ({ run: (await import('../actions/simulate.js')).demoAction })),
};
