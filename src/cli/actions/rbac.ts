import type { ArgumentsCamelCase } from 'yargs';
import { ConfigError } from '../../config/errors.js';
import { namespaceFlagIssue } from '../../config/load.js';
import { minimalRole } from '../../kube/rbac.js';
import type { RbacArgs } from '../commands/rbac.js';
import { formatObjects } from '../output.js';

export async function run(args: ArgumentsCamelCase<RbacArgs>): Promise<void> {
  const namespace = args.namespace ?? 'default';
  const problem = namespaceFlagIssue(namespace);
  if (problem) throw new ConfigError([problem]);
  const role = minimalRole(namespace, args.name);
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: args.name, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: args.name },
    subjects: [{ kind: 'ServiceAccount', name: args.serviceAccount, namespace }],
  };
  process.stdout.write(formatObjects([role, binding], args.output));
}
