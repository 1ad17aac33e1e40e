import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';
import { withTemplates, withTo, withUntil } from './options.js';

/** `kdeploy <name> --to v2` for a strategy a plugin registered: the flags of the built-in release commands. */
export function strategyCommand(
  name: string,
): CommandModule<
  GlobalArgs,
  GlobalArgs & { to?: string; templates?: string; until?: 'completed' | 'paused' }
> {
  return {
    command: name,
    describe: `Release with the ${name} strategy (a plugin)`,
    builder: (y) => withUntil(withTemplates(withTo(y, true))),
    handler: lazy(async () => ({ run: (await import('../actions/release.js')).releaseAction(name) })),
  };
}
