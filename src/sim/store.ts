// The object store behind the simulated apiserver: objects keyed by resource type and namespace/name, one
// global resourceVersion counter (like etcd's revision), and a bounded history of changes that watches
// replay from. A watch asking for a resourceVersion older than the history window gets 410 Expired, like the
// apiserver's watch cache. Stored objects are never mutated in place; readers get copies.
import { notFound, StatusError } from './errors.js';
import { copyJson } from './json.js';
import { type ResourceType, resourceOfKind, typeKey } from './resources.js';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended JSON; controllers read them by field.
type Any = any;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: Any;
  status?: Any;
  [key: string]: Any;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  rt: ResourceType;
  object: KubeObject;
  /** The object before this change (undefined for ADDED). */
  old?: KubeObject;
  rv: number;
}

export interface StoreOptions {
  /** How many changes watches can resume from; older resourceVersions get 410 Expired. */
  historySize?: number;
}

function objKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export class Store {
  private rv = 0;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private history: StoreEvent[] = [];
  /** Watches may start from any resourceVersion >= this one. */
  private oldestRv = 1;
  /** Whether changes were ever dropped (history overflow or compaction): only then is an old rv 410. */
  private expired = false;
  private readonly historySize: number;
  private readonly listeners = new Set<(e: StoreEvent) => void>();

  constructor(options: StoreOptions = {}) {
    this.historySize = options.historySize ?? 5000;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  private bucket(rt: ResourceType): Map<string, KubeObject> {
    const key = typeKey(rt);
    let b = this.objects.get(key);
    if (!b) {
      b = new Map();
      this.objects.set(key, b);
    }
    return b;
  }

  /** A copy of the object, or undefined. */
  get(rt: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.bucket(rt).get(objKey(namespace, name));
    return o && copyJson(o);
  }

  /** Copies of the objects of a type (optionally in one namespace, optionally filtered), in name order. */
  list(rt: ResourceType, namespace?: string, filter?: (o: Readonly<KubeObject>) => boolean): KubeObject[] {
    return this.scan(rt, namespace, filter).map((o) => copyJson(o) as KubeObject);
  }

  /**
   * Like list, without copying: the stored objects themselves, for read-only use by the in-process
   * controllers (copying every pod on every scheduling decision dominated the simulator's run time).
   */
  scan(
    rt: ResourceType,
    namespace?: string,
    filter?: (o: Readonly<KubeObject>) => boolean,
  ): readonly Readonly<KubeObject>[] {
    const out: KubeObject[] = [];
    for (const o of this.bucket(rt).values()) {
      if ((namespace === undefined || o.metadata.namespace === namespace) && (!filter || filter(o)))
        out.push(o);
    }
    return out.sort((a, b) =>
      objKey(a.metadata.namespace, a.metadata.name) < objKey(b.metadata.namespace, b.metadata.name) ? -1 : 1,
    );
  }

  /** Inserts a new object; the caller has validated it and set uid/timestamps. */
  insert(rt: ResourceType, obj: KubeObject): KubeObject {
    const stored = copyJson(obj);
    stored.metadata.resourceVersion = String(++this.rv);
    this.bucket(rt).set(objKey(stored.metadata.namespace, stored.metadata.name), stored);
    this.emit({ type: 'ADDED', rt, object: stored, rv: this.rv });
    return copyJson(stored);
  }

  /** Replaces an existing object (the API layer has checked its resourceVersion). */
  replace(rt: ResourceType, obj: KubeObject): KubeObject {
    const key = objKey(obj.metadata.namespace, obj.metadata.name);
    const old = this.bucket(rt).get(key);
    if (!old) throw notFound(rt.resource, rt.group, obj.metadata.name);
    const stored = copyJson(obj);
    stored.metadata.resourceVersion = String(++this.rv);
    this.bucket(rt).set(key, stored);
    this.emit({ type: 'MODIFIED', rt, object: stored, old, rv: this.rv });
    return copyJson(stored);
  }

  remove(rt: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = objKey(namespace, name);
    const old = this.bucket(rt).get(key);
    if (!old) return undefined;
    this.bucket(rt).delete(key);
    const gone = { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.rv) } };
    this.emit({ type: 'DELETED', rt, object: gone, old, rv: this.rv });
    return copyJson(gone);
  }

  /** Every object whose ownerReferences name `uid`, across all types. */
  dependents(uid: string): { rt: ResourceType; object: KubeObject }[] {
    const out: { rt: ResourceType; object: KubeObject }[] = [];
    for (const bucket of this.objects.values()) {
      for (const o of bucket.values()) {
        if (o.metadata.ownerReferences?.some((r) => r.uid === uid))
          out.push({ rt: resourceOfKind(o.apiVersion!, o.kind!)!, object: copyJson(o) });
      }
    }
    return out;
  }

  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: StoreEvent): void {
    this.history.push(e);
    if (this.history.length > this.historySize) {
      const drop = this.history.length - this.historySize;
      this.oldestRv = this.history[drop]!.rv;
      this.history = this.history.slice(drop);
      this.expired = true;
    }
    for (const l of this.listeners) l(e);
  }

  /**
   * Changes after resourceVersion `rv`, for a watch resuming there. Throws the apiserver's 410 Expired
   * ("too old resource version") when changes after `rv` were dropped. Like the real watch cache, an rv
   * older than the cache's start is served from the start while nothing has been dropped yet.
   */
  since(rv: number): StoreEvent[] {
    if (this.expired && rv + 1 < this.oldestRv) {
      throw new StatusError(410, 'Expired', `too old resource version: ${rv} (${this.oldestRv - 1})`);
    }
    return this.history.filter((e) => e.rv > rv);
  }

  /**
   * Forgets the change history. `expire` (etcd compaction, an evicted watch cache) makes older
   * resourceVersions answer 410; without it this is a freshly started watch cache.
   */
  compact(expire = true): void {
    this.history = [];
    this.oldestRv = this.rv + 1;
    this.expired = expire;
  }
}
