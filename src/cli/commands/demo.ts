import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { notImplemented } from './lazy.js';

export const demoCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'demo',
  describe: 'Watch a live canary release on the embedded simulated cluster (no cluster or config needed)',
  handler: notImplemented('demo'),
};
