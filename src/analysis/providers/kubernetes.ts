import { LABELS } from '../../core/labels.js';
import type { Measurement, MetricProvider, MetricVars } from '../../core/ports.js';
import { ProviderError } from '../errors.js';
import {
  type BoundProvider,
  type ContainerStatusLike,
  type PodLike,
  type PodLister,
  type ProviderContext,
  systemClock,
} from '../registry.js';

// Pod health of the new version, read from the cluster: no metrics system needed. The pods are those labelled
// kdeploy.dev/app=<app> and kdeploy.dev/version=<canaryVersion> (the labels kdeploy's templates put on every
// pod). Each check gives one value, a count over those pods, so `result < 1` means "none":
//   restarts   container restarts (init containers included)
//   notReady   running pods whose Ready condition isn't True (terminating pods don't count)
//   oomKilled  containers whose current or last termination was OOMKilled
// No pods at all is no data.

export const KUBERNETES_CHECKS = ['restarts', 'notReady', 'oomKilled'] as const;
export type KubernetesCheck = (typeof KUBERNETES_CHECKS)[number];

export async function createKubernetes(
  options: { check: KubernetesCheck },
  context: ProviderContext,
): Promise<BoundProvider> {
  if (!context.cluster) throw new ProviderError('the kubernetes provider needs cluster access', false);
  return { provider: new KubernetesProvider(context.cluster, context), query: options.check };
}

export class KubernetesProvider implements MetricProvider {
  readonly name = 'kubernetes';

  constructor(
    private readonly cluster: PodLister,
    private readonly context: ProviderContext = {},
  ) {}

  /** `query` is the check's name. */
  async measure(query: string, vars: MetricVars, _signal?: AbortSignal): Promise<Measurement> {
    if (!(KUBERNETES_CHECKS as readonly string[]).includes(query)) {
      throw new ProviderError(
        `unknown kubernetes check "${query}" (checks: ${KUBERNETES_CHECKS.join(', ')})`,
        false,
      );
    }
    const { items } = await this.cluster.list('v1', 'Pod', {
      namespace: vars.namespace,
      labelSelector: podSelector(vars.app, vars.canaryVersion),
    });
    const at = (this.context.clock ?? systemClock).now();
    if (items.length === 0) return { values: [], at, raw: { pods: 0 } };
    return { values: [countCheck(query as KubernetesCheck, items)], at, raw: { pods: items.length } };
  }
}

export function podSelector(app: string, version: string): string {
  return `${LABELS.app}=${app},${LABELS.version}=${version}`;
}

function containers(pod: PodLike): ContainerStatusLike[] {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
}

/** The check's count over the pods. */
export function countCheck(check: KubernetesCheck, pods: readonly PodLike[]): number {
  switch (check) {
    case 'restarts':
      return pods.flatMap(containers).reduce((n, c) => n + (c.restartCount ?? 0), 0);
    case 'notReady':
      return pods.filter(
        (p) =>
          !p.metadata?.deletionTimestamp &&
          p.status?.phase !== 'Succeeded' &&
          p.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True',
      ).length;
    case 'oomKilled':
      return pods
        .flatMap(containers)
        .filter(
          (c) =>
            c.state?.terminated?.reason === 'OOMKilled' || c.lastState?.terminated?.reason === 'OOMKilled',
        ).length;
  }
}
