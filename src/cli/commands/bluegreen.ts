import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';
import { withTemplates, withTo, withUntil } from './options.js';

export const bluegreenCommand: CommandModule<
  GlobalArgs,
  GlobalArgs & { to?: string; templates?: string; until?: 'completed' | 'paused' }
> = {
  command: 'bluegreen',
  describe: 'Deploy the idle color, test it on the preview Service, then flip the active Service',
  builder: (y) =>
    withUntil(withTemplates(withTo(y, true))).example(
      '$0 bluegreen --to v2',
      'release tag v2 of image.repository',
    ),
  handler: lazy(async () => ({ run: (await import('../actions/release.js')).releaseAction('bluegreen') })),
};
