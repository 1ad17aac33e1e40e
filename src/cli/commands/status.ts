import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';
import { withApp } from './options.js';

export const statusCommand: CommandModule<
  GlobalArgs,
  GlobalArgs & { app?: string; watch: boolean; until?: string }
> = {
  command: 'status [app]',
  describe: "Show the app's current release: step, weights, pods, analysis",
  builder: (y) =>
    withApp(y)
      .option('watch', { alias: 'w', type: 'boolean', default: false, describe: 'Keep printing changes' })
      .option('until', {
        choices: ['completed', 'paused'] as const,
        describe: 'Wait until the release completes (exit 0/1) or pauses for promote (exit 3)',
      }),
  handler: lazy(async () => ({ run: (await import('../actions/release.js')).statusAction })),
};
