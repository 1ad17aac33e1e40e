import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';
import { withTemplates, withTo, withUntil } from './options.js';

export const rollingCommand: CommandModule<
  GlobalArgs,
  GlobalArgs & { to?: string; templates?: string; until?: 'completed' | 'paused' }
> = {
  command: 'rolling',
  describe: 'Patch the Deployment and let Kubernetes roll it out; roll back if it fails',
  builder: (y) =>
    withUntil(withTemplates(withTo(y, true))).example(
      '$0 rolling --to v2',
      'release tag v2 of image.repository',
    ),
  handler: lazy(async () => ({ run: (await import('../actions/release.js')).rolling })),
};
