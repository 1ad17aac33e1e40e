import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusProvider } from '../../src/analysis/providers/prometheus.js';
import type { MeasurementRecord } from '../../src/analysis/run.js';
import { JUDGE_METRIC, type MetricDefinition, runAnalysis } from '../../src/analysis/runner.js';
import { VirtualClock } from '../../src/core/clock.js';
import type { MetricVars } from '../../src/core/ports.js';
import { type SimulatedCluster, startSimulatedCluster } from '../../src/sim/index.js';
import { resourceByName } from '../../src/sim/resources.js';

// The canary judge inside an analysis run, on the simulator's Prometheus endpoint in virtual time. Scenario
// canary-errors: v2 answers with a p99 latency of 0.32 s against 0.15 s for every other version, so v2
// judged against v1 fails and v3 (served like v1) passes.
const START = Date.UTC(2026, 0, 1);
const clock = new VirtualClock({ start: START, autoAdvance: true });
let sim: SimulatedCluster;
const vars = (canaryVersion: string): MetricVars => ({
  app: 'checkout',
  namespace: 'shop',
  stableVersion: 'v1',
  canaryVersion,
});

function deployment(version: string) {
  const labels = { app: 'checkout', 'kdeploy.dev/version': version };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `checkout-${version}`, namespace: 'shop' },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: `registry.example/checkout:${version}` }] },
      },
    },
  };
}

beforeAll(async () => {
  sim = await startSimulatedCluster({ clock, scenario: 'canary-errors', seed: 3 });
  sim.api.create(resourceByName('namespaces'), undefined, { metadata: { name: 'shop' } });
  for (const v of ['v1', 'v2', 'v3']) sim.api.create(resourceByName('deployments'), 'shop', deployment(v));
  const probe = new PrometheusProvider({ address: sim.url });
  const ready = async () => {
    const release = clock.hold();
    try {
      return (await probe.measure('count(kdeploy_error_rate{namespace="shop"})', vars('v2'))).values[0] === 3;
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

const judged = (name: string, query: string, over: Partial<MetricDefinition> = {}): MetricDefinition => ({
  name,
  provider: { prometheus: { address: sim.url, query } },
  interval: 30_000,
  count: 5,
  failureLimit: 0,
  inconclusiveLimit: 0,
  consecutiveErrorLimit: 4,
  judge: { direction: 'increase', tolerance: 0.2, critical: false, mustHaveData: true, weight: 1 },
  ...over,
});
const latency = () =>
  judged('latency', 'max(kdeploy_latency_p99_seconds{namespace="{{namespace}}",version="{{version}}"})');
const errors = (over: Partial<MetricDefinition> = {}) =>
  judged('errors', 'max(kdeploy_error_rate{namespace="{{namespace}}",version="{{version}}"})', over);

async function run(canary: string, metrics: MetricDefinition[], judge = { pass: 95, marginal: 75 }) {
  const records: MeasurementRecord[] = [];
  const startedAt = clock.now();
  const state = await runAnalysis({
    metrics,
    vars: vars(canary),
    clock,
    judge,
    onMeasurement: (r) => records.push(r),
  });
  return { state, records, elapsed: clock.now() - startedAt };
}

describe('the canary judge in an analysis run', () => {
  it('fails a canary whose latency doubled, after the metric’s window, with the judgement recorded', async () => {
    const { state, records, elapsed } = await run('v2', [latency()]);
    expect(state.verdict).toBe('failed');
    expect(state.reason).toMatch(
      /^canary judge: 1 failed measurement .*score 0 < marginal 75; failing: latency/,
    );
    expect(elapsed).toBe(5 * 30_000);
    expect(records).toHaveLength(1);
    const [r] = records;
    expect(r).toMatchObject({ metric: JUDGE_METRIC, phase: 'failed', values: [0] });
    expect(r!.judgement!.metrics[0]).toMatchObject({
      name: 'latency',
      classification: 'high',
      canary: { count: 6, mean: 0.32 },
      baseline: { count: 6, mean: 0.15 },
    });
  });

  it('passes a canary that serves like the stable version', async () => {
    const { state, records } = await run('v3', [latency()]);
    expect(state.verdict).toBe('successful');
    expect(records.map((r) => [r.metric, r.phase, r.values])).toEqual([[JUDGE_METRIC, 'successful', [100]]]);
    expect(records[0]!.judgement!.metrics[0]!.reason).toMatch(/^no significant difference/);
  });

  it('scores the judge metrics together: one of two failing is marginal, so the run is inconclusive', async () => {
    const { state, records } = await run('v2', [latency(), errors({ judge: undefined, count: 2 })], {
      pass: 95,
      marginal: 40,
    });
    // errors (no judge) runs on its own conditions — here none, so it passes — beside the judge.
    expect(records.filter((r) => r.metric === 'errors').map((r) => r.phase)).toEqual([
      'successful',
      'successful',
    ]);
    expect(state.verdict).toBe('failed');

    const both = await run('v2', [latency(), errors({ judge: { ...latency().judge!, tolerance: 100 } })], {
      pass: 95,
      marginal: 40,
    });
    expect(both.state.verdict).toBe('inconclusive');
    expect(both.state.reason).toMatch(/score 50 is marginal \(pass 95, marginal 40\); failing: latency/);
  });

  it('gives no verdict without data to compare, or fails when the metric must have data', async () => {
    // No series carries a shard label: both sides come back empty.
    const query = 'max(kdeploy_latency_p99_seconds{version="{{version}}",shard="{{track}}"})';
    const judge = { ...latency().judge!, mustHaveData: false };
    const { state, records } = await run('v2', [judged('latency', query, { judge })]);
    expect(state.verdict).toBe('inconclusive');
    expect(records[0]).toMatchObject({ metric: JUDGE_METRIC, phase: 'no-data', values: [] });

    const must = await run('v2', [judged('latency', query)]);
    expect(must.state.verdict).toBe('failed');
    expect(must.state.reason).toMatch(/latency \(no data: 0 canary and 0 baseline samples.*\(mustHaveData\)/);
  });
});
