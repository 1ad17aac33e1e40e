import { describe, expect, it } from 'vitest';
import { ProviderRegistry } from '../../src/analysis/registry.js';
import { formatReplay, replayAnalysis } from '../../src/analysis/replay.js';
import { JUDGE_METRIC, type MetricDefinition } from '../../src/analysis/runner.js';
import type { MetricProvider, MetricVars } from '../../src/core/ports.js';

import { vars } from '../support/metric-vars.js';

const T0 = Date.UTC(2026, 0, 1, 10);
const MIN = 60_000;

// History per query (or per `query@version`, for the judge's samples of one version): one value a minute
// from T0; null = no sample that minute (a gap in the series).
const noisy = (base: number) => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => base * (1 + ((i * 7) % 5) / 100));
const history: Record<string, (number | null)[]> = {
  errors: [0.001, 0.002, null, 0.02, 0.03, 0.001],
  latency: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
  'p99@v1': noisy(0.15),
  'p99@v2': noisy(0.3),
  'cpu@v1': noisy(0.5),
  'cpu@v2': noisy(0.51),
};
const asked: { query: string; vars: MetricVars; from: number; to: number; step: number }[] = [];
const ranged: MetricProvider = {
  name: 'history',
  async measure() {
    throw new Error('replay must not take live measurements');
  },
  async measureRange(query, v, from, to, step) {
    asked.push({ query, vars: v, from, to, step });
    if (query === 'broken') throw new Error('HTTP 503 from history');
    const points = (history[`${query}@${v.version}`] ?? history[query] ?? [])
      .map((value, i) => ({ at: T0 + i * MIN, values: value === null ? [] : [value] }))
      .filter((p) => p.values.length && p.at >= from && p.at <= to);
    return { values: points.flatMap((p) => p.values), at: to, points };
  },
};
const live: MetricProvider = { name: 'pods', measure: async () => ({ values: [0], at: 0 }) };
const providers = new ProviderRegistry()
  .register('history', async (o) => ({ provider: ranged, query: String(o.query) }))
  .register('pods', async () => ({ provider: live, query: 'restarts' }));

const metric = (name: string, over: Partial<MetricDefinition> = {}): MetricDefinition => ({
  name,
  provider: { history: { query: name } },
  interval: MIN,
  failureCondition: 'result > 0.01',
  failureLimit: 1,
  inconclusiveLimit: 1,
  consecutiveErrorLimit: 4,
  ...over,
});

describe('replayAnalysis', () => {
  it('turns each interval of the window into the measurement a live run would have taken', async () => {
    const report = await replayAnalysis({
      metrics: [metric('errors')],
      vars,
      from: T0,
      to: T0 + 5 * MIN,
      providers,
    });
    const m = report.metrics[0]!;
    expect(m.measurements.map((r) => [r.finishedAt - T0, r.phase, r.values[0]])).toEqual([
      [0, 'successful', 0.001],
      [MIN, 'successful', 0.002],
      [2 * MIN, 'no-data', undefined],
      [3 * MIN, 'failed', 0.02],
      [4 * MIN, 'failed', 0.03],
      [5 * MIN, 'successful', 0.001],
    ]);
    expect(m).toMatchObject({ phase: 'failed', decidedAt: T0 + 4 * MIN });
    expect(report).toMatchObject({
      verdict: 'failed',
      decidedAt: T0 + 4 * MIN,
      reason: expect.stringMatching(/^errors: 2 failed/),
    });
    expect(asked.at(-1)).toMatchObject({
      from: T0,
      to: T0 + 5 * MIN,
      step: MIN,
      vars: { version: 'v2', track: 'canary' },
    });
  });

  it('honours initialDelay and count, and decides the whole run by the first metric to fail in time', async () => {
    const report = await replayAnalysis({
      metrics: [
        metric('errors', { initialDelay: MIN, count: 2, inconclusiveLimit: 0 }),
        metric('latency', { failureCondition: 'result > 0.05' }),
      ],
      vars,
      from: T0,
      to: T0 + 5 * MIN,
      providers,
    });
    expect(report.metrics[0]!.measurements.map((r) => r.finishedAt - T0)).toEqual([MIN, 2 * MIN]);
    expect(report.metrics[0]).toMatchObject({ phase: 'inconclusive', decidedAt: T0 + 2 * MIN });
    expect(report.metrics[1]).toMatchObject({ phase: 'failed', decidedAt: T0 + MIN });
    expect(report).toMatchObject({
      verdict: 'failed',
      decidedAt: T0 + MIN,
      reason: expect.stringMatching(/^latency:/),
    });
  });

  it('reports metrics it cannot replay without hiding the others', async () => {
    const report = await replayAnalysis({
      metrics: [
        metric('restarts', { provider: { pods: {} } }),
        metric('broken'),
        metric('latency', { failureCondition: 'result > 1' }),
      ],
      vars,
      from: T0,
      to: T0 + 2 * MIN,
      providers,
    });
    expect(report.metrics.map((m) => [m.name, m.phase, m.message])).toEqual([
      ['restarts', 'unsupported', 'the pods provider keeps no history'],
      ['broken', 'error', 'HTTP 503 from history'],
      ['latency', 'successful', 'stopped with no failed metric'],
    ]);
    expect(report).toMatchObject({ verdict: 'error', reason: 'broken: HTTP 503 from history' });
  });

  it('prints each metric with its measurements and the verdict', async () => {
    const report = await replayAnalysis({
      metrics: [metric('errors')],
      vars,
      from: T0,
      to: T0 + 5 * MIN,
      providers,
    });
    const text = formatReplay(report);
    expect(text).toContain('Analysis replay 2026-01-01T10:00:00Z → 2026-01-01T10:05:00Z (5m)');
    expect(text).toContain('errors: failed at 2026-01-01T10:04:00Z');
    expect(text).toContain('  2026-01-01T10:02:00Z  no data  —');
    expect(text).toContain('  2026-01-01T10:03:00Z  FAIL     0.02');
    expect(text).toMatch(/Verdict: failed at 2026-01-01T10:04:00Z \(errors: 2 failed measurements/);
  });

  it('judges the judge: metrics over the window, the canary version against the stable version', async () => {
    const judged = (name: string) =>
      metric(name, {
        failureCondition: undefined,
        judge: { direction: 'increase', tolerance: 0.1, critical: false, mustHaveData: true, weight: 1 },
      });
    const report = await replayAnalysis({
      metrics: [
        metric('latency', { failureCondition: 'result > 1', count: 3 }),
        judged('p99'),
        judged('cpu'),
      ],
      vars,
      from: T0,
      to: T0 + 9 * MIN,
      providers,
      judge: { pass: 90, marginal: 40 },
    });
    const versions = asked.slice(-2).map((a) => [a.query, a.vars.version]);
    expect(versions).toContainEqual(['cpu', 'v2']);
    expect(versions).toContainEqual(['cpu', 'v1']);
    expect(report.metrics.map((m) => [m.name, m.phase])).toEqual([
      ['latency', 'successful'],
      [JUDGE_METRIC, 'inconclusive'],
    ]);
    const [judgement] = report.metrics[1]!.measurements;
    expect(judgement).toMatchObject({ finishedAt: T0 + 9 * MIN, phase: 'inconclusive', values: [50] });
    expect(judgement!.judgement).toMatchObject({
      result: 'marginal',
      metrics: [
        { name: 'p99', classification: 'high', canary: { count: 10 }, baseline: { count: 10 } },
        { name: 'cpu', classification: 'pass' },
      ],
    });
    expect(judgement!.judgement!.metrics[0]!.canary.mean).toBeCloseTo(
      2 * judgement!.judgement!.metrics[0]!.baseline.mean,
      9,
    );
    expect(report).toMatchObject({ verdict: 'inconclusive', decidedAt: T0 + 9 * MIN });

    const text = formatReplay(report);
    expect(text).toContain('canary judge: inconclusive at 2026-01-01T10:09:00Z');
    expect(text).toContain('  2026-01-01T10:09:00Z  ?        score 50 (marginal)');
    expect(text).toMatch(
      /\n {4}p99: high: higher than baseline beyond tolerance \+10%: mean 0\.306 vs 0\.153 \(\+100%\), p=\d/,
    );
    expect(text).toMatch(/\n {4}cpu: pass: within tolerance \+10%: mean 0\.520 vs 0\.510 \(\+2%\), p=\d/);
  });

  it('a judge metric with too little history fails the replay when it must have data', async () => {
    const report = await replayAnalysis({
      metrics: [
        metric('p99', {
          failureCondition: undefined,
          judge: { direction: 'increase', tolerance: 0.1, critical: true, mustHaveData: true, weight: 1 },
        }),
      ],
      vars,
      from: T0,
      to: T0 + 3 * MIN,
      providers,
    });
    expect(report).toMatchObject({
      verdict: 'failed',
      reason: expect.stringMatching(/critical metric p99: no data: 4 canary and 4 baseline samples/),
    });
  });

  it('refuses an empty window', async () => {
    await expect(replayAnalysis({ metrics: [], vars, from: T0, to: T0, providers })).rejects.toThrow(
      /must end after it starts/,
    );
  });
});
