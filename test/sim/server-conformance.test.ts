// The shared conformance scenarios against the simulated cluster, in virtual time (auto-advance), each in
// its own namespace of one cluster — the same way test/e2e/conformance.test.ts runs them on a real one.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { type SimulatedCluster, startSimulatedCluster } from '../../src/sim/index.js';
import { scenarios } from '../support/conformance-scenarios.js';

describe('conformance on the simulated cluster', () => {
  let sim: SimulatedCluster;
  const clock = new VirtualClock({ start: Date.UTC(2026, 0, 1), autoAdvance: true });

  beforeAll(async () => {
    sim = await startSimulatedCluster({
      clock,
      scenario: { pods: { startDelay: '50ms', readyDelay: '100ms' } },
      seed: 4,
    });
  });
  afterAll(async () => {
    await sim.close();
    clock.dispose();
  });

  scenarios.forEach((scenario, i) => {
    test(scenario.name, async () => {
      const kc = sim.kubeConfig();
      const namespace = `conformance-${i}`;
      await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
      await scenario.run({
        kubeConfig: kc,
        namespace,
        sleep: (ms) => clock.sleep(ms),
        expireHistory: async () => sim.compactHistory(),
      });
      expect(sim.errors).toEqual([]);
    });
  });
});
