import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';
import { withTemplates, withTo, withUntil } from './options.js';

export const canaryCommand: CommandModule<
  GlobalArgs,
  GlobalArgs & { to?: string; templates?: string; until?: 'completed' | 'paused' }
> = {
  command: 'canary',
  describe: 'Shift traffic to the new version step by step (setWeight, pause, analysis)',
  builder: (y) =>
    withUntil(withTemplates(withTo(y, true))).example(
      '$0 canary --to v2',
      'release tag v2 of image.repository',
    ),
  handler: lazy(async () => ({ run: (await import('../actions/release.js')).releaseAction('canary') })),
};
