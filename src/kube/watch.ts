import type { KubernetesObject } from '@kubernetes/client-node';
import type { Cluster, WatchHandler, WatchQuery } from '../core/cluster.js';
import { statusOf } from './errors.js';
import { resourcePath } from './resources.js';
import { lines } from './transport.js';

/** What a watch needs of the HTTP cluster: a list, and a streaming GET. */
export type WatchSource = Pick<Cluster, 'namespace' | 'list'> & {
  stream(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    signal: AbortSignal,
  ): Promise<AsyncIterable<string>>;
};

const MAX_BACKOFF_MS = 5_000;
/** After this many failed reconnects in a row, re-list instead of resuming from the last resourceVersion. */
const RELIST_AFTER_FAILURES = 3;

interface WatchEnd {
  gone: boolean;
  error?: unknown;
}

/**
 * List, then watch from the list's resourceVersion; on a dropped connection resume from the last seen
 * resourceVersion, on 410 Gone (or repeated failures) re-list. Runs until `signal` aborts; list failures
 * that outlast the retries reject (the cluster is unreachable).
 */
export async function watchObjects<T extends KubernetesObject>(
  cluster: WatchSource,
  query: WatchQuery,
  onEvent: WatchHandler<T>,
  signal: AbortSignal,
): Promise<void> {
  const namespace = query.namespace ?? cluster.namespace;
  const path = resourcePath(query.apiVersion, query.kind, namespace);
  let resourceVersion: string | undefined;
  let failures = 0;
  while (!signal.aborted) {
    if (resourceVersion === undefined) {
      const list = await cluster.list<T>(query.apiVersion, query.kind, { ...query, namespace });
      if (signal.aborted) return;
      resourceVersion = list.resourceVersion;
      onEvent({ type: 'SYNC', objects: list.items });
    }
    let delivered = false;
    const end = await watchOnce<T>(
      cluster,
      path,
      query,
      resourceVersion,
      (rv) => {
        resourceVersion = rv;
        delivered = true;
        failures = 0;
      },
      onEvent,
      signal,
    );
    if (signal.aborted) return;
    if (end.gone) {
      resourceVersion = undefined;
      continue;
    }
    // A watch that ends without delivering anything counts as a failure, so a server that keeps closing
    // watches at once is retried with backoff instead of in a hot loop.
    if (end.error || !delivered) {
      failures++;
      if (failures >= RELIST_AFTER_FAILURES) resourceVersion = undefined;
      const backoff = Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures) * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }
}

/** One watch request, read to its end: newline-delimited JSON events, an ERROR event with code 410 meaning Gone. */
async function watchOnce<T extends KubernetesObject>(
  cluster: WatchSource,
  path: string,
  query: WatchQuery,
  resourceVersion: string,
  onResourceVersion: (rv: string) => void,
  onEvent: WatchHandler<T>,
  signal: AbortSignal,
): Promise<WatchEnd> {
  let gone = false;
  try {
    const chunks = await cluster.stream(
      path,
      {
        watch: true,
        resourceVersion,
        labelSelector: query.labelSelector,
        fieldSelector: query.fieldSelector,
        allowWatchBookmarks: true,
        // Servers end watches after this; we then resume from the last resourceVersion.
        timeoutSeconds: 240,
      },
      signal,
    );
    for await (const line of lines(chunks)) {
      const { type, object } = JSON.parse(line) as { type: string; object: unknown };
      if (type === 'ERROR') {
        gone = (object as { code?: number })?.code === 410;
        continue;
      }
      const rv = (object as KubernetesObject)?.metadata?.resourceVersion;
      if (rv) onResourceVersion(rv);
      if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
        onEvent({ type, object: { apiVersion: query.apiVersion, kind: query.kind, ...(object as T) } });
      }
    }
    return { gone };
  } catch (error) {
    // Aborting ends the stream with an AbortError: that is the caller stopping, not a failure.
    if (signal.aborted) return { gone };
    return { gone: gone || statusOf(error) === 410, error };
  }
}
