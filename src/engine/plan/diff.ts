// The plan's diff against a cluster: the live objects against the API server's server-side dry run of
// the plan's manifests (dryRun=All persists nothing).

import type { Cluster } from '../../core/cluster.js';
import { refOf } from '../../core/cluster.js';
import type { Manifest } from '../../manifests/render.js';
export interface ObjectDiff {
  object: string;
  action: 'create' | 'update' | 'unchanged' | 'error';
  changes: string[];
}

/** Metadata the API server owns: never part of what a release changes. */
const NOISE = new Set([
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
]);

/** Structural diff of two JSON values as `path: old → new` lines (status and server-owned metadata ignored). */
export function diffObjects(before: unknown, after: unknown, path = ''): string[] {
  if (path === 'status' || NOISE.has(path.replace(/^metadata\./, ''))) return [];
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((b, i) => diffObjects(b, after[i], `${path}[${i}]`));
  }
  if (isObj(before) && isObj(after) && !Array.isArray(before) && !Array.isArray(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffObjects(before[k], after[k], path ? `${path}.${k}` : k));
  }
  const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
  return [`${path}: ${show(before)} → ${show(after)}`];
}

/** Live object vs the API server's dry-run result of applying the manifest. Reads only. */
export async function diffAgainstCluster(
  cluster: Cluster,
  manifests: readonly Manifest[],
): Promise<ObjectDiff[]> {
  return Promise.all(
    manifests.map(async (m): Promise<ObjectDiff> => {
      const object = `${m.kind}/${m.metadata.name}`;
      try {
        const live = await cluster.get(refOf(m));
        const dry = await cluster.apply(m, { dryRun: true });
        if (!live) return { object, action: 'create', changes: [] };
        const changes = diffObjects(live, dry);
        return { object, action: changes.length ? 'update' : 'unchanged', changes };
      } catch (err) {
        return { object, action: 'error', changes: [(err as Error).message] };
      }
    }),
  );
}
