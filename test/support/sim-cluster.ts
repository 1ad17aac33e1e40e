// Shared helpers for the simulator tests: a cluster in manual virtual time, client-node API clients, and
// a deployment manifest. Waiting on it: eventually() with the cluster's clock (./eventually.ts).
import { AppsV1Api, CoreV1Api, type V1Deployment } from '@kubernetes/client-node';
import { VirtualClock } from '../../src/core/clock.js';
import { type ScenarioInput, type SimulatedCluster, startSimulatedCluster } from '../../src/sim/index.js';

export const START = Date.UTC(2026, 0, 1);

export interface TestCluster {
  sim: SimulatedCluster;
  clock: VirtualClock;
  apps: AppsV1Api;
  core: CoreV1Api;
}

export async function cluster(
  scenario: string | ScenarioInput = 'happy',
  options: { autoAdvance?: boolean; seed?: number } = {},
): Promise<TestCluster> {
  const clock = new VirtualClock({ start: START, autoAdvance: options.autoAdvance ?? false });
  const sim = await startSimulatedCluster({ clock, scenario, seed: options.seed ?? 1 });
  const kc = sim.kubeConfig();
  return { sim, clock, apps: kc.makeApiClient(AppsV1Api), core: kc.makeApiClient(CoreV1Api) };
}

export function deployment(
  name: string,
  image: string,
  extra: {
    replicas?: number;
    maxSurge?: number | string;
    maxUnavailable?: number | string;
    progressDeadlineSeconds?: number;
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    labels?: Record<string, string>;
  } = {},
): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas: extra.replicas ?? 3,
      selector: { matchLabels: { app: name } },
      progressDeadlineSeconds: extra.progressDeadlineSeconds,
      minReadySeconds: extra.minReadySeconds,
      revisionHistoryLimit: extra.revisionHistoryLimit,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: {
          maxSurge: extra.maxSurge ?? '25%',
          maxUnavailable: extra.maxUnavailable ?? '25%',
        } as never,
      },
      template: {
        metadata: { labels: { app: name, ...extra.labels } },
        spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080, name: 'http' }] }] },
      },
    },
  };
}
