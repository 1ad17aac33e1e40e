import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';
import { strategyChoices, withTo } from './options.js';

export const simulateCommand: CommandModule<
  GlobalArgs,
  GlobalArgs & { strategy?: string; to?: string; scenario?: string }
> = {
  command: 'simulate <strategy>',
  describe: 'Run a release on the embedded simulated cluster in virtual time',
  builder: (y) =>
    withTo(y, true)
      .positional('strategy', { choices: strategyChoices(), describe: 'The strategy to simulate' })
      .option('scenario', {
        type: 'string',
        describe: 'How the new version behaves (healthy, crashloop, slow-ready, high-errors…)',
      }),
  handler: lazy(async () => ({ run: (await import('../actions/simulate.js')).simulateAction })),
};
