// Kinds kdeploy reads and writes, with their REST plural and scope. A static table (rather than discovery)
// keeps watches and path building free of extra round trips; unknown kinds fall back to discovery via
// client-node's KubernetesObjectApi for CRUD.

export interface ResourceInfo {
  plural: string;
  namespaced: boolean;
  /** Built into the API server: strategic merge patch works (it doesn't for custom resources). */
  builtin: boolean;
}

const KINDS: Record<string, ResourceInfo> = {
  Namespace: { plural: 'namespaces', namespaced: false, builtin: true },
  Node: { plural: 'nodes', namespaced: false, builtin: true },
  Pod: { plural: 'pods', namespaced: true, builtin: true },
  Service: { plural: 'services', namespaced: true, builtin: true },
  ConfigMap: { plural: 'configmaps', namespaced: true, builtin: true },
  Secret: { plural: 'secrets', namespaced: true, builtin: true },
  Event: { plural: 'events', namespaced: true, builtin: true },
  Endpoints: { plural: 'endpoints', namespaced: true, builtin: true },
  Deployment: { plural: 'deployments', namespaced: true, builtin: true },
  ReplicaSet: { plural: 'replicasets', namespaced: true, builtin: true },
  Lease: { plural: 'leases', namespaced: true, builtin: true },
  Ingress: { plural: 'ingresses', namespaced: true, builtin: true },
  EndpointSlice: { plural: 'endpointslices', namespaced: true, builtin: true },
  Role: { plural: 'roles', namespaced: true, builtin: true },
  RoleBinding: { plural: 'rolebindings', namespaced: true, builtin: true },
  TargetGroupBinding: { plural: 'targetgroupbindings', namespaced: true, builtin: false },
};

export function resourceInfo(kind: string): ResourceInfo {
  return KINDS[kind] ?? { plural: `${kind.toLowerCase()}s`, namespaced: true, builtin: false };
}

/** `/api/v1/namespaces/ns/pods` or `/apis/apps/v1/namespaces/ns/deployments[/name]`. */
export function resourcePath(apiVersion: string, kind: string, namespace?: string, name?: string): string {
  const info = resourceInfo(kind);
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${info.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}
