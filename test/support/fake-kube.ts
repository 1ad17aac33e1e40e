import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeObjects, ObjectRef } from '../../src/traffic/aws-routers.js';

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const keyOf = (r: { kind?: string; namespace?: string; name?: string }) =>
  `${r.kind}/${r.namespace}/${r.name}`;

/** An in-memory KubeObjects (the slice of src/kube's Cluster the AWS routers use), recording every write. */
export class FakeKube implements KubeObjects {
  readonly objects = new Map<string, KubernetesObject>();
  readonly writes: { verb: 'patch' | 'apply'; ref: string; body: unknown }[] = [];

  add(obj: KubernetesObject): void {
    this.objects.set(
      keyOf({ kind: obj.kind, namespace: obj.metadata?.namespace, name: obj.metadata?.name }),
      structuredClone(obj),
    );
  }

  find(kind: string, namespace: string, name: string): KubernetesObject | undefined {
    return this.objects.get(keyOf({ kind, namespace, name }));
  }

  async get<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined> {
    const obj = this.objects.get(keyOf(ref));
    return obj ? (structuredClone(obj) as T) : undefined;
  }

  async patch<T extends KubernetesObject>(ref: ObjectRef, body: unknown): Promise<T> {
    const key = keyOf(ref);
    const current = this.objects.get(key);
    if (!current) throw Object.assign(new Error(`${key} not found`), { code: 404 });
    this.writes.push({ verb: 'patch', ref: key, body });
    const next = mergePatch(current, body) as T;
    this.objects.set(key, next);
    return structuredClone(next);
  }

  async apply<T extends KubernetesObject>(obj: T): Promise<T> {
    const key = keyOf({ kind: obj.kind, namespace: obj.metadata?.namespace, name: obj.metadata?.name });
    this.writes.push({ verb: 'apply', ref: key, body: obj });
    this.objects.set(key, structuredClone(obj));
    return obj;
  }
}
