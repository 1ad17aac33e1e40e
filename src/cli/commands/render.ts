import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';
import { withTemplates, withTo } from './options.js';

export interface RenderArgs extends GlobalArgs {
  to?: string;
  templates?: string;
}

export const renderCommand: CommandModule<GlobalArgs, RenderArgs> = {
  command: 'render',
  describe: "Print the app's Deployment and Service as YAML; no cluster needed",
  builder: (y) =>
    withTemplates(withTo(y, false))
      .example('$0 render --to v2', 'the manifests for tag v2')
      .example('$0 render | kubectl apply --dry-run=client -f -', 'check them with kubectl'),
  handler: lazy(() => import('../actions/render.js')),
};
