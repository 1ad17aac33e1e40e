import type { KubernetesObject } from '@kubernetes/client-node';
import {
  type Cluster,
  type ListOptions,
  type ObjectRef,
  type PatchType,
  refOf,
  type WatchHandler,
  type WatchQuery,
  type WriteOptions,
} from '../core/cluster.js';
import { KubeError, type RequestTarget, statusOf } from './errors.js';
import { resourceInfo, resourcePath } from './resources.js';
import { type RetryOptions, withRetry } from './retry.js';
import { isOk, statusError, type Transport } from './transport.js';
import { watchObjects } from './watch.js';

const CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

export { ApiStatusError } from './transport.js';

/** What a Cluster needs: how requests reach the API server, and the namespace of unqualified objects. */
export interface ClusterAccess {
  transport: Transport;
  namespace: string;
}

type Query = Record<string, string | number | boolean | undefined>;

const FIELD_MANAGER = 'kdeploy';
const MAX_CONFLICT_RETRIES = 8;

/**
 * The Cluster port over HTTP: access to the Kubernetes API through a Transport (client-node's kubeconfig auth, or a
 * bearer token over node:https), plain JSON objects in and out,
 * retries on transient failures, errors that name the verb/resource/namespace, and a read-modify-write
 * helper for 409s. Requests go over HTTP directly rather than through the generated typed APIs, whose
 * serializer drops fields it doesn't know (patch directives, nulls) and turns timestamps into Dates.
 * Tests point the same class at the simulated cluster or a real control plane.
 */
export class KubeCluster implements Cluster {
  readonly namespace: string;
  readonly server: string;
  private readonly transport: Transport;

  constructor(
    access: ClusterAccess,
    private readonly retry: RetryOptions = {},
  ) {
    this.transport = access.transport;
    this.namespace = access.namespace;
    this.server = access.transport.server;
  }

  private url(path: string, query: Query = {}): URL {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /** One HTTP request with the transport's credentials; JSON answer, or text when `text` is set. */
  async request<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: {
      query?: Query;
      body?: unknown;
      contentType?: string;
      text?: boolean;
      signal?: AbortSignal;
    } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (options.body !== undefined) headers['Content-Type'] = options.contentType ?? 'application/json';
    const response = await this.transport.request({
      method,
      url: this.url(path, options.query),
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
    if (!isOk(response.status)) throw statusError(response.status, response.body, response.headers);
    const raw = response.body;
    return (options.text ? raw : raw ? JSON.parse(raw) : undefined) as T;
  }

  /** A streaming GET (a watch): the body's text chunks once the server answered 2xx. */
  async stream(path: string, query: Query, signal: AbortSignal): Promise<AsyncIterable<string>> {
    const response = await this.transport.stream({
      method: 'GET',
      url: this.url(path, query),
      headers: { Accept: 'application/json' },
      signal,
    });
    if (isOk(response.status)) return response.chunks;
    let text = '';
    for await (const chunk of response.chunks) text += chunk;
    throw statusError(response.status, text, response.headers);
  }

  private target(verb: string, kind: string, name?: string, namespace?: string): RequestTarget {
    const info = resourceInfo(kind);
    return {
      verb,
      resource: info.plural,
      name,
      namespace: info.namespaced ? (namespace ?? this.namespace) : undefined,
    };
  }

  private run<T>(fn: () => Promise<T>, target: RequestTarget): Promise<T> {
    return withRetry(fn, target, this.retry, this.server);
  }

  private pathOf(ref: { apiVersion: string; kind: string; name?: string; namespace?: string }): string {
    return resourcePath(ref.apiVersion, ref.kind, ref.namespace ?? this.namespace, ref.name);
  }

  private withNamespace<T extends KubernetesObject>(obj: T): T {
    if (!resourceInfo(obj.kind ?? '').namespaced || obj.metadata?.namespace) return obj;
    return { ...obj, metadata: { ...obj.metadata, namespace: this.namespace } };
  }

  /** The object, or undefined when it doesn't exist. */
  async get<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined> {
    try {
      return await this.run(
        () => this.request<T>('GET', this.pathOf(ref)),
        this.target('get', ref.kind, ref.name, ref.namespace),
      );
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async list<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    options: ListOptions = {},
  ): Promise<{ items: T[]; resourceVersion: string }> {
    const namespace = options.namespace ?? this.namespace;
    const list = await this.run(
      () =>
        this.request<{ items: T[]; metadata?: { resourceVersion?: string } }>(
          'GET',
          this.pathOf({ apiVersion, kind, namespace }),
          {
            query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector },
          },
        ),
      this.target('list', kind, undefined, namespace),
    );
    // List items carry no apiVersion/kind; fill them in so items can be written back as they are.
    const items = (list.items ?? []).map((item) => ({ apiVersion, kind, ...item }));
    return { items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  async create<T extends KubernetesObject>(obj: T, options: WriteOptions = {}): Promise<T> {
    const o = this.withNamespace(obj);
    return this.run(
      () =>
        this.request<T>(
          'POST',
          this.pathOf({
            apiVersion: o.apiVersion ?? '',
            kind: o.kind ?? '',
            namespace: o.metadata?.namespace,
          }),
          {
            body: o,
            query: { fieldManager: FIELD_MANAGER, dryRun: options.dryRun ? 'All' : undefined },
          },
        ),
      this.target('create', o.kind ?? '', o.metadata?.name, o.metadata?.namespace),
    );
  }

  /** PUT: fails with 409 Conflict when metadata.resourceVersion is stale. */
  async replace<T extends KubernetesObject>(obj: T, options: WriteOptions = {}): Promise<T> {
    const o = this.withNamespace(obj);
    const ref = refOf(o);
    return this.run(
      () =>
        this.request<T>('PUT', this.pathOf(ref), {
          body: o,
          query: { fieldManager: FIELD_MANAGER, dryRun: options.dryRun ? 'All' : undefined },
        }),
      this.target('update', ref.kind, ref.name, ref.namespace),
    );
  }

  /** PUT to the status subresource (status is ignored by a plain update where the API has a subresource). */
  async replaceStatus<T extends KubernetesObject>(obj: T): Promise<T> {
    const ref = refOf(this.withNamespace(obj));
    return this.run(
      () =>
        this.request<T>('PUT', `${this.pathOf(ref)}/status`, {
          body: obj,
          query: { fieldManager: FIELD_MANAGER },
        }),
      this.target('update', `${ref.kind}`, `${ref.name}/status`, ref.namespace),
    );
  }

  async patch<T extends KubernetesObject>(
    ref: ObjectRef,
    body: unknown,
    type: PatchType = 'merge',
    options: WriteOptions = {},
  ): Promise<T> {
    return this.run(
      () =>
        this.request<T>('PATCH', this.pathOf(ref), {
          body,
          contentType: CONTENT_TYPE[type],
          query: { fieldManager: FIELD_MANAGER, dryRun: options.dryRun ? 'All' : undefined },
        }),
      this.target('patch', ref.kind, ref.name, ref.namespace),
    );
  }

  /**
   * Create-or-update of a rendered object: patch it onto the live object (strategic merge for built-in
   * kinds, merge patch for custom resources, which reject strategic merge), create it when missing.
   * Idempotent, so a resumed release can apply the same manifest again.
   */
  async apply<T extends KubernetesObject>(obj: T, options: WriteOptions = {}): Promise<T> {
    const o = this.withNamespace(obj);
    const ref = refOf(o);
    const type: PatchType = resourceInfo(ref.kind).builtin ? 'strategic' : 'merge';
    const { status: _status, ...body } = o as T & { status?: unknown };
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.patch<T>(ref, body, type, options);
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
      try {
        return await this.create(o, options);
      } catch (err) {
        // Someone created it between our patch and our create: patch again.
        if (statusOf(err) !== 409 || attempt >= 2) throw err;
      }
    }
  }

  /** Deletes; resolves false when the object was already gone. */
  async delete(
    ref: ObjectRef,
    propagationPolicy: 'Foreground' | 'Background' | 'Orphan' = 'Background',
  ): Promise<boolean> {
    try {
      await this.run(
        () =>
          this.request('DELETE', this.pathOf(ref), {
            body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy },
          }),
        this.target('delete', ref.kind, ref.name, ref.namespace),
      );
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  /**
   * Read-modify-write with optimistic concurrency: reads the object, lets `change` edit a copy, PUTs it,
   * and on 409 Conflict starts again from a fresh read. `change` returning undefined means "nothing to do".
   */
  async mutate<T extends KubernetesObject>(
    ref: ObjectRef,
    change: (current: T) => T | undefined,
  ): Promise<T | undefined> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const current = await this.get<T>(ref);
      if (!current) return undefined;
      const next = change(structuredClone(current));
      if (!next) return current;
      try {
        return await this.replace(next);
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
      }
    }
    throw new KubeError(
      `update ${resourceInfo(ref.kind).plural}/${ref.name} kept conflicting with other writers (${MAX_CONFLICT_RETRIES} attempts)`,
      409,
      'Conflict',
      5,
    );
  }

  /** Last lines of a pod's log ('' when the container has none yet). */
  async podLogs(
    name: string,
    options: { namespace?: string; container?: string; tailLines?: number; previous?: boolean } = {},
  ): Promise<string> {
    const namespace = options.namespace ?? this.namespace;
    try {
      return await this.run(
        () =>
          this.request<string>('GET', `${resourcePath('v1', 'Pod', namespace, name)}/log`, {
            text: true,
            query: {
              container: options.container,
              tailLines: options.tailLines ?? 20,
              previous: options.previous,
            },
          }),
        { verb: 'get', resource: 'pods/log', name, namespace },
      );
    } catch (err) {
      // No log yet (container never started) is an answer, not a failure.
      if (statusOf(err) === 400 || statusOf(err) === 404) return '';
      throw err;
    }
  }

  /** List-then-watch that survives dropped connections and 410 Gone; runs until the signal aborts. */
  watch<T extends KubernetesObject>(
    query: WatchQuery,
    onEvent: WatchHandler<T>,
    signal: AbortSignal,
  ): Promise<void> {
    return watchObjects(this, query, onEvent, signal);
  }
}
