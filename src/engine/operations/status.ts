// `kdeploy status` and `status --watch`: the record, the serving Deployment, its pods, the lock and the app's
// recent Kubernetes events, read without taking the lock.

import type { ReleaseState } from '../../core/release.js';
import { diagnosePods } from '../diagnose.js';
import { decideLock, type LeaseObject } from '../lock.js';
import { type DeploymentLike, type PodObject, versionOfTemplate } from '../rollout.js';
import type { AppOptions } from './options.js';
import { openSession, type Session } from './session.js';

export interface PodSummary {
  name: string;
  version: string;
  phase: string;
  ready: boolean;
  restarts: number;
  /** Why it isn't healthy, when the diagnosis names something. */
  problem?: string;
}

export interface StatusReport {
  app: string;
  namespace: string;
  release: ReleaseState | null;
  history: Pick<
    ReleaseState,
    'id' | 'phase' | 'from' | 'to' | 'startedAt' | 'finishedAt' | 'reason' | 'kind'
  >[];
  deployment: {
    name: string;
    version: string;
    image: string;
    desired: number;
    updated: number;
    ready: number;
    available: number;
  } | null;
  pods: PodSummary[];
  lock: { holder: string; renewTime?: string; expired: boolean } | null;
  events: { at: string; type: string; reason: string; object: string; message: string }[];
}

interface KubeEvent {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string };
  lastTimestamp?: string;
  eventTime?: string;
  metadata?: { creationTimestamp?: string };
}

/** `kdeploy status`: the record, the Deployment, its pods, the lock and the app's recent Kubernetes events. */
export async function status(opts: AppOptions): Promise<StatusReport> {
  return statusOf(await openSession(opts));
}

/** The Deployment serving the app: `<app>`, else (blue/green) the colour the active Service selects. */
async function servingDeployment(s: Session): Promise<{ name: string; dep: DeploymentLike | undefined }> {
  const get = (name: string) =>
    s.cluster.get<DeploymentLike>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name,
      namespace: s.namespace,
    });
  const plain = await get(s.app);
  if (plain) return { name: s.app, dep: plain };
  const svc = await s.cluster.get<DeploymentLike>({
    apiVersion: 'v1',
    kind: 'Service',
    name: s.app,
    namespace: s.namespace,
  });
  const color = (svc?.spec as { selector?: Record<string, string> } | undefined)?.selector?.[
    'kdeploy.dev/color'
  ];
  return color
    ? { name: `${s.app}-${color}`, dep: await get(`${s.app}-${color}`) }
    : { name: s.app, dep: undefined };
}

async function statusOf(s: Session): Promise<StatusReport> {
  const [record, { name, dep }, lease, events] = await Promise.all([
    s.records.read(),
    servingDeployment(s),
    s.cluster.get<LeaseObject>({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      name: `kdeploy-${s.app}`,
      namespace: s.namespace,
    }),
    s.cluster.list('v1', 'Event', { namespace: s.namespace }).then((l) => l.items as KubeEvent[]),
  ]);
  const selector = Object.entries(dep?.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const pods =
    dep && selector
      ? (await s.cluster.list<PodObject>('v1', 'Pod', { namespace: s.namespace, labelSelector: selector }))
          .items
      : [];
  const now = s.clock.now();
  const current = record.current ? (({ config: _c, ...rest }) => rest as ReleaseState)(record.current) : null;
  return {
    app: s.app,
    namespace: s.namespace,
    release: current,
    history: record.history.map(({ id, phase, from, to, startedAt, finishedAt, reason, kind }) => ({
      id,
      phase,
      from,
      to,
      startedAt,
      finishedAt,
      reason,
      kind,
    })),
    deployment: dep ? summarizeDeployment(name, dep, s.app) : null,
    pods: pods.map((p) => summarizePod(p, now)),
    lock: summarizeLock(lease, now),
    events: recentEvents(events, s.app),
  };
}

function summarizeDeployment(name: string, dep: DeploymentLike, app: string): StatusReport['deployment'] {
  return {
    name,
    ...versionOfTemplate(dep.spec?.template, app),
    desired: dep.spec?.replicas ?? 0,
    updated: dep.status?.updatedReplicas ?? 0,
    ready: dep.status?.readyReplicas ?? 0,
    available: dep.status?.availableReplicas ?? 0,
  };
}

function summarizeLock(lease: LeaseObject | undefined, now: number): StatusReport['lock'] {
  if (!lease?.spec?.holderIdentity) return null;
  return {
    holder: lease.spec.holderIdentity,
    renewTime: String(lease.spec.renewTime ?? ''),
    expired: decideLock(lease.spec, '', now).kind === 'take-over',
  };
}

/** The app's last ten Kubernetes events, oldest first. */
function recentEvents(events: KubeEvent[], app: string): StatusReport['events'] {
  const at = (e: KubeEvent) => e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '';
  return events
    .filter((e) => e.involvedObject?.name?.startsWith(app))
    .sort((a, b) => at(a).localeCompare(at(b)))
    .slice(-10)
    .map((e) => ({
      at: at(e),
      type: e.type ?? '',
      reason: e.reason ?? '',
      object: `${e.involvedObject?.kind}/${e.involvedObject?.name}`,
      message: e.message ?? '',
    }));
}

function summarizePod(p: PodObject, now: number): PodSummary {
  const statuses = p.status?.containerStatuses ?? [];
  return {
    name: p.metadata?.name ?? '',
    version:
      (p.metadata as { labels?: Record<string, string> } | undefined)?.labels?.['kdeploy.dev/version'] ?? '',
    phase: p.metadata?.deletionTimestamp ? 'Terminating' : (p.status?.phase ?? 'Unknown'),
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    restarts: statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    problem: diagnosePods([p], { now, readinessTimeoutMs: 30_000 })?.reason,
  };
}

/**
 * `kdeploy status --watch`: calls `onReport` with a fresh report whenever the record, the Deployment or its
 * pods change (watches, coalesced), until the signal aborts.
 */
export async function watchStatus(
  opts: AppOptions,
  onReport: (r: StatusReport) => void,
  signal: AbortSignal,
): Promise<void> {
  const s = await openSession(opts);
  let pending: Promise<void> | undefined;
  let again = false;
  const refresh = () => {
    if (pending) {
      again = true;
      return;
    }
    pending = statusOf(s)
      .then((r) => {
        if (!signal.aborted) onReport(r);
      })
      .finally(() => {
        pending = undefined;
        if (again && !signal.aborted) {
          again = false;
          refresh();
        }
      });
  };
  const ns = s.namespace;
  await Promise.all([
    s.records.watch(refresh, signal),
    s.cluster.watch(
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, fieldSelector: `metadata.name=${s.app}` },
      refresh,
      signal,
    ),
    s.cluster.watch({ apiVersion: 'v1', kind: 'Pod', namespace: ns }, refresh, signal),
  ]);
}
