// The API resources the simulated cluster serves, and the discovery documents built from them. Everything
// else (store, REST handler, watch) is generic over this table, like the real apiserver's registry.

export interface ResourceType {
  /** API group; '' for the core group. */
  group: string;
  version: string;
  /** Plural, lowercase: the URL segment. */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Subresources served besides the object itself. */
  subresources: ('status' | 'scale' | 'log')[];
  /** metadata.generation is tracked and bumped on spec changes (resources whose status has observedGeneration). */
  generation: boolean;
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const RESOURCES: ResourceType[] = [
  {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status'],
    generation: false,
  },
  {
    group: '',
    version: 'v1',
    resource: 'nodes',
    singular: 'node',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    subresources: ['status'],
    generation: false,
  },
  {
    group: '',
    version: 'v1',
    resource: 'pods',
    singular: 'pod',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    subresources: ['status', 'log'],
    generation: false,
  },
  {
    group: '',
    version: 'v1',
    resource: 'services',
    singular: 'service',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    subresources: ['status'],
    generation: false,
  },
  {
    group: '',
    version: 'v1',
    resource: 'configmaps',
    singular: 'configmap',
    kind: 'ConfigMap',
    namespaced: true,
    shortNames: ['cm'],
    subresources: [],
    generation: false,
  },
  {
    group: '',
    version: 'v1',
    resource: 'events',
    singular: 'event',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    subresources: [],
    generation: false,
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    subresources: ['status', 'scale'],
    generation: true,
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    singular: 'replicaset',
    kind: 'ReplicaSet',
    namespaced: true,
    shortNames: ['rs'],
    subresources: ['status', 'scale'],
    generation: true,
  },
  {
    group: 'coordination.k8s.io',
    version: 'v1',
    resource: 'leases',
    singular: 'lease',
    kind: 'Lease',
    namespaced: true,
    subresources: [],
    generation: false,
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    resource: 'ingresses',
    singular: 'ingress',
    kind: 'Ingress',
    namespaced: true,
    shortNames: ['ing'],
    subresources: ['status'],
    generation: true,
  },
];

export function apiVersionOf(rt: ResourceType): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

/** Store key of a resource type: `apps/deployments`, `/pods`. */
export function typeKey(rt: ResourceType): string {
  return `${rt.group}/${rt.resource}`;
}

export function findResource(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

export function resourceOfKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}

export function resourceByName(resource: string): ResourceType {
  const rt = RESOURCES.find((r) => r.resource === resource);
  if (!rt) throw new Error(`the simulated cluster has no resource "${resource}"`);
  return rt;
}

function groups(): Map<string, ResourceType[]> {
  const byGroup = new Map<string, ResourceType[]>();
  for (const rt of RESOURCES) {
    if (!rt.group) continue;
    byGroup.set(rt.group, [...(byGroup.get(rt.group) ?? []), rt]);
  }
  return byGroup;
}

/** `GET /api`: the core group's versions. */
export function coreVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** `GET /apis`: the named groups. */
export function groupList() {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups().entries()].map(([name, rts]) => groupDoc(name, rts)),
  };
}

function groupDoc(name: string, rts: ResourceType[]) {
  const versions = [...new Set(rts.map((r) => r.version))].map((version) => ({
    groupVersion: `${name}/${version}`,
    version,
  }));
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions, preferredVersion: versions[0] };
}

/** `GET /apis/<group>`, or undefined for an unknown group. */
export function groupDocument(name: string) {
  const rts = groups().get(name);
  return rts ? groupDoc(name, rts) : undefined;
}

/** `GET /api/v1` or `/apis/<group>/<version>`: the APIResourceList client-node's KubernetesObjectApi reads. */
export function resourceList(group: string, version: string) {
  const rts = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (rts.length === 0) return undefined;
  const resources: object[] = [];
  for (const rt of rts) {
    resources.push({
      name: rt.resource,
      singularName: rt.singular,
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: VERBS,
      ...(rt.shortNames ? { shortNames: rt.shortNames } : {}),
    });
    for (const sub of rt.subresources) {
      const kind = sub === 'scale' ? 'Scale' : sub === 'log' ? 'Pod' : rt.kind;
      resources.push({
        name: `${rt.resource}/${sub}`,
        singularName: '',
        namespaced: rt.namespaced,
        kind,
        verbs: sub === 'log' ? ['get'] : ['get', 'patch', 'update'],
        ...(sub === 'scale' ? { group: 'autoscaling', version: 'v1' } : {}),
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}
