import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeCanary } from '../../src/analysis/judge.js';
import { PrometheusProvider } from '../../src/analysis/providers/prometheus.js';
import { replayAnalysis } from '../../src/analysis/replay.js';
import { type MetricDefinition, prepareMetrics, runAnalysis } from '../../src/analysis/runner.js';
import { VirtualClock } from '../../src/core/clock.js';
import { KubeCluster } from '../../src/kube/cluster.js';
import { selectContext } from '../../src/kube/kubeconfig.js';
import { type SimulatedCluster, startSimulatedCluster } from '../../src/sim/index.js';
import { resourceByName } from '../../src/sim/resources.js';

// The analysis against the simulated cluster's Prometheus endpoint and Kubernetes API, in virtual time:
// scenario canary-errors serves v2 with an 8 % error rate (20 % after 5 minutes) and doubled latency.
// The clock auto-advances as `simulate` runs it; the runner holds it while a query is on its way to the
// simulator, so virtual time can't jump minutes during one request.
const START = Date.UTC(2026, 0, 1);

import { vars } from '../support/metric-vars.js';

let sim: SimulatedCluster;
const clock = new VirtualClock({ start: START, autoAdvance: true });

function deployment(version: string, replicas: number) {
  const labels = { app: 'checkout', 'kdeploy.dev/app': 'checkout', 'kdeploy.dev/version': version };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `checkout-${version}`, namespace: 'shop' },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: `registry.example/checkout:${version}` }] },
      },
    },
  };
}

beforeAll(async () => {
  sim = await startSimulatedCluster({ clock, scenario: 'canary-errors', seed: 7 });
  sim.api.create(resourceByName('namespaces'), undefined, { metadata: { name: 'shop' } });
  sim.api.create(resourceByName('deployments'), 'shop', deployment('v1', 4));
  sim.api.create(resourceByName('deployments'), 'shop', deployment('v2', 1));
  const probe = new PrometheusProvider({ address: sim.url });
  const ready = async () => {
    const release = clock.hold();
    try {
      return (await probe.measure('count(kdeploy_error_rate{namespace="shop"})', vars)).values[0] === 2;
    } finally {
      release();
    }
  };
  while (!(await ready())) await clock.sleep(1000);
});
afterAll(async () => {
  await sim?.close();
  clock.dispose();
});

const errorRate = (over: Partial<MetricDefinition> = {}): MetricDefinition => ({
  name: 'error-rate',
  provider: {
    prometheus: {
      address: sim.url,
      query: 'sum(kdeploy_error_rate{namespace="{{namespace}}",app="{{app}}",version="{{canaryVersion}}"})',
    },
  },
  interval: 30_000,
  count: 5,
  successCondition: 'result < 0.01',
  failureLimit: 0,
  inconclusiveLimit: 0,
  consecutiveErrorLimit: 4,
  ...over,
});

describe('analysis on the simulated cluster', () => {
  it('fails the canary on its error rate at the first measurement, and passes the stable version', async () => {
    const failed = await runAnalysis({ metrics: [errorRate()], vars, clock });
    expect(failed.verdict).toBe('failed');
    expect(failed.metrics['error-rate']!.recent[0]).toMatchObject({ phase: 'failed', values: [0.08] });
    expect(failed.decidedAt).toBe(failed.startedAt);

    const stable = await runAnalysis({
      metrics: [errorRate({ count: 2 })],
      vars: { ...vars, canaryVersion: 'v1' },
      clock,
    });
    expect(stable.verdict).toBe('successful');
  });

  it('reads pod health of the canary through the Kubernetes API', async () => {
    const context = { cluster: new KubeCluster(selectContext(sim.kubeConfig(), { namespace: 'shop' })) };
    const pods = (check: string): MetricDefinition => ({
      ...errorRate({ count: 1 }),
      name: check.toLowerCase(),
      provider: { kubernetes: { check } },
      successCondition: 'result < 1',
    });
    const state = await runAnalysis({
      metrics: [pods('restarts'), pods('notReady'), pods('oomKilled')],
      vars,
      clock,
      context,
    });
    expect(state.verdict).toBe('successful');
    const gone = await runAnalysis({
      metrics: [pods('restarts')],
      vars: { ...vars, canaryVersion: 'v9' },
      clock,
      context,
    });
    expect(gone).toMatchObject({ verdict: 'inconclusive', reason: expect.stringMatching(/1 without data/) });
  });

  it('judges the canary against the stable version over a window: doubled latency fails', async () => {
    const latency: MetricDefinition = {
      ...errorRate(),
      name: 'latency',
      provider: {
        prometheus: {
          address: sim.url,
          query: 'max(kdeploy_latency_p99_seconds{app="{{app}}",version="{{version}}"})',
        },
      },
      judge: { direction: 'increase', tolerance: 0.2, critical: false, mustHaveData: true, weight: 1 },
    };
    const metrics = await prepareMetrics([latency], { vars });
    const now = clock.now();
    const j = await judgeCanary({
      metrics,
      vars,
      from: now - 10 * 60_000,
      to: now,
      thresholds: { pass: 95, marginal: 75 },
    });
    expect(j.result).toBe('fail');
    expect(j.metrics[0]!.classification).toBe('high');
    expect(j.metrics[0]!.canary.mean).toBeCloseTo(0.32, 9);
    expect(j.metrics[0]!.baseline.mean).toBeCloseTo(0.15, 9);
  });

  it('replays a window: the error rate crossing 10 % at 5 minutes is where the analysis would have failed', async () => {
    await clock.sleep(Math.max(0, START + 7 * 60_000 - clock.now()));
    const report = await replayAnalysis({
      metrics: [
        errorRate({
          count: undefined,
          successCondition: undefined,
          failureCondition: 'result > 0.1',
          interval: 60_000,
        }),
      ],
      vars,
      from: START + 60_000,
      to: START + 7 * 60_000,
    });
    const m = report.metrics[0]!;
    expect(m.measurements.map((r) => r.values[0])).toEqual([0.08, 0.08, 0.08, 0.08, 0.2, 0.2, 0.2]);
    expect(m.measurements.map((r) => r.phase)).toEqual([
      'successful',
      'successful',
      'successful',
      'successful',
      'failed',
      'failed',
      'failed',
    ]);
    expect(report).toMatchObject({ verdict: 'failed', decidedAt: START + 5 * 60_000 });
  });
});
