import type { V1Role } from '@kubernetes/client-node';

/**
 * The least privilege kdeploy needs in one namespace (what `kdeploy rbac` prints): drive Deployments and
 * their ReplicaSets, read pod health and logs, manage the Services/ConfigMaps a strategy owns, hold a Lease
 * as the per-app lock, and shift Ingress-based traffic.
 */
export function minimalRole(namespace: string, name = 'kdeploy'): V1Role {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace },
    rules: [
      {
        apiGroups: ['apps'],
        resources: ['deployments', 'replicasets'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
      { apiGroups: [''], resources: ['pods', 'pods/log', 'events'], verbs: ['get', 'list', 'watch'] },
      {
        apiGroups: [''],
        resources: ['services', 'configmaps'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'create', 'update', 'delete'],
      },
      {
        apiGroups: ['networking.k8s.io'],
        resources: ['ingresses'],
        verbs: ['get', 'list', 'watch', 'patch', 'update'],
      },
    ],
  };
}
