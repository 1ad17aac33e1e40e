// Watching a Deployment roll: a pure evaluation of "complete / progressing / failed" from the Deployment and
// its pods, and the effectful loop that feeds it from watches (no sleep-polling) plus a periodic re-check
// for time-based rules (the readiness budget). Strategies use it for rolling updates and for waiting until
// a canary or an idle color is ready.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Diagnosis, VersionRef } from '../core/release.js';
import {
  type DeploymentConditionLike,
  diagnoseDeployment,
  diagnosePods,
  type PodLike,
  readinessTimeoutFor,
} from './diagnose.js';
import { type StepContext, StepFailure } from './strategy.js';

const LOG_TIMEOUT_MS = 3000;

export interface DeploymentLike extends KubernetesObject {
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: PodTemplate;
    progressDeadlineSeconds?: number;
    [k: string]: unknown;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: DeploymentConditionLike[];
  };
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { containers?: { name: string; image?: string; [k: string]: unknown }[]; [k: string]: unknown };
}

export type PodObject = PodLike & KubernetesObject;

export interface RolloutCounts {
  desired: number;
  updated: number;
  ready: number;
  available: number;
  total: number;
}

export type RolloutState =
  | { state: 'progressing'; counts: RolloutCounts; waitingFor: string }
  | { state: 'complete'; counts: RolloutCounts }
  | { state: 'failed'; counts: RolloutCounts; diagnosis: Diagnosis };

export interface RolloutTarget {
  /** The version label reported with pod counts. */
  version: string;
  /** Whether the Deployment's template is the one being rolled out (else its rollout hasn't been seen yet). */
  templateMatches(template: PodTemplate | undefined): boolean;
  /** Pods of the version being rolled out (diagnosed and counted as ready). */
  isTargetPod(pod: PodObject): boolean;
  /** Classify pod failures (forward rollouts); a rollback only fails on the progress deadline. */
  diagnose: boolean;
  /**
   * The template was written before the wait began, so another template means someone else replaced it
   * (kubectl set image, another tool): a failure to report, not something to wait for.
   */
  ownsTemplate?: boolean;
}

const isReady = (p: PodLike) =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Pure: where a Deployment's rollout stands. Mirrors `kubectl rollout status`, plus pod failure diagnosis. */
export function evaluateRollout(
  dep: DeploymentLike | undefined,
  pods: readonly PodObject[],
  target: RolloutTarget,
  opts: { now: number; readinessTimeoutMs: number },
): RolloutState {
  const ours = pods.filter((p) => !p.metadata?.deletionTimestamp && target.isTargetPod(p));
  const st = dep?.status ?? {};
  const counts: RolloutCounts = {
    desired: dep?.spec?.replicas ?? 0,
    updated: st.updatedReplicas ?? 0,
    ready: ours.filter(isReady).length,
    available: st.availableReplicas ?? 0,
    total: st.replicas ?? 0,
  };
  if (!dep) return { state: 'progressing', counts, waitingFor: 'the Deployment to exist' };
  if (target.diagnose) {
    const diagnosis = diagnosePods(ours, opts);
    if (diagnosis) return { state: 'failed', counts, diagnosis };
  }
  if (!target.templateMatches(dep.spec?.template)) {
    if (!target.ownsTemplate) return { state: 'progressing', counts, waitingFor: 'the new pod template' };
    const message = `the pod template of Deployment ${dep.metadata?.name} was replaced by someone else during the release`;
    return { state: 'failed', counts, diagnosis: { reason: 'TemplateReplaced', message } };
  }
  // Conditions and counts describe an older generation until the controller has observed this one.
  if ((st.observedGeneration ?? 0) < (dep.metadata?.generation ?? 0)) {
    return { state: 'progressing', counts, waitingFor: 'the deployment controller to observe the change' };
  }
  const deadline = diagnoseDeployment(st.conditions);
  if (deadline) return { state: 'failed', counts, diagnosis: deadline };
  const { desired, updated, available, total } = counts;
  if (updated < desired)
    return { state: 'progressing', counts, waitingFor: `${updated} of ${desired} new replicas updated` };
  if (total > updated)
    return {
      state: 'progressing',
      counts,
      waitingFor: `${total - updated} old replicas pending termination`,
    };
  if (available < updated || (st.unavailableReplicas ?? 0) > 0) {
    return {
      state: 'progressing',
      counts,
      waitingFor: `${available} of ${updated} updated replicas available`,
    };
  }
  return { state: 'complete', counts };
}

const selectorString = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/**
 * Watches the Deployment and its pods until the rollout completes (resolves) or fails (throws StepFailure
 * with the diagnosis and the failing pod's last log lines). Stops with the step's signal.
 */
export async function awaitRollout(
  ctx: StepContext,
  name: string,
  target: RolloutTarget,
): Promise<RolloutCounts> {
  const { cluster, clock, config, tuning } = ctx;
  const namespace = config.namespace;
  const first = await cluster.get<DeploymentLike>({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name,
    namespace,
  });
  if (!first) throw new Error(`Deployment ${namespace}/${name} does not exist`);
  const podSelector = selectorString(first.spec?.selector?.matchLabels ?? {});
  const readinessTimeoutMs = tuning.readinessTimeoutMs ?? readinessTimeoutFor(config.probes.readiness);

  let dep: DeploymentLike | undefined;
  const pods = new Map<string, PodObject>();
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  let lastCounts = '';

  return new Promise<RolloutCounts>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      stop.abort();
      fn();
    };
    // Both caches must hold a full list before a verdict: counts from half a picture would be wrong.
    const synced = { deployment: false, pods: false };
    const evaluate = () => {
      if (settled || !synced.deployment || !synced.pods) return;
      const r = evaluateRollout(dep, [...pods.values()], target, { now: clock.now(), readinessTimeoutMs });
      const key = JSON.stringify(r.counts);
      if (key !== lastCounts) {
        lastCounts = key;
        ctx.emit({ type: 'pods', version: target.version, ...r.counts });
      }
      if (r.state === 'complete') finish(() => resolve(r.counts));
      else if (r.state === 'failed') {
        settled = true;
        stop.abort();
        withLogs(ctx, r.diagnosis).then(
          (d) => reject(new StepFailure(d.message, d)),
          (err) => reject(err),
        );
      }
    };
    const fail = (err: unknown) => finish(() => reject(ctx.signal.aborted ? ctx.signal.reason : err));
    if (signal.aborted) return fail(signal.reason);
    signal.addEventListener('abort', () => fail(signal.reason), { once: true });

    cluster
      .watch<DeploymentLike>(
        { apiVersion: 'apps/v1', kind: 'Deployment', namespace, fieldSelector: `metadata.name=${name}` },
        (e) => {
          if (e.type === 'SYNC') synced.deployment = true;
          dep = e.type === 'SYNC' ? e.objects[0] : e.type === 'DELETED' ? undefined : e.object;
          evaluate();
        },
        signal,
      )
      .catch(fail);
    cluster
      .watch<PodObject>(
        { apiVersion: 'v1', kind: 'Pod', namespace, labelSelector: podSelector },
        (e) => {
          if (e.type === 'SYNC') {
            synced.pods = true;
            pods.clear();
            for (const p of e.objects) pods.set(p.metadata?.name ?? '', p);
          } else if (e.type === 'DELETED') pods.delete(e.object.metadata?.name ?? '');
          else pods.set(e.object.metadata?.name ?? '', e.object);
          evaluate();
        },
        signal,
      )
      .catch(fail);
    // Time-based rules (a pod Running but not Ready past its budget) need a tick between watch events.
    (async () => {
      while (!signal.aborted) {
        await clock.sleep(tuning.recheckMs ?? 1000, signal);
        evaluate();
      }
    })().catch(() => {});
  });
}

/** Adds the failing container's last log lines; a crashed container's logs are those of its previous run. */
async function withLogs(ctx: StepContext, diagnosis: Diagnosis): Promise<Diagnosis> {
  if (!diagnosis.pod) return diagnosis;
  const previous = diagnosis.reason === 'CrashLoopBackOff' || diagnosis.reason === 'OOMKilled';
  const stop = new AbortController();
  try {
    const fetched = ctx.cluster.podLogs(diagnosis.pod, {
      namespace: ctx.config.namespace,
      container: diagnosis.container,
      tailLines: ctx.tuning.logLines ?? 20,
      previous,
    });
    // A node that serves no logs (or retries on 5xx) must not hold up the rollback.
    const timeout = ctx.clock.sleep(LOG_TIMEOUT_MS, stop.signal).then(() => '');
    const text = await Promise.race([fetched, timeout]);
    const logs = text.split('\n').filter((l) => l.length > 0);
    return logs.length ? { ...diagnosis, logs } : diagnosis;
  } catch {
    // Logs are a courtesy: a failure to fetch them must not hide the diagnosis.
    return diagnosis;
  } finally {
    stop.abort();
  }
}

/** The version a pod template runs: its `kdeploy.dev/version` label, else the image tag (or digest). */
export function versionOfTemplate(template: PodTemplate | undefined, app: string): VersionRef {
  const containers = template?.spec?.containers ?? [];
  const image = (containers.find((c) => c.name === app) ?? containers[0])?.image ?? '';
  const [, digest] = image.split('@');
  const tag = digest ? digest.replace(':', '-').slice(0, 19) : (image.split('/').pop() ?? '').split(':')[1];
  return { version: template?.metadata?.labels?.['kdeploy.dev/version'] ?? tag ?? 'latest', image };
}
