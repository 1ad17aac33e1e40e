import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';
import { withApp, withUntil } from './options.js';

export const statusCommand: CommandModule<
  GlobalArgs,
  GlobalArgs & { app?: string; watch: boolean; until?: string }
> = {
  command: 'status [app]',
  describe: "Show the app's current release: step, weights, pods, analysis",
  builder: (y) =>
    withUntil(
      withApp(y).option('watch', {
        alias: 'w',
        type: 'boolean',
        default: false,
        describe: 'Keep printing changes',
      }),
    ),
  handler: lazy(async () => ({ run: (await import('../actions/release.js')).statusAction })),
};
