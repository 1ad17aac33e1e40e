// Shared setup for engine tests on the simulated cluster: fast pods, one namespace per test, and the engine on
// the simulator's clock — virtual time for in-process tests, wall time where a CLI process shares the cluster.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KdeployConfigInput } from '../../src/config/schema.js';
import { VirtualClock } from '../../src/core/clock.js';
import type { Cluster } from '../../src/core/cluster.js';
import { RELEASE_ANNOTATION } from '../../src/core/labels.js';
import { type AppOptions, type ReleaseOptions, release } from '../../src/engine/api.js';
import type { LeaseObject } from '../../src/engine/lock.js';
import { parseRecord, recordName } from '../../src/engine/record.js';
import { KubeCluster } from '../../src/kube/cluster.js';
import { selectContext } from '../../src/kube/kubeconfig.js';
import { type SimulatedCluster, startSimulatedCluster } from '../../src/sim/index.js';
import { resourceByName } from '../../src/sim/resources.js';
import { START } from './sim-cluster.js';

export const FAST_PODS = {
  startDelay: '50ms',
  readyDelay: '100ms',
  crashLoop: { runFor: '100ms', backoff: '200ms', maxBackoff: '1s' },
};

/** `virtual`: an auto-advancing virtual clock, for tests where only this process works on the cluster. */
export async function startSim(options: { virtual?: boolean } = {}): Promise<SimulatedCluster> {
  // No real-time quiet period: the simulator holds the clock while its clients' requests are in flight.
  const clock = options.virtual ? new VirtualClock({ start: START, autoAdvance: true }) : undefined;
  return startSimulatedCluster({ clock, scenario: { pods: FAST_PODS }, seed: 3 });
}

export async function stopSim(sim: SimulatedCluster | undefined): Promise<void> {
  await sim?.close();
  if (sim?.clock instanceof VirtualClock) sim.clock.dispose();
}

let counter = 0;
/** A fresh namespace and app config per test, so tests share one simulator. */
export function appConfig(
  sim: SimulatedCluster,
  patch: Partial<KdeployConfigInput> = {},
): KdeployConfigInput & { namespace: string } {
  const namespace = `t${++counter}-${process.pid % 1000}`;
  sim.api.create(resourceByName('namespaces'), undefined, { metadata: { name: namespace } });
  return {
    app: 'web',
    namespace,
    image: { repository: 'registry.example/web' },
    replicas: 3,
    strategy: { rolling: { maxSurge: 1, maxUnavailable: 0, progressDeadline: '30s' } },
    ...patch,
  } as KdeployConfigInput & { namespace: string };
}

export function cluster(sim: SimulatedCluster, namespace: string): Cluster {
  return new KubeCluster(selectContext(sim.kubeConfig(), { namespace }));
}

/** Options every engine call in tests shares: the simulator, a short readiness budget and lease. */
export function runOptions(
  sim: SimulatedCluster,
): Pick<ReleaseOptions, 'kubeconfig' | 'clock' | 'tuning' | 'leaseSeconds'> & AppOptions {
  return {
    kubeconfig: sim.kubeConfig(),
    clock: sim.clock,
    tuning: { readinessTimeoutMs: 3000, recheckMs: 100 },
    leaseSeconds: 15,
  };
}

export function releaseTo(
  sim: SimulatedCluster,
  config: object,
  to: string,
  extra: Partial<ReleaseOptions> = {},
) {
  return release({ ...runOptions(sim), config, strategy: 'rolling', to, ...extra });
}

export interface AppState {
  phase?: string;
  version?: string;
  podVersions: string[];
  readyPods: number;
  desired: number;
  lockHolder?: string | null;
  releaseAnnotation?: string;
}

/** What the cluster says about the app: record phase, template version, live pods, lock. */
export async function appState(c: Cluster, namespace: string, app = 'web'): Promise<AppState> {
  const [cm, dep, pods, lease] = await Promise.all([
    c.get({ apiVersion: 'v1', kind: 'ConfigMap', name: recordName(app), namespace }),
    c.get<
      KubernetesObject & {
        spec: {
          replicas: number;
          template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> } };
        };
      }
    >({ apiVersion: 'apps/v1', kind: 'Deployment', name: app, namespace }),
    c.list<KubernetesObject & { status?: { conditions?: { type: string; status: string }[] } }>('v1', 'Pod', {
      namespace,
    }),
    c.get<LeaseObject>({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      name: `kdeploy-${app}`,
      namespace,
    }),
  ]);
  const live = pods.items.filter((p) => !p.metadata?.deletionTimestamp);
  return {
    phase: parseRecord(cm as never).current?.phase,
    version: dep?.spec.template.metadata.labels['kdeploy.dev/version'],
    releaseAnnotation: dep?.spec.template.metadata.annotations?.[RELEASE_ANNOTATION],
    podVersions: [...new Set(live.map((p) => p.metadata?.labels?.['kdeploy.dev/version'] ?? ''))].sort(),
    readyPods: live.filter((p) =>
      p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'),
    ).length,
    desired: dep?.spec.replicas ?? 0,
    lockHolder: lease?.spec?.holderIdentity,
  };
}

export function writeKubeconfig(dir: string, sim: SimulatedCluster): string {
  const path = join(dir, 'kubeconfig');
  writeFileSync(path, sim.kubeConfigYaml);
  return path;
}
