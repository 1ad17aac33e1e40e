import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';

export interface RbacArgs extends GlobalArgs {
  name: string;
  'service-account': string;
}

export const rbacCommand: CommandModule<GlobalArgs, RbacArgs> = {
  command: 'rbac',
  describe:
    'Print the least-privilege Role and RoleBinding kdeploy needs in a namespace (-n, default: default)',
  builder: (y) =>
    y
      .option('name', { type: 'string', default: 'kdeploy', describe: 'Name of the Role and RoleBinding' })
      .option('service-account', {
        type: 'string',
        default: 'kdeploy',
        describe: 'The ServiceAccount to bind',
      })
      .example('$0 rbac -n shop | kubectl apply -f -', 'grant kdeploy access to namespace shop'),
  handler: lazy(() => import('../actions/rbac.js')),
};
