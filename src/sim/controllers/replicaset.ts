// The ReplicaSet controller, after kubernetes' pkg/controller/replicaset: keep `spec.replicas` active pods
// (creating from the template, deleting the least valuable first — unscheduled, pending, not ready, most
// recently ready, most restarted, newest), adopt matching orphans, and report replicas / fullyLabeled /
// ready / available / observedGeneration. Requeues itself when minReadySeconds will make a pod available.
import type { SimApi } from '../api.js';
import { canonical, copyJson } from '../json.js';
import { resourceByName } from '../resources.js';
import { fromLabelSelector, matchesLabels } from '../selectors.js';
import type { KubeObject } from '../store.js';
import type { EventRecorder } from './events.js';
import {
  controllerRef,
  isPodActive,
  isPodAvailable,
  isPodReady,
  ownerRefTo,
  readyCondition,
} from './util.js';

const PODS = resourceByName('pods');
const REPLICASETS = resourceByName('replicasets');

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** controller.ActivePodsWithRanks ordering: pods to delete first sort first. */
export function deletionOrder(a: KubeObject, b: KubeObject): number {
  const assigned = (p: KubeObject) => (p.spec?.nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const phase = (p: KubeObject) => PHASE_RANK[p.status?.phase] ?? 1;
  if (phase(a) !== phase(b)) return phase(a) - phase(b);
  const ready = (p: KubeObject) => (isPodReady(p) ? 1 : 0);
  if (ready(a) !== ready(b)) return ready(a) - ready(b);
  if (ready(a) && ready(b)) {
    const since = (p: KubeObject) => Date.parse(readyCondition(p)?.lastTransitionTime ?? '') || 0;
    if (since(a) !== since(b)) return since(b) - since(a);
  }
  const restarts = (p: KubeObject) =>
    (p.status?.containerStatuses ?? []).reduce(
      (n: number, c: { restartCount?: number }) => Math.max(n, c.restartCount ?? 0),
      0,
    );
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const created = (p: KubeObject) => Date.parse(p.metadata.creationTimestamp ?? '') || 0;
  if (created(a) !== created(b)) return created(b) - created(a);
  return a.metadata.name < b.metadata.name ? 1 : -1;
}

export class ReplicaSetController {
  constructor(
    private readonly api: SimApi,
    private readonly events: EventRecorder,
    private readonly now: () => number,
    private readonly keepFailedPods: number,
    /** Re-run the sync of a ReplicaSet after `ms` of clock time. */
    private readonly requeueAfter: (key: string, ms: number) => void,
  ) {}

  /** Pods this ReplicaSet owns, adopting matching orphans and releasing owned pods that no longer match. */
  private claimPods(rs: KubeObject): KubeObject[] {
    const selector = fromLabelSelector(rs.spec.selector);
    const owned: KubeObject[] = [];
    for (const pod of this.api.scan(PODS, rs.metadata.namespace)) {
      const ref = controllerRef(pod);
      const match = matchesLabels(selector, pod.metadata.labels);
      if (ref?.uid === rs.metadata.uid) {
        if (match) owned.push(pod);
        else
          this.api.update(PODS, pod.metadata.namespace, pod.metadata.name, {
            ...pod,
            metadata: {
              ...pod.metadata,
              ownerReferences: pod.metadata.ownerReferences!.filter((r) => r.uid !== rs.metadata.uid),
            },
          });
      } else if (!ref && match && !pod.metadata.deletionTimestamp) {
        const adopted = this.api.update(PODS, pod.metadata.namespace, pod.metadata.name, {
          ...pod,
          metadata: {
            ...pod.metadata,
            ownerReferences: [...(pod.metadata.ownerReferences ?? []), ownerRefTo(rs)],
          },
        });
        owned.push(adopted);
      }
    }
    return owned;
  }

  sync(namespace: string, name: string): void {
    const rs = this.api.find(REPLICASETS, namespace, name);
    if (!rs || rs.metadata.deletionTimestamp) return;
    let pods = this.claimPods(rs);
    let active = pods.filter(isPodActive);
    const diff = active.length - rs.spec.replicas;
    if (diff < 0) {
      for (let i = 0; i < -diff; i++) {
        const tpl = rs.spec.template;
        const pod = this.api.create(PODS, namespace, {
          metadata: {
            generateName: `${name}-`,
            namespace,
            labels: { ...tpl.metadata?.labels },
            ...(tpl.metadata?.annotations ? { annotations: { ...tpl.metadata.annotations } } : {}),
            ownerReferences: [ownerRefTo(rs)],
          },
          spec: copyJson(tpl.spec),
        });
        this.events.record(
          rs,
          'Normal',
          'SuccessfulCreate',
          `Created pod: ${pod.metadata.name}`,
          'replicaset-controller',
        );
        pods.push(pod);
      }
    } else if (diff > 0) {
      for (const pod of [...active].sort(deletionOrder).slice(0, diff)) {
        this.api.delete(PODS, namespace, pod.metadata.name);
        this.events.record(
          rs,
          'Normal',
          'SuccessfulDelete',
          `Deleted pod: ${pod.metadata.name}`,
          'replicaset-controller',
        );
        pods = pods.filter((p) => p.metadata.uid !== pod.metadata.uid);
      }
    }
    this.collectFailedPods(pods);
    active = pods.filter(isPodActive);
    this.updateStatus(rs, active);
  }

  /** PodGC's job, scaled down: terminated pods beyond `keepFailedPods` per ReplicaSet go, oldest first. */
  private collectFailedPods(pods: KubeObject[]): void {
    const failed = pods
      .filter((p) => p.status?.phase === 'Failed')
      .sort((a, b) => (a.metadata.creationTimestamp! < b.metadata.creationTimestamp! ? -1 : 1));
    for (const pod of failed.slice(0, Math.max(0, failed.length - this.keepFailedPods))) {
      this.api.delete(PODS, pod.metadata.namespace, pod.metadata.name);
    }
  }

  private updateStatus(rs: KubeObject, active: KubeObject[]): void {
    const now = this.now();
    const templateLabels = rs.spec.template?.metadata?.labels ?? {};
    const minReady = rs.spec.minReadySeconds ?? 0;
    const ready = active.filter(isPodReady);
    const available = ready.filter((p) => isPodAvailable(p, minReady, now));
    const status = {
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) =>
        Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v),
      ).length,
      readyReplicas: ready.length,
      availableReplicas: available.length,
      observedGeneration: rs.metadata.generation,
      ...(rs.status?.conditions?.length ? { conditions: rs.status.conditions } : {}),
    };
    const latest = this.api.get(REPLICASETS, rs.metadata.namespace, rs.metadata.name);
    if (canonical(latest.status ?? {}) !== canonical(status)) {
      this.api.update(REPLICASETS, rs.metadata.namespace, rs.metadata.name, { ...latest, status }, 'status');
    }
    // A ready pod becomes available minReadySeconds later without any object changing: check again then.
    if (minReady && available.length < ready.length) {
      const next = Math.min(
        ...ready
          .filter((p) => !available.includes(p))
          .map((p) => Date.parse(readyCondition(p)?.lastTransitionTime ?? '') + minReady * 1000),
      );
      this.requeueAfter(`${rs.metadata.namespace}/${rs.metadata.name}`, Math.max(1, next - now));
    }
  }
}
