import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';
import { strategyChoices, withTemplates, withTo } from './options.js';

export const planCommand: CommandModule<
  GlobalArgs,
  GlobalArgs & { to?: string; strategy: string; templates?: string }
> = {
  command: 'plan',
  describe:
    'Show the manifests, weight schedule, duration and time-to-detect of a release; a diff when a cluster is reachable',
  builder: (y) =>
    withTemplates(withTo(y, true)).option('strategy', {
      choices: strategyChoices(),
      default: 'canary',
      describe: 'The strategy to plan',
    }),
  handler: lazy(() => import('../actions/plan.js')),
};
