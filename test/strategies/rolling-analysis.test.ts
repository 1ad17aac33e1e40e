// strategy.rolling.analysis: metrics measured while the deployment controller rolls, on the simulator's
// Prometheus endpoint. A version whose pods are Ready but serve errors is rolled back on the metric.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimulatedCluster, startSimulatedCluster } from '../../src/sim/index.js';
import { appConfig, appState, cluster, releaseTo } from '../support/engine-sim.js';

let sim: SimulatedCluster;
beforeAll(async () => {
  // Slow enough readiness that the rollout spans several measurements.
  sim = await startSimulatedCluster({
    scenario: {
      pods: { startDelay: '50ms', readyDelay: '600ms' },
      metrics: { default: { errorRate: 0.001 }, versions: { 'bad*': { errorRate: 0.3 } } },
    },
  });
});
afterAll(async () => {
  await sim?.close();
});

const slowPods = { tuning: { readinessTimeoutMs: 20_000, recheckMs: 100 } };

function withAnalysis() {
  return appConfig(sim, {
    analysis: {
      metrics: [
        {
          name: 'error-rate',
          provider: {
            prometheus: {
              address: sim.url,
              query:
                'kdeploy_error_rate{namespace="{{namespace}}",app="{{app}}",version="{{canaryVersion}}"}',
            },
          },
          interval: '250ms',
          initialDelay: '700ms',
          successCondition: 'result < 0.05',
          // The first measurements may come before any new pod is Ready (no series yet).
          inconclusiveLimit: 5,
        },
      ],
    },
    strategy: {
      rolling: {
        maxSurge: 1,
        maxUnavailable: 0,
        progressDeadline: '30s',
        analysis: { metrics: ['error-rate'] },
      },
    },
  });
}

describe('analysis during a rolling release', () => {
  it('passes a healthy version and rolls back one whose error rate fails the condition', async () => {
    const config = withAnalysis();
    const c = cluster(sim, config.namespace);
    expect((await releaseTo(sim, config, 'v1', slowPods)).outcome).toBe('completed');
    const good = await releaseTo(sim, config, 'v2', slowPods);
    expect(good.outcome).toBe('completed');
    expect(good.events.filter((e) => e.type === 'measurement').length).toBeGreaterThan(0);

    const bad = await releaseTo(sim, config, 'bad-v3', slowPods);
    expect(bad).toMatchObject({ outcome: 'failed', exitCode: 1, version: 'v2' });
    expect(bad.reason).toMatch(/background analysis failed/);
    expect(bad.events.find((e) => e.type === 'measurement' && e.values[0] === 0.3)).toBeDefined();
    expect(await appState(c, config.namespace)).toMatchObject({
      version: 'v2',
      podVersions: ['v2'],
      readyPods: 3,
      lockHolder: null,
    });
  });
});
