import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseEvent } from '../../../src/core/release.js';
import { release } from '../../../src/engine/api.js';
import { type SimulatedCluster, startSimulatedCluster } from '../../../src/sim/index.js';
import { FAST_PODS } from '../../support/engine-sim.js';
import { type Prometheus, startPrometheus, waitForQuery } from '../../support/prometheus.js';
import { startTestExporter, type TestExporter } from '../../support/test-exporter.js';
import { useTestNamespace } from '../../testbed/namespace.js';

// A canary release with an analysis step, the way the issue checks it: the simulated cluster (real time) or
// the test bed's real control plane (KWOK pods) runs the pods, a real Prometheus scrapes the app's metrics
// from the test exporter, and the analysis of the canary's error rate decides. v2 serves 5 % errors while
// stable v1 serves 0.1 %: rolled back. v3 is healthy: promoted.
let sim: SimulatedCluster;
let exporter: TestExporter;
let prometheus: Prometheus;

beforeAll(async () => {
  exporter = await startTestExporter('checkout', {
    v1: { rps: 200, errorRate: 0.001, latency: 0.08 },
    v2: { rps: 50, errorRate: 0.05, latency: 0.08 },
    v3: { rps: 50, errorRate: 0.001, latency: 0.08 },
  });
  prometheus = await startPrometheus({ targets: [exporter.target] });
  await waitForQuery(
    prometheus.url,
    'count(rate(http_requests_total{code="500"}[5s]) > 0)',
    (v) => v[0] === 3,
  );
  sim = await startSimulatedCluster({ scenario: { pods: FAST_PODS }, seed: 11 });
});
afterAll(async () => {
  await sim?.close();
  await prometheus?.stop();
  await exporter?.close();
});

const config = () => ({
  app: 'checkout',
  image: { repository: 'registry.example/checkout' },
  replicas: 4,
  strategy: {
    canary: { steps: [{ setWeight: 25 }, { analysis: { metrics: ['error-rate'] } }, { setWeight: 50 }] },
  },
  analysis: {
    metrics: [
      {
        name: 'error-rate',
        provider: {
          prometheus: {
            address: prometheus.url,
            query:
              'sum(rate(http_requests_total{app="{{app}}",version="{{canaryVersion}}",code=~"5.."}[5s])) / sum(rate(http_requests_total{app="{{app}}",version="{{canaryVersion}}"}[5s]))',
          },
        },
        interval: '1s',
        count: 3,
        successCondition: 'result < 0.01',
      },
    ],
  },
});
type Target = () => { kubeconfig: string | KubeConfig; namespace?: string };
const run = (target: Target, to: string) =>
  release({ config: config(), strategy: 'canary', to, ...target(), tuning: { readinessTimeoutMs: 30_000 } });
const weights = (events: ReleaseEvent[]) =>
  events.filter((e) => e.type === 'weight').map((e) => (e as { canary: number }).canary);

const bed = useTestNamespace('analysis-canary');
const targets: [string, Target][] = [
  ['the simulated cluster', () => ({ kubeconfig: sim.kubeConfig() })],
  [
    'the real control plane',
    () => ({ kubeconfig: process.env.KDEPLOY_TESTBED_KUBECONFIG!, namespace: bed.name }),
  ],
];

describe.each(targets)('canary with analysis on a real Prometheus, on %s', (where, target) => {
  it('rolls a canary with a 5 % error rate back at its first measurement, and promotes a healthy one', async () => {
    expect((await run(target, 'v1')).outcome).toBe('completed');

    const bad = await run(target, 'v2');
    expect(bad.outcome, bad.reason).toBe('failed');
    expect(bad.exitCode).toBe(1);
    expect(bad.reason).toMatch(
      /error-rate: 1 failed measurement \(failureLimit 0\) \(last: 0\.0\d+: successCondition result < 0\.01 is false\)/,
    );
    expect(weights(bad.events)).toEqual([25, 0]);
    expect(bad.version).toBe('v1');
    const failing = bad.events.find((e) => e.type === 'measurement' && e.verdict === 'failed')!;
    const zero = bad.events.find((e) => e.type === 'weight' && e.canary === 0)!;
    console.log(`${where}: failing measurement → canary weight 0: ${zero.at - failing.at} ms`);

    const good = await run(target, 'v3');
    expect(good.outcome, good.reason).toBe('completed');
    expect(weights(good.events)).toEqual([25, 50, 0]);
    expect(
      good.events.filter((e) => e.type === 'measurement').map((e) => (e as { verdict: string }).verdict),
    ).toEqual(['successful', 'successful', 'successful']);
  });
});
