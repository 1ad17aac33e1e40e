// Pure classification of why a new version's pods are failing, from pod and Deployment status alone. The
// engine calls it on every watch event, so a failure is named as soon as the kubelet or the scheduler
// reports it, not when the progress deadline runs out (what `kubectl rollout status` waits for).
import type { Diagnosis } from '../core/release.js';

type Time = Date | string | undefined;

/** The subset of a Pod the diagnosis reads (typed client objects and raw watch JSON both fit). */
export interface PodLike {
  metadata?: { name?: string; deletionTimestamp?: Time; creationTimestamp?: Time };
  status?: {
    phase?: string;
    conditions?: {
      type: string;
      status: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: Time;
    }[];
    containerStatuses?: ContainerStatusLike[];
    initContainerStatuses?: ContainerStatusLike[];
  };
}

export interface ContainerStatusLike {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: Time };
    terminated?: { reason?: string; exitCode?: number; message?: string; finishedAt?: Time };
  };
  lastState?: { terminated?: { reason?: string; exitCode?: number; message?: string; finishedAt?: Time } };
}

export interface DeploymentConditionLike {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: Time;
}

export interface DiagnoseOptions {
  now: number;
  /** A Running pod not Ready for this long is failing readiness. */
  readinessTimeoutMs: number;
}

export const toMs = (t: Time): number | undefined => {
  if (t === undefined) return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
};

const IMAGE_REASONS = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName']);

/** The first failure among the pods, in a stable order (by name), or undefined while they look healthy. */
export function diagnosePods(pods: readonly PodLike[], opts: DiagnoseOptions): Diagnosis | undefined {
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
  live.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  // Hard failures first: a pod that crashes says more than another one that is merely not ready yet.
  for (const pod of live) {
    const d = diagnoseHard(pod);
    if (d) return d;
  }
  for (const pod of live) {
    const d = diagnoseReadiness(pod, opts);
    if (d) return d;
  }
  return undefined;
}

function diagnoseHard(pod: PodLike): Diagnosis | undefined {
  const name = pod.metadata?.name;
  const status = pod.status ?? {};
  const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return {
      reason: 'Unschedulable',
      message: `pod ${name} cannot be scheduled: ${scheduled.message ?? 'no node fits'}`,
      pod: name,
      since: toMs(scheduled.lastTransitionTime),
    };
  }
  for (const c of [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])]) {
    const waiting = c.state?.waiting;
    const last = c.lastState?.terminated;
    const current = c.state?.terminated;
    if (
      current?.reason === 'OOMKilled' ||
      (waiting?.reason === 'CrashLoopBackOff' && last?.reason === 'OOMKilled')
    ) {
      return {
        reason: 'OOMKilled',
        message: `container ${c.name} of pod ${name} was killed for exceeding its memory limit (OOMKilled, ${c.restartCount ?? 0} restarts)`,
        pod: name,
        container: c.name,
        since: toMs((current ?? last)?.finishedAt),
      };
    }
    if (waiting?.reason === 'CrashLoopBackOff') {
      const exit = last
        ? `last exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}`
        : 'no exit status';
      return {
        reason: 'CrashLoopBackOff',
        message: `container ${c.name} of pod ${name} is crash-looping: ${exit}, ${c.restartCount ?? 0} restarts`,
        pod: name,
        container: c.name,
        since: toMs(last?.finishedAt),
      };
    }
    if (waiting?.reason && IMAGE_REASONS.has(waiting.reason)) {
      return {
        reason: waiting.reason as Diagnosis['reason'],
        message: `container ${c.name} of pod ${name} cannot pull its image: ${waiting.message ?? waiting.reason}`,
        pod: name,
        container: c.name,
      };
    }
    if (waiting?.reason === 'CreateContainerConfigError') {
      return {
        reason: 'CreateContainerConfigError',
        message: `container ${c.name} of pod ${name} cannot be created: ${waiting.message ?? waiting.reason}`,
        pod: name,
        container: c.name,
      };
    }
  }
  return undefined;
}

function diagnoseReadiness(
  pod: PodLike,
  { now, readinessTimeoutMs }: DiagnoseOptions,
): Diagnosis | undefined {
  const status = pod.status ?? {};
  if (status.phase !== 'Running') return undefined;
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return undefined;
  // Measured from when the containers started, so slow image pulls don't count against readiness.
  const starts = (status.containerStatuses ?? []).map((c) => toMs(c.state?.running?.startedAt));
  if (starts.length === 0 || starts.some((s) => s === undefined)) return undefined;
  const runningSince = Math.max(...(starts as number[]));
  const notReadyFor = now - runningSince;
  if (notReadyFor < readinessTimeoutMs) return undefined;
  const failing = (status.containerStatuses ?? []).find((c) => !c.ready);
  return {
    reason: 'ReadinessFailing',
    message: `pod ${pod.metadata?.name} has been running for ${Math.round(notReadyFor / 1000)}s without becoming Ready${
      ready?.message ? `: ${ready.message}` : ''
    } (threshold ${Math.round(readinessTimeoutMs / 1000)}s)`,
    pod: pod.metadata?.name,
    container: failing?.name,
    since: runningSince + readinessTimeoutMs,
  };
}

/** The Deployment controller's own verdict: the progress deadline passed without progress. */
export function diagnoseDeployment(
  conditions: readonly DeploymentConditionLike[] | undefined,
): Diagnosis | undefined {
  const progressing = conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return {
      reason: 'ProgressDeadlineExceeded',
      message: progressing.message ?? 'the Deployment exceeded its progress deadline',
      since: toMs(progressing.lastUpdateTime),
    };
  }
  return undefined;
}

/** Readiness budget from the probe: initial delay + failureThreshold × period (Kubernetes defaults: 0 + 3 × 10 s = 30 s). */
export function readinessTimeoutFor(
  probe: { initialDelaySeconds?: number; periodSeconds?: number; failureThreshold?: number } | undefined,
): number {
  const initial = probe?.initialDelaySeconds ?? 0;
  const period = probe?.periodSeconds ?? 10;
  const threshold = probe?.failureThreshold ?? 3;
  return (initial + period * threshold) * 1000;
}
