// The Deployment controller, following kubernetes' pkg/controller/deployment (sync.go, rolling.go,
// recreate.go, progress.go and util/deployment_util.go): ReplicaSets named `<deployment>-<pod-template-hash>`,
// revisions and revision history, maxSurge/maxUnavailable (surge rounds up, unavailable down), proportional
// scaling, paused deployments, revisionHistoryLimit clean-up, and the Progressing/Available conditions with
// their upstream reasons and messages, including ProgressDeadlineExceeded on the injected clock.
import type { SimApi } from '../api.js';
import { canonical, copyJson } from '../json.js';
import { resourceByName } from '../resources.js';
import { fromLabelSelector, matchesLabels } from '../selectors.js';
import type { KubeObject } from '../store.js';
import type { EventRecorder } from './events.js';
import { controllerRef, isPodActive, ownerRefTo } from './util.js';

const DEPLOYMENTS = resourceByName('deployments');
const REPLICASETS = resourceByName('replicasets');
const PODS = resourceByName('pods');

export const REVISION = 'deployment.kubernetes.io/revision';
const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const HASH_LABEL = 'pod-template-hash';
/** Annotations never copied from a Deployment to its ReplicaSets (annotationsToSkip). */
const SKIP_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);

type Condition = {
  type: string;
  status: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
};
// biome-ignore lint/suspicious/noExplicitAny: deployment status is open-ended JSON.
type Status = any;

/** intstr.GetScaledValueFromIntOrPercent. */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const pct = Number(v.replace('%', ''));
  const raw = (pct * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

function isRolling(d: KubeObject): boolean {
  return (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** ResolveFenceposts: maxSurge rounds up, maxUnavailable down; both 0 would deadlock, so unavailable becomes 1. */
export function fenceposts(d: KubeObject): { surge: number; unavailable: number } {
  const ru = d.spec.strategy?.rollingUpdate ?? {};
  const surge = scaledValue(ru.maxSurge, d.spec.replicas, true);
  let unavailable = scaledValue(ru.maxUnavailable, d.spec.replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

function maxSurge(d: KubeObject): number {
  return isRolling(d) ? fenceposts(d).surge : 0;
}

function maxUnavailable(d: KubeObject): number {
  if (!isRolling(d) || d.spec.replicas === 0) return 0;
  return Math.min(fenceposts(d).unavailable, d.spec.replicas);
}

function revisionOf(rs: KubeObject | undefined): number {
  return Number(rs?.metadata.annotations?.[REVISION] ?? 0) || 0;
}

const sumSpec = (rss: KubeObject[]) => rss.reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0);
const sumStatus = (rss: KubeObject[], field: string) =>
  rss.reduce((n, rs) => n + (rs.status?.[field] ?? 0), 0);
const byCreation = (a: KubeObject, b: KubeObject) =>
  a.metadata.creationTimestamp === b.metadata.creationTimestamp
    ? a.metadata.name < b.metadata.name
      ? -1
      : 1
    : a.metadata.creationTimestamp! < b.metadata.creationTimestamp!
      ? -1
      : 1;

/**
 * controller.ComputeHash: FNV-1a (32 bit) of the template and collisionCount, written in the
 * SafeEncodeString alphabet. Upstream hashes Go's printed form, so the values differ from a real cluster's
 * but have the same shape and the same stability.
 */
export function podTemplateHash(template: unknown, collisionCount?: number): string {
  let h = 0x811c9dc5;
  const text = canonical(template) + (collisionCount ? String(collisionCount) : '');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...String(h)].map((c) => alphabet[c.charCodeAt(0) % alphabet.length]).join('');
}

function withoutHash(template: KubeObject['spec']): string {
  const t = copyJson(template ?? {});
  if (t.metadata?.labels) delete t.metadata.labels[HASH_LABEL];
  return canonical(t);
}

/** FindNewReplicaSet (the oldest RS whose template equals the deployment's, ignoring the hash) and the rest. */
function splitReplicaSets(
  d: KubeObject,
  rsList: KubeObject[],
): { existing?: KubeObject; oldRSs: KubeObject[] } {
  const sorted = [...rsList].sort(byCreation);
  const wanted = withoutHash(d.spec.template);
  const existing = sorted.find((rs) => withoutHash(rs.spec.template) === wanted);
  return { existing, oldRSs: sorted.filter((rs) => rs !== existing) };
}

function newCondition(type: string, status: string, reason: string, message: string, now: string): Condition {
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

function getCondition(status: Status, type: string): Condition | undefined {
  return status?.conditions?.find((c: Condition) => c.type === type);
}

/** SetDeploymentCondition: same status and reason is a no-op; same status keeps lastTransitionTime. */
function setCondition(status: Status, c: Condition): void {
  const current = getCondition(status, c.type);
  if (current && current.status === c.status && current.reason === c.reason) return;
  if (current && current.status === c.status) c.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((x: Condition) => x.type !== c.type), c];
}

function removeCondition(status: Status, type: string): void {
  status.conditions = (status.conditions ?? []).filter((x: Condition) => x.type !== type);
}

function hasProgressDeadline(d: KubeObject): boolean {
  const p = d.spec.progressDeadlineSeconds;
  return p !== undefined && p !== null && p !== 2147483647;
}

function deploymentComplete(d: KubeObject, s: Status): boolean {
  const r = d.spec.replicas;
  return (
    s.updatedReplicas === r &&
    s.replicas === r &&
    s.availableReplicas === r &&
    s.observedGeneration >= (d.metadata.generation ?? 0)
  );
}

function deploymentProgressing(d: KubeObject, s: Status): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = s.replicas - s.updatedReplicas;
  return (
    s.updatedReplicas > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    s.readyReplicas > (old.readyReplicas ?? 0) ||
    s.availableReplicas > (old.availableReplicas ?? 0)
  );
}

export class DeploymentController {
  constructor(
    private readonly api: SimApi,
    private readonly events: EventRecorder,
    private readonly now: () => number,
    /** Re-run the sync of a deployment after `ms` of clock time (progress-deadline checks). */
    private readonly requeueAfter: (key: string, ms: number) => void,
  ) {}

  /** The ReplicaSets a deployment controls, adopting orphans its selector matches and releasing strays. */
  private claimReplicaSets(d: KubeObject): KubeObject[] {
    const selector = fromLabelSelector(d.spec.selector);
    const owned: KubeObject[] = [];
    for (const rs of this.api.list(REPLICASETS, d.metadata.namespace)) {
      const ref = controllerRef(rs);
      const match = matchesLabels(selector, rs.metadata.labels);
      if (ref?.uid === d.metadata.uid) {
        if (match) owned.push(rs);
        else
          this.writeRs({
            ...rs,
            metadata: {
              ...rs.metadata,
              ownerReferences: rs.metadata.ownerReferences!.filter((r) => r.uid !== d.metadata.uid),
            },
          });
      } else if (!ref && match && !rs.metadata.deletionTimestamp) {
        owned.push(
          this.writeRs({
            ...rs,
            metadata: {
              ...rs.metadata,
              ownerReferences: [...(rs.metadata.ownerReferences ?? []), ownerRefTo(d)],
            },
          }),
        );
      }
    }
    return owned;
  }

  private writeRs(rs: KubeObject): KubeObject {
    return this.api.update(REPLICASETS, rs.metadata.namespace, rs.metadata.name, rs);
  }

  /** UpdateStatus of a deployment; annotations travel with it, as the apps status strategy allows. */
  private writeStatus(d: KubeObject): KubeObject {
    return this.api.update(DEPLOYMENTS, d.metadata.namespace, d.metadata.name, d, 'status');
  }

  sync(namespace: string, name: string): void {
    let d = this.api.find(DEPLOYMENTS, namespace, name);
    if (!d || d.metadata.deletionTimestamp) return;
    const rsList = this.claimReplicaSets(d);
    d = this.checkPausedConditions(d);
    if (d.spec.paused) {
      this.syncScale(d, rsList);
      return;
    }
    if (this.isScalingEvent(d, rsList)) {
      this.syncScale(d, rsList);
      return;
    }
    if (isRolling(d)) this.rolloutRolling(d, rsList);
    else this.rolloutRecreate(d, rsList);
  }

  private checkPausedConditions(d: KubeObject): KubeObject {
    if (!hasProgressDeadline(d)) return d;
    const cond = getCondition(d.status, 'Progressing');
    if (cond?.reason === 'ProgressDeadlineExceeded') return d;
    const pausedExists = cond?.reason === 'DeploymentPaused';
    const now = this.api.now();
    const status = copyJson(d.status ?? {});
    if (d.spec.paused && !pausedExists)
      setCondition(
        status,
        newCondition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', now),
      );
    else if (!d.spec.paused && pausedExists)
      setCondition(
        status,
        newCondition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed', now),
      );
    else return d;
    return this.writeStatus({ ...d, status });
  }

  /** getAllReplicaSetsAndSyncRevision: the new RS (created when asked) and the old ones, syncing revisions. */
  private getAll(
    d: KubeObject,
    rsList: KubeObject[],
    create: boolean,
  ): { d: KubeObject; newRS?: KubeObject; oldRSs: KubeObject[] } {
    const { existing, oldRSs } = splitReplicaSets(d, rsList);
    const newRevision = String(Math.max(0, ...oldRSs.map(revisionOf)) + 1);
    const now = this.api.now();
    if (existing) {
      const rs = copyJson(existing);
      const annotationsChanged = this.setNewRsAnnotations(d, rs, newRevision, true);
      if (annotationsChanged || (rs.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0)) {
        rs.spec.minReadySeconds = d.spec.minReadySeconds ?? 0;
        return { d, newRS: this.writeRs(rs), oldRSs };
      }
      let needsUpdate = this.setDeploymentRevision(d, rs.metadata.annotations![REVISION]!);
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        d.status = { ...d.status };
        setCondition(
          d.status,
          newCondition(
            'Progressing',
            'True',
            'FoundNewReplicaSet',
            `Found new replica set "${rs.metadata.name}"`,
            now,
          ),
        );
        needsUpdate = true;
      }
      return { d: needsUpdate ? this.writeStatus(d) : d, newRS: rs, oldRSs };
    }
    if (!create) return { d, oldRSs };
    const hash = podTemplateHash(d.spec.template, d.status?.collisionCount);
    const template = copyJson(d.spec.template);
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata?.labels, [HASH_LABEL]: hash },
    };
    const selector = copyJson(d.spec.selector);
    selector.matchLabels = { ...selector.matchLabels, [HASH_LABEL]: hash };
    const rs: KubeObject = {
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: template.metadata.labels,
        ownerReferences: [ownerRefTo(d)],
      },
      spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    rs.spec.replicas = this.newRsReplicas(d, [...oldRSs, rs], rs);
    this.setNewRsAnnotations(d, rs, newRevision, false);
    const created = this.api.create(REPLICASETS, d.metadata.namespace, rs);
    if (rs.spec.replicas > 0) {
      this.events.record(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${created.metadata.name} from 0 to ${rs.spec.replicas}`,
        'deployment-controller',
      );
    }
    this.setDeploymentRevision(d, newRevision);
    if (hasProgressDeadline(d)) {
      d.status = { ...d.status };
      setCondition(
        d.status,
        newCondition(
          'Progressing',
          'True',
          'NewReplicaSetCreated',
          `Created new replica set "${created.metadata.name}"`,
          now,
        ),
      );
    }
    return { d: this.writeStatus(d), newRS: created, oldRSs };
  }

  private setDeploymentRevision(d: KubeObject, revision: string): boolean {
    if (d.metadata.annotations?.[REVISION] === revision) return false;
    d.metadata.annotations = { ...d.metadata.annotations, [REVISION]: revision };
    return true;
  }

  private setNewRsAnnotations(d: KubeObject, rs: KubeObject, newRevision: string, exists: boolean): boolean {
    const ann: Record<string, string> = { ...rs.metadata.annotations };
    let changed = false;
    for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
      if (SKIP_ANNOTATIONS.has(k) || ann[k] === v) continue;
      ann[k] = v;
      changed = true;
    }
    const had = ann[REVISION];
    const oldRev = Number(had ?? 0) || 0;
    if (oldRev < Number(newRevision)) {
      ann[REVISION] = newRevision;
      changed = true;
      // Rolling back to this ReplicaSet: keep the revisions it had before.
      if (had !== undefined)
        ann[REVISION_HISTORY] = ann[REVISION_HISTORY] ? `${ann[REVISION_HISTORY]},${had}` : had;
    }
    rs.metadata.annotations = ann;
    if (!exists && this.setReplicasAnnotations(rs, d)) changed = true;
    return changed;
  }

  private setReplicasAnnotations(rs: KubeObject, d: KubeObject): boolean {
    const desired = String(d.spec.replicas);
    const max = String(d.spec.replicas + maxSurge(d));
    const ann = rs.metadata.annotations ?? {};
    if (ann[DESIRED_REPLICAS] === desired && ann[MAX_REPLICAS] === max) return false;
    rs.metadata.annotations = { ...ann, [DESIRED_REPLICAS]: desired, [MAX_REPLICAS]: max };
    return true;
  }

  /** NewRSNewReplicas for RollingUpdate; Recreate scales the new RS straight to spec.replicas. */
  private newRsReplicas(d: KubeObject, allRSs: KubeObject[], newRS: KubeObject): number {
    if (!isRolling(d)) return d.spec.replicas;
    const maxTotal = d.spec.replicas + maxSurge(d);
    const current = sumSpec(allRSs);
    if (current >= maxTotal) return newRS.spec.replicas;
    const up = Math.min(maxTotal - current, d.spec.replicas - newRS.spec.replicas);
    return newRS.spec.replicas + up;
  }

  /** scaleReplicaSetAndRecordEvent; returns the updated RS and whether its size changed. */
  private scaleRs(
    rs: KubeObject,
    to: number,
    d: KubeObject,
    operation?: 'up' | 'down',
  ): { scaled: boolean; rs: KubeObject } {
    const from = rs.spec.replicas;
    const copy = copyJson(rs);
    const annotationsChanged = this.setReplicasAnnotations(copy, d);
    if (from === to && !annotationsChanged) return { scaled: false, rs };
    copy.spec.replicas = to;
    const updated = this.writeRs(copy);
    if (from !== to) {
      const op = operation ?? (from < to ? 'up' : 'down');
      this.events.record(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${op} replica set ${rs.metadata.name} from ${from} to ${to}`,
        'deployment-controller',
      );
    }
    return { scaled: from !== to, rs: updated };
  }

  /** isScalingEvent, without getAll's revision bookkeeping (so the sync that follows works on fresh objects). */
  private isScalingEvent(d: KubeObject, rsList: KubeObject[]): boolean {
    const { existing, oldRSs } = splitReplicaSets(d, rsList);
    for (const rs of [...oldRSs, ...(existing ? [existing] : [])]) {
      if (rs.spec.replicas === 0) continue;
      const desired = rs.metadata.annotations?.[DESIRED_REPLICAS];
      if (desired !== undefined && Number(desired) !== d.spec.replicas) return true;
    }
    return false;
  }

  /** `sync`: scaling events and paused deployments. */
  private syncScale(d0: KubeObject, rsList: KubeObject[]): void {
    const { d, newRS, oldRSs } = this.getAll(d0, rsList, false);
    this.scale(d, newRS, oldRSs);
    if (d.spec.paused) this.cleanup(d, oldRSs);
    this.syncStatusOnly(d, newRS);
  }

  private scale(d: KubeObject, newRS: KubeObject | undefined, oldRSs: KubeObject[]): void {
    const all = [...oldRSs, ...(newRS ? [newRS] : [])];
    const active = all.filter((rs) => rs.spec.replicas > 0);
    // FindActiveOrLatest: one active RS, or none and the newest one.
    const activeOrLatest =
      active.length === 1
        ? active[0]
        : active.length === 0
          ? (newRS ?? [...oldRSs].sort(byCreation).pop())
          : undefined;
    if (activeOrLatest) {
      if (activeOrLatest.spec.replicas !== d.spec.replicas) this.scaleRs(activeOrLatest, d.spec.replicas, d);
      return;
    }
    // IsSaturated: the new RS runs everything; old ones can go.
    if (
      newRS &&
      newRS.spec.replicas === d.spec.replicas &&
      Number(newRS.metadata.annotations?.[DESIRED_REPLICAS]) === d.spec.replicas &&
      (newRS.status?.availableReplicas ?? 0) === d.spec.replicas
    ) {
      for (const old of oldRSs.filter((rs) => rs.spec.replicas > 0)) this.scaleRs(old, 0, d);
      return;
    }
    if (!isRolling(d)) return;
    const allowed = d.spec.replicas > 0 ? d.spec.replicas + maxSurge(d) : 0;
    const toAdd = allowed - sumSpec(active);
    if (toAdd === 0) return;
    // Proportional scaling: bigger RSs first; newer first when scaling up, older first when scaling down.
    const ordered = [...active].sort((a, b) => {
      if (a.spec.replicas !== b.spec.replicas) return b.spec.replicas - a.spec.replicas;
      return toAdd > 0 ? -byCreation(a, b) : byCreation(a, b);
    });
    let added = 0;
    const sizes = new Map<string, number>();
    for (const rs of ordered) {
      const proportion = this.proportion(rs, d, toAdd, added);
      sizes.set(rs.metadata.name, rs.spec.replicas + proportion);
      added += proportion;
    }
    ordered.forEach((rs, i) => {
      let size = sizes.get(rs.metadata.name)!;
      if (i === 0) size = Math.max(0, size + toAdd - added);
      this.scaleRs(rs, size, d, toAdd > 0 ? 'up' : 'down');
    });
  }

  /** GetProportion / getReplicaSetFraction, using the RS's max-replicas annotation as the old total. */
  private proportion(rs: KubeObject, d: KubeObject, toAdd: number, added: number): number {
    if (rs.spec.replicas === 0 || toAdd === added) return 0;
    let fraction: number;
    if (d.spec.replicas === 0) fraction = -rs.spec.replicas;
    else {
      const total = d.spec.replicas + maxSurge(d);
      const annotated = Number(rs.metadata.annotations?.[MAX_REPLICAS] ?? d.status?.replicas ?? 0) || 1;
      fraction = Math.round((rs.spec.replicas * total) / annotated) - rs.spec.replicas;
    }
    const allowed = toAdd - added;
    return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
  }

  private rolloutRolling(d0: KubeObject, rsList: KubeObject[]): void {
    const { d, newRS, oldRSs } = this.getAll(d0, rsList, true);
    const newRs = newRS!;
    const all = [...oldRSs, newRs];
    // reconcileNewReplicaSet
    if (newRs.spec.replicas !== d.spec.replicas) {
      const target =
        newRs.spec.replicas > d.spec.replicas ? d.spec.replicas : this.newRsReplicas(d, all, newRs);
      const r = this.scaleRs(newRs, target, d);
      if (r.scaled) {
        this.syncRolloutStatus(d, [...oldRSs, r.rs], r.rs);
        return;
      }
    }
    if (this.reconcileOld(d, oldRSs, newRs)) {
      this.syncRolloutStatus(d, this.claimReplicaSets(d), newRs);
      return;
    }
    if (deploymentComplete(d, this.calculateStatus(d, all, newRs))) this.cleanup(d, oldRSs);
    this.syncRolloutStatus(d, all, newRs);
  }

  /** reconcileOldReplicaSets: clean up unhealthy old replicas, then scale old RSs down within maxUnavailable. */
  private reconcileOld(d: KubeObject, oldRSs: KubeObject[], newRS: KubeObject): boolean {
    const oldPods = sumSpec(oldRSs);
    if (oldPods === 0) return false;
    const allPods = oldPods + newRS.spec.replicas;
    const minAvailable = d.spec.replicas - maxUnavailable(d);
    const newUnavailable = newRS.spec.replicas - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    let olds = [...oldRSs].sort(byCreation);
    // cleanupUnhealthyReplicas
    let cleaned = 0;
    olds = olds.map((rs) => {
      if (cleaned >= maxScaledDown || rs.spec.replicas === 0) return rs;
      const unhealthy = rs.spec.replicas - (rs.status?.availableReplicas ?? 0);
      if (unhealthy <= 0) return rs;
      const down = Math.min(maxScaledDown - cleaned, unhealthy);
      cleaned += down;
      return this.scaleRs(rs, rs.spec.replicas - down, d).rs;
    });
    // scaleDownOldReplicaSetsForRollingUpdate
    const available = sumStatus([...olds, newRS], 'availableReplicas');
    let scaled = 0;
    if (available > minAvailable) {
      const total = available - minAvailable;
      for (const rs of olds) {
        if (scaled >= total) break;
        if (rs.spec.replicas === 0) continue;
        const down = Math.min(rs.spec.replicas, total - scaled);
        this.scaleRs(rs, rs.spec.replicas - down, d);
        scaled += down;
      }
    }
    return cleaned + scaled > 0;
  }

  private rolloutRecreate(d0: KubeObject, rsList: KubeObject[]): void {
    let { d, newRS, oldRSs } = this.getAll(d0, rsList, false);
    let scaledDown = false;
    for (const rs of oldRSs.filter((r) => r.spec.replicas > 0))
      scaledDown = this.scaleRs(rs, 0, d).scaled || scaledDown;
    if (scaledDown) {
      this.syncRolloutStatus(d, [...oldRSs, ...(newRS ? [newRS] : [])], newRS);
      return;
    }
    // oldPodsRunning: wait until the old pods are gone before starting new ones.
    const oldUids = new Set(oldRSs.map((rs) => rs.metadata.uid));
    const oldRunning = this.api
      .list(PODS, d.metadata.namespace)
      .some((p) => oldUids.has(controllerRef(p)?.uid) && isPodActive(p));
    if (oldRunning) {
      this.syncRolloutStatus(d, [...oldRSs, ...(newRS ? [newRS] : [])], newRS);
      return;
    }
    if (!newRS) ({ d, newRS, oldRSs } = this.getAll(d, rsList, true));
    const up = this.scaleRs(newRS!, d.spec.replicas, d);
    if (up.scaled) {
      this.syncRolloutStatus(d, [...oldRSs, up.rs], up.rs);
      return;
    }
    if (deploymentComplete(d, this.calculateStatus(d, [...oldRSs, newRS!], newRS))) this.cleanup(d, oldRSs);
    this.syncRolloutStatus(d, [...oldRSs, newRS!], newRS);
  }

  /** cleanupDeployment: delete the oldest idle ReplicaSets beyond revisionHistoryLimit. */
  private cleanup(d: KubeObject, oldRSs: KubeObject[]): void {
    const limit = d.spec.revisionHistoryLimit;
    if (limit === undefined || limit === null) return;
    const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = alive.length - limit;
    if (diff <= 0) return;
    const byRevision = [...alive].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of byRevision.slice(0, diff)) {
      const fresh = this.api.find(REPLICASETS, rs.metadata.namespace, rs.metadata.name);
      if (
        !fresh ||
        fresh.status?.replicas ||
        fresh.spec.replicas ||
        (fresh.metadata.generation ?? 0) > (fresh.status?.observedGeneration ?? 0)
      )
        continue;
      this.api.delete(REPLICASETS, rs.metadata.namespace, rs.metadata.name);
    }
  }

  private calculateStatus(d: KubeObject, all: KubeObject[], newRS: KubeObject | undefined): Status {
    const available = sumStatus(all, 'availableReplicas');
    const total = sumSpec(all);
    const status: Status = {
      observedGeneration: d.metadata.generation,
      replicas: sumStatus(all, 'replicas'),
      updatedReplicas: newRS ? (newRS.status?.replicas ?? 0) : 0,
      readyReplicas: sumStatus(all, 'readyReplicas'),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, total - available),
      conditions: copyJson(d.status?.conditions ?? []),
      ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
    };
    const now = this.api.now();
    if (available >= d.spec.replicas - maxUnavailable(d)) {
      setCondition(
        status,
        newCondition(
          'Available',
          'True',
          'MinimumReplicasAvailable',
          'Deployment has minimum availability.',
          now,
        ),
      );
    } else {
      setCondition(
        status,
        newCondition(
          'Available',
          'False',
          'MinimumReplicasUnavailable',
          'Deployment does not have minimum availability.',
          now,
        ),
      );
    }
    return status;
  }

  /** syncDeploymentStatus (scaling and paused paths): no Progressing bookkeeping. */
  private syncStatusOnly(d: KubeObject, newRS: KubeObject | undefined): void {
    const all = this.claimReplicaSets(d);
    const fresh = newRS ? all.find((rs) => rs.metadata.uid === newRS.metadata.uid) : undefined;
    const status = this.calculateStatus(d, all, fresh);
    if (canonical(status) !== canonical(d.status ?? {})) this.writeStatus({ ...d, status });
  }

  private syncRolloutStatus(d: KubeObject, all0: KubeObject[], newRS0: KubeObject | undefined): void {
    // Re-read the ReplicaSets: scaling above changed their specs.
    const all = all0
      .map((rs) => this.api.find(REPLICASETS, rs.metadata.namespace, rs.metadata.name))
      .filter((rs): rs is KubeObject => !!rs);
    const newRS = newRS0 ? all.find((rs) => rs.metadata.uid === newRS0.metadata.uid) : undefined;
    const status = this.calculateStatus(d, all, newRS);
    const now = this.api.now();
    if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
    const current = getCondition(d.status, 'Progressing');
    const complete =
      status.replicas === status.updatedReplicas && current?.reason === 'NewReplicaSetAvailable';
    const rsName = newRS?.metadata.name;
    if (hasProgressDeadline(d) && !complete) {
      if (deploymentComplete(d, status)) {
        const msg = rsName
          ? `ReplicaSet "${rsName}" has successfully progressed.`
          : `Deployment "${d.metadata.name}" has successfully progressed.`;
        setCondition(status, newCondition('Progressing', 'True', 'NewReplicaSetAvailable', msg, now));
      } else if (deploymentProgressing(d, status)) {
        const msg = rsName
          ? `ReplicaSet "${rsName}" is progressing.`
          : `Deployment "${d.metadata.name}" is progressing.`;
        const c = newCondition('Progressing', 'True', 'ReplicaSetUpdated', msg, now);
        if (current) {
          if (current.status === 'True') c.lastTransitionTime = current.lastTransitionTime;
          removeCondition(status, 'Progressing');
        }
        setCondition(status, c);
      } else if (this.timedOut(d)) {
        const msg = rsName
          ? `ReplicaSet "${rsName}" has timed out progressing.`
          : `Deployment "${d.metadata.name}" has timed out progressing.`;
        setCondition(status, newCondition('Progressing', 'False', 'ProgressDeadlineExceeded', msg, now));
      }
    }
    if (canonical(status) === canonical(d.status ?? {})) {
      this.requeueStuck(d, status);
      return;
    }
    this.writeStatus({ ...d, status });
  }

  private timedOut(d: KubeObject): boolean {
    if (!hasProgressDeadline(d)) return false;
    const c = getCondition(d.status, 'Progressing');
    if (!c || c.reason === 'NewReplicaSetAvailable') return false;
    if (c.reason === 'ProgressDeadlineExceeded') return true;
    return Date.parse(c.lastUpdateTime) + d.spec.progressDeadlineSeconds * 1000 < this.now();
  }

  /** requeueStuckDeployment: come back when the progress deadline would pass (+1 s, as upstream). */
  private requeueStuck(d: KubeObject, status: Status): void {
    const c = getCondition(d.status, 'Progressing');
    if (!hasProgressDeadline(d) || !c) return;
    if (deploymentComplete(d, status) || c.reason === 'ProgressDeadlineExceeded') return;
    const after = Date.parse(c.lastUpdateTime) + d.spec.progressDeadlineSeconds * 1000 - this.now();
    this.requeueAfter(`${d.metadata.namespace}/${d.metadata.name}`, after < 1000 ? 100 : after + 1000);
  }
}
