// The shared conformance scenarios (test/conformance/scenarios.ts) on the real control plane: the same
// observable sequences the simulated cluster must produce. A difference is a bug in the simulator.
import { describe, test } from 'vitest';
import { scenarios } from '../support/conformance-scenarios.js';
import { createTestNamespace, deleteTestNamespace, testbedKubeConfig } from '../testbed/namespace.js';

describe('conformance on the real control plane', () => {
  for (const scenario of scenarios) {
    test(scenario.name, async () => {
      const kubeConfig = testbedKubeConfig();
      const namespace = await createTestNamespace('conformance');
      try {
        await scenario.run({ kubeConfig, namespace, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) });
      } finally {
        await deleteTestNamespace(namespace);
      }
    });
  }
});
