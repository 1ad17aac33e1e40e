import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeCanary } from '../../../src/analysis/judge.js';
import { PrometheusProvider } from '../../../src/analysis/providers/prometheus.js';
import type { MeasurementRecord } from '../../../src/analysis/run.js';
import { type MetricDefinition, prepareMetrics, runAnalysis } from '../../../src/analysis/runner.js';
import { RealClock } from '../../../src/core/clock.js';
import type { MetricVars } from '../../../src/core/ports.js';
import { type Prometheus, startPrometheus, waitForQuery } from '../../support/prometheus.js';
import { startTestExporter, type TestExporter } from '../../support/test-exporter.js';

// The prometheus provider and condition-based analysis against a real Prometheus server scraping a test
// exporter every second; the test sets each version's error rate and latency. Stable v1 serves 0.1 % errors.
const vars: MetricVars = { app: 'checkout', namespace: 'shop', stableVersion: 'v1', canaryVersion: 'v2' };
const ODD_VERSION = `v3"quoted'\\slash`;
const clock = new RealClock();
let exporter: TestExporter;
let prometheus: Prometheus;

beforeAll(async () => {
  exporter = await startTestExporter('checkout', {
    v1: { rps: 200, errorRate: 0.001, latency: 0.08 },
    v2: { rps: 50, errorRate: 0.001, latency: 0.08 },
    [ODD_VERSION]: { rps: 10, errorRate: 0, latency: 0.08 },
  });
  prometheus = await startPrometheus({ targets: [exporter.target], scrapeInterval: '1s' });
  // rate() over [5s] needs a few scrapes of every version.
  await waitForQuery(
    prometheus.url,
    'count(rate(http_requests_total{code="200"}[5s]) > 0)',
    (v) => v[0] === 3,
  );
});
afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
});

const errorRateQuery =
  'sum(rate(http_requests_total{app="{{app}}",version="{{canaryVersion}}",code=~"5.."}[5s])) / sum(rate(http_requests_total{app="{{app}}",version="{{canaryVersion}}"}[5s]))';
const errorRate = (over: Partial<MetricDefinition> = {}): MetricDefinition => ({
  name: 'error-rate',
  provider: { prometheus: { address: prometheus.url, query: errorRateQuery } },
  interval: 1000,
  count: 3,
  successCondition: 'result < 0.01',
  failureLimit: 0,
  inconclusiveLimit: 0,
  consecutiveErrorLimit: 4,
  ...over,
});

describe('analysis on a real Prometheus', () => {
  it('passes a healthy canary, then fails it within seconds of its error rate rising to 5 %', async () => {
    const healthy = await runAnalysis({ metrics: [errorRate()], vars, clock });
    expect(healthy.verdict).toBe('successful');
    expect(healthy.metrics['error-rate']!.recent.every((r) => r.values[0]! < 0.01)).toBe(true);

    const seen: MeasurementRecord[] = [];
    const run = runAnalysis({
      metrics: [errorRate({ count: 60 })],
      vars,
      clock,
      onMeasurement: (r) => seen.push(r),
    });
    await new Promise((r) => setTimeout(r, 1500));
    const raisedAt = Date.now();
    exporter.set('v2', { errorRate: 0.05 });
    const state = await run;
    expect(state.verdict).toBe('failed');
    const failing = seen.find((r) => r.phase === 'failed')!;
    expect(failing.values[0]).toBeGreaterThanOrEqual(0.01);
    expect(state.decidedAt).toBe(failing.finishedAt);
    expect(seen.filter((r) => r.phase === 'successful').length).toBeGreaterThanOrEqual(1);
    console.log(
      `error rate raised → analysis failed after ${state.decidedAt! - raisedAt} ms (interval 1s, scrape 1s, rate[5s])`,
    );
  });

  it('an empty result is no data, so the analysis pauses instead of passing', async () => {
    const state = await runAnalysis({
      metrics: [errorRate({ count: 1 })],
      vars: { ...vars, canaryVersion: 'v9' },
      clock,
    });
    expect(state.verdict).toBe('inconclusive');
    expect(state.metrics['error-rate']!.recent[0]).toMatchObject({ phase: 'no-data', values: [] });
  });

  it('escapes variables for PromQL strings in double and single quotes', async () => {
    const p = new PrometheusProvider({ address: prometheus.url });
    const odd = { ...vars, canaryVersion: ODD_VERSION };
    for (const q of [
      'count(http_requests_total{version="{{canaryVersion}}"})',
      "count(http_requests_total{version='{{canaryVersion}}'})",
    ]) {
      expect((await p.measure(q, odd)).values).toEqual([2]);
    }
  });

  it('reports a PromQL syntax error as an error, not a failure, without retrying it', async () => {
    const state = await runAnalysis({
      metrics: [
        errorRate({
          provider: { prometheus: { address: prometheus.url, query: 'sum(rate(' } },
          consecutiveErrorLimit: 0,
        }),
      ],
      vars,
      clock,
    });
    expect(state.verdict).toBe('error');
    expect(state.reason).toMatch(/bad_data/);
    expect(state.metrics['error-rate']).toMatchObject({ errors: 1, failed: 0 });
  });

  it('judges a canary with doubled latency against the stable version over a window', async () => {
    exporter.set('v2', { latency: 0.4 });
    exporter.set('v1', { latency: 0.2 });
    await new Promise((r) => setTimeout(r, 8000));
    const latency: MetricDefinition = {
      ...errorRate(),
      name: 'latency',
      provider: {
        prometheus: {
          address: prometheus.url,
          query:
            'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{app="{{app}}",version="{{version}}"}[3s])))',
        },
      },
      judge: { direction: 'increase', tolerance: 0.2, critical: true, mustHaveData: true, weight: 1 },
    };
    const metrics = await prepareMetrics([latency], { vars });
    const now = Date.now();
    const j = await judgeCanary({
      metrics,
      vars,
      from: now - 4000,
      to: now,
      thresholds: { pass: 95, marginal: 75 },
    });
    expect(j.metrics[0]!.canary.count).toBeGreaterThanOrEqual(5);
    expect(j).toMatchObject({ result: 'fail', verdict: 'failed' });
    expect(j.metrics[0]!.classification).toBe('high');
  });
});
