// A simulated cluster in auto-advancing virtual time, the engine's library API pointed at it, and the
// capacity watcher running for the whole test: the strategy tests' common ground.
import type { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { RealClock, VirtualClock } from '../../src/core/clock.js';
import type { Cluster } from '../../src/core/cluster.js';
import type { Clock } from '../../src/core/ports.js';
import type { StrategyKind } from '../../src/core/release.js';
import { type ReleaseOptions, release } from '../../src/engine/api.js';
import { KubeCluster } from '../../src/kube/cluster.js';
import { selectContext } from '../../src/kube/kubeconfig.js';
import { type ScenarioInput, type SimulatedCluster, startSimulatedCluster } from '../../src/sim/index.js';
import { CapacityWatcher } from './capacity-watcher.js';
import { START } from './sim-cluster.js';

export interface Bed {
  sim: SimulatedCluster;
  clock: Clock;
  kc: KubeConfig;
  cluster: Cluster;
  watcher?: CapacityWatcher;
  run(strategy: StrategyKind, to: string, extra?: Partial<ReleaseOptions>): ReturnType<typeof release>;
  /** Starts the capacity watcher on the app's Service (call once the app serves). */
  watchCapacity(minReady?: number): Promise<CapacityWatcher>;
  close(): Promise<void>;
}

export function appConfig(strategy: object = {}, extra: object = {}) {
  return {
    app: 'web',
    namespace: 'default',
    image: { repository: 'registry.example/web' },
    replicas: 4,
    strategy,
    ...extra,
  };
}

/** `realTime`: for tests where another process (the CLI, on the wall clock) works on the same cluster. */
export async function bed(
  config: object,
  scenario: string | ScenarioInput = 'happy',
  options: { realTime?: boolean } = {},
): Promise<Bed> {
  // A longer quiet period than the default 1 ms: on a busy machine a jump inside a request's loopback gap
  // would let minutes of virtual time pass "during" it.
  const clock = options.realTime
    ? new RealClock()
    : new VirtualClock({ start: START, autoAdvance: true, idleMs: 5 });
  const sim = await startSimulatedCluster({ clock, scenario });
  const kc = sim.kubeConfig();
  const cluster = new KubeCluster(selectContext(kc, {}));
  const app = (config as { app: string }).app;
  const replicas = (config as { replicas?: number }).replicas ?? 2;
  const b: Bed = {
    sim,
    clock,
    kc,
    cluster,
    run: (strategy, to, extra = {}) =>
      release({
        config,
        strategy,
        to,
        kubeconfig: kc,
        clock,
        tuning: { readinessTimeoutMs: 30_000 },
        // Fewer lease renewals to jump through in a long virtual pause.
        leaseSeconds: 120,
        ...extra,
      }),
    async watchCapacity(minReady = replicas) {
      b.watcher = await new CapacityWatcher(cluster, {
        namespace: 'default',
        service: app,
        minReady,
        podSelector: `kdeploy.dev/app=${app}`,
        now: () => clock.now(),
      }).start();
      return b.watcher;
    },
    async close() {
      await b.watcher?.close();
      if (clock instanceof VirtualClock) clock.dispose();
      await sim.close();
    },
  };
  return b;
}

/** Stops the watcher and asserts the invariant held, after the app had reached its capacity at least once. */
export async function expectCapacityKept(watcher: CapacityWatcher): Promise<void> {
  const violations = await watcher.close();
  expect(watcher.armed, 'the app never reached its capacity while watched').toBe(true);
  expect(violations).toEqual([]);
}
