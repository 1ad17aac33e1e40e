// Helpers shared by the workload controllers, after kubernetes' pkg/controller (controller_utils.go) and
// pkg/api/v1/pod: owner references, pod readiness and availability.
import type { KubeObject, OwnerReference } from '../store.js';

export function controllerRef(o: KubeObject): OwnerReference | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller);
}

export function ownerRefTo(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion!,
    kind: owner.kind!,
    name: owner.metadata.name,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function readyCondition(pod: KubeObject): { status: string; lastTransitionTime?: string } | undefined {
  return pod.status?.conditions?.find((c: { type: string }) => c.type === 'Ready');
}

export function isPodReady(pod: KubeObject): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** Ready for at least minReadySeconds (timestamps have second precision, as in the API). */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (!minReadySeconds) return true;
  const since = Date.parse(readyCondition(pod)?.lastTransitionTime ?? '');
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now;
}

/** Not terminated and not being deleted (controller.IsPodActive). */
export function isPodActive(pod: KubeObject): boolean {
  return (
    pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed' && !pod.metadata.deletionTimestamp
  );
}
