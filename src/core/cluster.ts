// The Cluster port: what the engine, strategies and routers need from the Kubernetes API, as plain JSON
// objects. src/kube/cluster.ts implements it over HTTP (a real API server or the simulated cluster); tests
// may implement it directly.
import type { KubernetesObject } from '@kubernetes/client-node';

/** Identifies one object. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export type PatchType = 'merge' | 'strategic' | 'json';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface WriteOptions {
  /** Server-side dry run: validated and defaulted by the API server, nothing persisted. */
  dryRun?: boolean;
}

export interface WatchQuery {
  apiVersion: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * SYNC carries the complete current list: sent first, and again after every re-list (410 Gone, repeated
 * failures), so a consumer that rebuilds its view from SYNC never misses a change made while disconnected.
 */
export type WatchEvent<T> =
  | { type: 'SYNC'; objects: T[] }
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T };

export type WatchHandler<T> = (event: WatchEvent<T>) => void;

export interface Cluster {
  /** The namespace of objects that name none. */
  readonly namespace: string;
  /** Undefined when the object does not exist. */
  get<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined>;
  list<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    options?: ListOptions,
  ): Promise<{ items: T[]; resourceVersion: string }>;
  create<T extends KubernetesObject>(obj: T, options?: WriteOptions): Promise<T>;
  replace<T extends KubernetesObject>(obj: T, options?: WriteOptions): Promise<T>;
  replaceStatus<T extends KubernetesObject>(obj: T): Promise<T>;
  patch<T extends KubernetesObject>(
    ref: ObjectRef,
    body: unknown,
    type?: PatchType,
    options?: WriteOptions,
  ): Promise<T>;
  /** Create-or-update of a rendered object (patched onto the live one, created when missing). Idempotent. */
  apply<T extends KubernetesObject>(obj: T, options?: WriteOptions): Promise<T>;
  /** Resolves false when the object was already gone. */
  delete(ref: ObjectRef, propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'): Promise<boolean>;
  /**
   * Read-modify-write with optimistic concurrency: `change` edits a copy of the live object (undefined: nothing
   * to do), retried from a fresh read on 409 Conflict. Undefined when the object does not exist.
   */
  mutate<T extends KubernetesObject>(
    ref: ObjectRef,
    change: (current: T) => T | undefined,
  ): Promise<T | undefined>;
  /** Last lines of a pod's log ('' when the container has none yet). */
  podLogs(
    name: string,
    options?: { namespace?: string; container?: string; tailLines?: number; previous?: boolean },
  ): Promise<string>;
  /** List-then-watch that survives dropped connections and 410 Gone; runs until the signal aborts. */
  watch<T extends KubernetesObject>(
    query: WatchQuery,
    onEvent: WatchHandler<T>,
    signal: AbortSignal,
  ): Promise<void>;
}

export function refOf(obj: KubernetesObject): ObjectRef {
  return {
    apiVersion: obj.apiVersion ?? '',
    kind: obj.kind ?? '',
    name: obj.metadata?.name ?? '',
    namespace: obj.metadata?.namespace,
  };
}
