// The simulated apiserver's verbs, shared by the HTTP layer and the in-process controllers: create,
// update (optimistic concurrency on metadata.resourceVersion), patch, delete (with garbage collection by
// ownerReferences), the status and scale subresources, defaulting and validation. Generic over the
// resource table; the few per-kind rules (defaults, validation, which verbs return the deleted object)
// live in small tables, not in per-resource handlers.
import type { Clock } from '../core/ports.js';
import { applyDefaults, validate } from './defaults.js';
import { alreadyExists, badRequest, conflict, notFound, StatusError } from './errors.js';
import { canonical } from './json.js';
import { applyPatch, type PatchType } from './patch.js';
import type { Random } from './random.js';
import { apiVersionOf, type ResourceType, resourceByName } from './resources.js';
import { type FieldRequirement, matchesFields, matchesLabels, type Selector } from './selectors.js';
import type { KubeObject, ObjectMeta, Store } from './store.js';

/** A create body: the name may be left to `generateName`. */
export type NewObject = Omit<KubeObject, 'metadata'> & { metadata: Partial<ObjectMeta> };

/** RFC 3339 with second precision, as Kubernetes serializes metav1.Time. */
export function timestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/** Resources whose PUT creates a missing object (AllowCreateOnUpdate in their registry strategy). */
const CREATE_ON_UPDATE = new Set(['leases', 'events']);
/** Resources whose DELETE answers with the deleted object rather than a Status (ReturnDeletedObject). */
const RETURNS_DELETED = new Set(['pods', 'namespaces']);

function specOf(o: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = o;
  return canonical(rest);
}

export interface ListOptions {
  labelSelector?: Selector;
  fieldSelector?: FieldRequirement[];
}

export class SimApi {
  private clusterIps = 10;

  constructor(
    readonly store: Store,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  now(): string {
    return timestamp(this.clock.now());
  }

  get(rt: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const o = this.store.get(rt, rt.namespaced ? namespace : undefined, name);
    if (!o) throw notFound(rt.resource, rt.group, name);
    return o;
  }

  find(rt: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(rt, rt.namespaced ? namespace : undefined, name);
  }

  list(rt: ResourceType, namespace: string | undefined, options: ListOptions = {}): KubeObject[] {
    return this.store.list(rt, rt.namespaced ? namespace : undefined, (o) => matches(o, options));
  }

  /** Stored objects without copies, for read-only use by the controllers; never mutate what this returns. */
  scan(
    rt: ResourceType,
    namespace?: string,
    filter?: (o: Readonly<KubeObject>) => boolean,
  ): readonly Readonly<KubeObject>[] {
    return this.store.scan(rt, rt.namespaced ? namespace : undefined, filter);
  }

  private requireNamespace(rt: ResourceType, namespace: string | undefined, name: string): void {
    if (!rt.namespaced) return;
    if (!namespace)
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    const ns = this.store.get(resourceByName('namespaces'), undefined, namespace);
    if (!ns) throw notFound('namespaces', '', namespace);
    if (ns.status?.phase === 'Terminating') {
      throw new StatusError(
        403,
        'Forbidden',
        `${rt.resource} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  private checkIdentity(rt: ResourceType, body: KubeObject, namespace: string | undefined): KubeObject {
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw badRequest('the request body must be a JSON object');
    const obj: KubeObject = { ...body, metadata: { ...(body.metadata ?? {}) } } as KubeObject;
    const apiVersion = apiVersionOf(rt);
    if (obj.kind && obj.kind !== rt.kind)
      throw badRequest(`the kind "${obj.kind}" of the object does not match "${rt.kind}" of the URL`);
    if (obj.apiVersion && obj.apiVersion !== apiVersion)
      throw badRequest(
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersion})`,
      );
    obj.apiVersion = apiVersion;
    obj.kind = rt.kind;
    if (rt.namespaced) {
      if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      obj.metadata.namespace = namespace ?? obj.metadata.namespace;
    } else {
      delete obj.metadata.namespace;
    }
    return obj;
  }

  create(rt: ResourceType, namespace: string | undefined, body: NewObject, dryRun = false): KubeObject {
    const obj = this.checkIdentity(rt, body as KubeObject, namespace);
    if (!obj.metadata.name && obj.metadata.generateName)
      obj.metadata.name = `${obj.metadata.generateName}${this.random.suffix()}`;
    this.requireNamespace(rt, obj.metadata.namespace, obj.metadata.name ?? '');
    if (this.store.get(rt, obj.metadata.namespace, obj.metadata.name ?? ''))
      throw alreadyExists(rt.resource, rt.group, obj.metadata.name);
    const meta = obj.metadata;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    meta.uid = this.random.uuid();
    meta.creationTimestamp = this.now();
    if (rt.generation) meta.generation = 1;
    else delete meta.generation;
    applyDefaults(rt, obj, () => this.allocateClusterIp());
    validate(rt, obj);
    if (dryRun) return obj;
    return this.store.insert(rt, obj);
  }

  private allocateClusterIp(): string {
    const n = this.clusterIps++;
    return `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  }

  /**
   * PUT. `subresource` 'status' replaces only the status; the main resource keeps the stored status when
   * the type has a status subresource. A resourceVersion in the body must match the stored one.
   */
  update(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    subresource?: 'status',
    dryRun = false,
  ): KubeObject {
    const obj = this.checkIdentity(rt, body, namespace);
    if (obj.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    const old = this.store.get(rt, obj.metadata.namespace, name);
    if (!old) {
      if (CREATE_ON_UPDATE.has(rt.resource) && !subresource) return this.create(rt, namespace, obj, dryRun);
      throw notFound(rt.resource, rt.group, name);
    }
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(rt.resource, rt.group, name);
    }
    let next: KubeObject;
    if (subresource === 'status') {
      next = { ...old, status: obj.status };
      // The apps status strategies reset only spec and labels, so the controller's revision annotation rides along.
      if (rt.group === 'apps') next.metadata = { ...old.metadata, annotations: obj.metadata.annotations };
    } else {
      next = obj;
      if (rt.subresources.includes('status')) next.status = old.status;
      if (rt.kind === 'Service' && next.spec && next.spec.clusterIP === undefined) {
        next.spec.clusterIP = old.spec?.clusterIP;
        next.spec.clusterIPs = old.spec?.clusterIPs;
      }
    }
    // Fields the server owns.
    next.metadata = {
      ...next.metadata,
      uid: old.metadata.uid,
      creationTimestamp: old.metadata.creationTimestamp,
      ...(old.metadata.deletionTimestamp ? { deletionTimestamp: old.metadata.deletionTimestamp } : {}),
    };
    if (!next.metadata.deletionTimestamp) delete next.metadata.deletionTimestamp;
    applyDefaults(rt, next, () => this.allocateClusterIp());
    validate(rt, next, old);
    if (rt.generation) {
      next.metadata.generation = (old.metadata.generation ?? 1) + (specOf(next) !== specOf(old) ? 1 : 0);
    }
    if (dryRun) return next;
    return this.store.replace(rt, next);
  }

  /** PATCH with any of the four content types; `apply-patch+yaml` creates the object when missing. */
  patch(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    body: string,
    type: PatchType,
    subresource?: 'status',
    dryRun = false,
  ): KubeObject {
    const old = this.store.get(rt, rt.namespaced ? namespace : undefined, name);
    if (!old) {
      if (type !== 'application/apply-patch+yaml' || subresource) throw notFound(rt.resource, rt.group, name);
      const created = applyPatch({ metadata: { name } } as KubeObject, body, type);
      return this.create(rt, namespace, created, dryRun);
    }
    const patched = applyPatch(old, body, type);
    // A resourceVersion the patch itself sets is a precondition, as with `kubectl patch` on a stale read.
    if (patched.metadata?.resourceVersion !== old.metadata.resourceVersion) {
      if (patched.metadata?.resourceVersion) throw conflict(rt.resource, rt.group, name);
      patched.metadata = { ...patched.metadata, resourceVersion: old.metadata.resourceVersion };
    }
    return this.update(rt, namespace, name, patched, subresource, dryRun);
  }

  /**
   * DELETE. Background (the default for apps/v1) removes the object, then its dependents; Foreground
   * removes dependents first; Orphan strips the ownerReferences from dependents and keeps them.
   */
  delete(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    policy: PropagationPolicy = 'Background',
    preconditions?: { uid?: string; resourceVersion?: string },
    dryRun = false,
  ): KubeObject | ReturnType<typeof successStatus> {
    const old = this.get(rt, namespace, name);
    if (preconditions?.uid && preconditions.uid !== old.metadata.uid) {
      throw new StatusError(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${old.metadata.uid}`,
      );
    }
    if (preconditions?.resourceVersion && preconditions.resourceVersion !== old.metadata.resourceVersion) {
      throw new StatusError(
        409,
        'Conflict',
        `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`,
      );
    }
    if (dryRun) return RETURNS_DELETED.has(rt.resource) ? old : successStatus(rt, old);
    if (rt.kind === 'Namespace') {
      this.store.replace(rt, {
        ...old,
        metadata: { ...old.metadata, deletionTimestamp: this.now() },
        status: { phase: 'Terminating' },
      });
      for (const type of this.namespacedTypes()) {
        for (const o of this.store.list(type, name)) this.store.remove(type, name, o.metadata.name);
      }
    }
    const uid = old.metadata.uid!;
    if (policy === 'Foreground') this.deleteDependents(uid, 'Foreground');
    if (policy === 'Orphan') this.orphanDependents(uid);
    const gone = this.store.remove(rt, rt.namespaced ? namespace : undefined, name)!;
    if (policy === 'Background') this.deleteDependents(uid, 'Background');
    return RETURNS_DELETED.has(rt.resource) ? gone : successStatus(rt, old);
  }

  private namespacedTypes(): ResourceType[] {
    return [
      'pods',
      'replicasets',
      'deployments',
      'services',
      'configmaps',
      'events',
      'leases',
      'ingresses',
    ].map(resourceByName);
  }

  /** The garbage collector's job: remove objects whose owner is gone. */
  private deleteDependents(uid: string, policy: PropagationPolicy): void {
    for (const { rt, object } of this.store.dependents(uid)) {
      if (this.store.get(rt, object.metadata.namespace, object.metadata.name)) {
        this.delete(rt, object.metadata.namespace, object.metadata.name, policy);
      }
    }
  }

  private orphanDependents(uid: string): void {
    for (const { rt, object } of this.store.dependents(uid)) {
      const refs = (object.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      const { ownerReferences: _, ...meta } = object.metadata;
      this.store.replace(rt, {
        ...object,
        metadata: refs.length ? { ...meta, ownerReferences: refs } : meta,
      });
    }
  }

  /** `GET .../scale`: the autoscaling/v1 Scale view of a Deployment or ReplicaSet. */
  getScale(rt: ResourceType, namespace: string, name: string): KubeObject {
    const o = this.get(rt, namespace, name);
    const matchLabels: Record<string, string> = o.spec?.selector?.matchLabels ?? {};
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name,
        namespace,
        uid: o.metadata.uid,
        resourceVersion: o.metadata.resourceVersion,
        creationTimestamp: o.metadata.creationTimestamp,
      },
      spec: { replicas: o.spec?.replicas ?? 0 },
      status: {
        replicas: o.status?.replicas ?? 0,
        selector: Object.entries(matchLabels)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      },
    };
  }

  /** PUT/PATCH `.../scale`: only spec.replicas moves; a stale resourceVersion conflicts as on the object. */
  setScale(rt: ResourceType, namespace: string, name: string, scale: KubeObject): KubeObject {
    const o = this.get(rt, namespace, name);
    const replicas = scale.spec?.replicas;
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new StatusError(
        422,
        'Invalid',
        `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
      );
    }
    const rv = scale.metadata?.resourceVersion;
    if (rv && rv !== o.metadata.resourceVersion) throw conflict(rt.resource, rt.group, name);
    this.update(rt, namespace, name, { ...o, spec: { ...o.spec, replicas } });
    return this.getScale(rt, namespace, name);
  }
}

export function matches(o: Readonly<KubeObject>, options: ListOptions): boolean {
  return (
    matchesLabels(options.labelSelector ?? [], o.metadata.labels) &&
    matchesFields(options.fieldSelector ?? [], o)
  );
}

function successStatus(rt: ResourceType, o: KubeObject) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: o.metadata.name, group: rt.group, kind: rt.resource, uid: o.metadata.uid },
  };
}
