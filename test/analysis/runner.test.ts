import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/analysis/errors.js';
import { ProviderRegistry } from '../../src/analysis/registry.js';
import type { AnalysisRunState, MeasurementRecord } from '../../src/analysis/run.js';
import {
  backgroundAnalysis,
  type MetricDefinition,
  prepareMetrics,
  runAnalysis,
} from '../../src/analysis/runner.js';
import { ConfigError } from '../../src/config/errors.js';
import { VirtualClock } from '../../src/core/clock.js';
import type { MetricProvider } from '../../src/core/ports.js';
import { eventually } from '../support/eventually.js';
import { startServer } from '../support/http-server.js';

import { vars } from '../support/metric-vars.js';

/** A provider whose answers a test scripts per query: a value list, an error, or "hang until aborted"; the last repeats. */
type Step = number[] | Error | 'hang';
function scripted(scripts: Record<string, Step[]>) {
  const calls: { query: string; at: number }[] = [];
  const aborted: string[] = [];
  const make = (clock: VirtualClock): MetricProvider => ({
    name: 'scripted',
    async measure(query, _vars, signal) {
      calls.push({ query, at: clock.now() });
      const script = scripts[query]!;
      const step = script.length > 1 ? script.shift()! : script[0]!;
      if (step === 'hang') {
        return new Promise((_, reject) =>
          signal?.addEventListener('abort', () => {
            aborted.push(query);
            reject(signal.reason);
          }),
        );
      }
      if (step instanceof Error) throw step;
      return { values: step, at: clock.now() };
    },
  });
  return { calls, aborted, make };
}

function setup(scripts: Record<string, Step[]>) {
  const clock = new VirtualClock({ start: 1_000_000, autoAdvance: true });
  const s = scripted(scripts);
  const provider = s.make(clock);
  const providers = new ProviderRegistry().register('scripted', async (o) => ({
    provider,
    query: String(o.query),
  }));
  return { clock, providers, ...s };
}

const metric = (name: string, over: Partial<MetricDefinition> = {}): MetricDefinition => ({
  name,
  provider: { scripted: { query: name } },
  interval: 60_000,
  count: 10,
  successCondition: 'result < 0.05',
  failureLimit: 0,
  inconclusiveLimit: 0,
  consecutiveErrorLimit: 4,
  ...over,
});

describe('runAnalysis', () => {
  it('decides at the failing measurement itself, not an interval later', async () => {
    const t = setup({ 'error-rate': [[0.01], [0.02], [0.2], [0.01]] });
    const seen: MeasurementRecord[] = [];
    const state = await runAnalysis({
      metrics: [metric('error-rate')],
      providers: t.providers,
      vars,
      clock: t.clock,
      onMeasurement: (r) => seen.push(r),
    });
    expect(state.verdict).toBe('failed');
    expect(seen.map((r) => r.phase)).toEqual(['successful', 'successful', 'failed']);
    expect(t.calls.map((c) => c.at - 1_000_000)).toEqual([0, 60_000, 120_000]);
    expect(state.decidedAt).toBe(seen[2]!.finishedAt);
    expect(t.clock.now()).toBe(state.decidedAt);
    expect(state.reason).toBe(
      'error-rate: 1 failed measurement (failureLimit 0) (last: 0.2: successCondition result < 0.05 is false)',
    );
  });

  it('measures metrics on their own schedules', async () => {
    const t = setup({ every30s: [[0.01]], delayed: [[0.01], [0.01], [0.9]] });
    const state = await runAnalysis({
      metrics: [metric('every30s', { interval: 30_000 }), metric('delayed', { initialDelay: 10_000 })],
      providers: t.providers,
      vars,
      clock: t.clock,
    });
    expect(state.reason).toMatch(/^delayed:/);
    expect(state.decidedAt! - 1_000_000).toBe(130_000);
    const at = (q: string) => t.calls.filter((c) => c.query === q).map((c) => c.at - 1_000_000);
    expect(at('delayed')).toEqual([10_000, 70_000, 130_000]);
    expect(at('every30s')).toEqual([0, 30_000, 60_000, 90_000, 120_000]);
  });

  it('cancels measurements still in flight once a metric fails', async () => {
    const t = setup({ slow: ['hang'], fails: [[0.9]] });
    const state = await runAnalysis({
      metrics: [metric('slow'), metric('fails')],
      providers: t.providers,
      vars,
      clock: t.clock,
    });
    expect(state).toMatchObject({ verdict: 'failed', decidedAt: 1_000_000 });
    expect(t.aborted).toEqual(['slow']);
  });

  it('retries a retryable provider error within the measurement; other errors count as errors at once', async () => {
    const t = setup({
      flaky: [new ProviderError('HTTP 503', true), [0.01]],
      broken: [new ProviderError('parse error', false), [0.01]],
    });
    const seen: MeasurementRecord[] = [];
    const state = await runAnalysis({
      metrics: [metric('flaky', { count: 1 }), metric('broken', { count: 1, consecutiveErrorLimit: 0 })],
      providers: t.providers,
      vars,
      clock: t.clock,
      retryMinTimeoutMs: 1,
      onMeasurement: (r) => seen.push(r),
    });
    expect(state.verdict).toBe('error');
    expect(state.reason).toBe('broken: 1 consecutive error (consecutiveErrorLimit 0) (last: parse error)');
    expect(t.calls.filter((c) => c.query === 'broken')).toHaveLength(1);
    expect(state.metrics.broken).toMatchObject({ errors: 1, failed: 0 });
  });

  it('treats an empty result as no data and pauses (inconclusive) rather than passing', async () => {
    const t = setup({ rate: [[], [], [0.01]] });
    const state = await runAnalysis({
      metrics: [metric('rate', { inconclusiveLimit: 1 })],
      providers: t.providers,
      vars,
      clock: t.clock,
    });
    expect(state.verdict).toBe('inconclusive');
    expect(state.metrics.rate).toMatchObject({ noData: 2, measured: 2 });
  });

  it('rejects bad metrics before measuring anything, naming every field', async () => {
    const t = setup({});
    const bad = [
      metric('a', { successCondition: 'result <' }),
      metric('b', { provider: { datadog: { query: 'x' } } }),
      metric('c', { provider: { scripted: { query: 'up{v="{{canaryHash}}"}' } } }),
    ];
    const err = (await runAnalysis({ metrics: bad, providers: t.providers, vars, clock: t.clock }).catch(
      (e) => e,
    )) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.exitCode).toBe(2);
    expect(err.issues.map((i) => i.path.join('.'))).toEqual([
      'analysis.metrics.0.successCondition',
      'analysis.metrics.1.provider',
      'analysis.metrics.2.provider.scripted',
    ]);
    expect(err.message).toMatch(/expected exactly one provider of: scripted/);
    expect(err.message).toMatch(/\{\{canaryHash\}\} is not a variable of this release/);
    expect(t.calls).toHaveLength(0);
  });

  it('continues a saved run state instead of starting over', async () => {
    const t = setup({ rate: [[0.5], [0.5]] });
    const first: AnalysisRunState[] = [];
    const metrics = [metric('rate', { failureLimit: 1 })];
    const controller = new AbortController();
    const run = runAnalysis({
      metrics,
      providers: t.providers,
      vars,
      clock: t.clock,
      signal: controller.signal,
      onMeasurement: (_r, s) => {
        first.push(JSON.parse(JSON.stringify(s)));
        controller.abort(new Error('process killed'));
      },
    });
    await expect(run).rejects.toThrow('process killed');
    expect(first[0]!.metrics.rate!.failed).toBe(1);

    const resumed = await runAnalysis({
      metrics,
      providers: t.providers,
      vars,
      clock: t.clock,
      state: first[0],
    });
    expect(resumed.verdict).toBe('failed');
    expect(resumed.metrics.rate!.failed).toBe(2);
    expect(t.calls).toHaveLength(2);
  });
});

describe('backgroundAnalysis', () => {
  it('runs until stopped and then reports success', async () => {
    const t = setup({ rate: [[0.01]] });
    const seen: MeasurementRecord[] = [];
    const bg = backgroundAnalysis({
      metrics: [metric('rate', { count: undefined })],
      providers: t.providers,
      vars,
      clock: t.clock,
      onMeasurement: (r) => seen.push(r),
    }).start();
    await eventually(() => seen.length >= 5);
    const state = await bg.stop();
    expect(state.verdict).toBe('successful');
    expect(bg.state?.metrics.rate?.successful).toBeGreaterThanOrEqual(5);
    expect(await bg.verdict).toBe(state);
  });

  it('settles its verdict as soon as a measurement fails, while the release carries on', async () => {
    const t = setup({ rate: [[0.01], [0.01], [0.3]] });
    const bg = backgroundAnalysis({
      metrics: [metric('rate', { count: undefined })],
      providers: t.providers,
      vars,
      clock: t.clock,
    });
    const state = await bg.start().verdict;
    expect(state.verdict).toBe('failed');
    expect((await bg.stop()).verdict).toBe('failed');
  });
});

describe('providers and the run clock', () => {
  it('windows ending "now" end at the run clock\'s now, virtual time included', async () => {
    const server = await startServer(() => ({
      body: { status: 'success', data: { resultType: 'matrix', result: [] } },
    }));
    try {
      const clock = new VirtualClock({ start: Date.UTC(2026, 0, 1) });
      const state = await runAnalysis({
        metrics: [
          metric('windowed', {
            count: 1,
            inconclusiveLimit: 1,
            provider: {
              prometheus: { address: server.url, query: 'up', range: { window: 300_000, step: 60_000 } },
            },
          }),
        ],
        vars,
        clock,
      });
      expect(state.metrics.windowed!.recent[0]!.phase).toBe('no-data');
      const end = Date.UTC(2026, 0, 1) / 1000;
      expect(Object.fromEntries(server.received[0]!.params)).toMatchObject({
        start: (end - 300).toFixed(3),
        end: end.toFixed(3),
      });
    } finally {
      await server.close();
    }
  });
});

describe('prepareMetrics', () => {
  it("picks a step's metrics from the full list, naming each by its place in the config", async () => {
    const t = setup({});
    const all = [metric('a'), metric('b', { successCondition: 'nope <' }), metric('c')];
    expect(
      (await prepareMetrics(all, { vars, providers: t.providers, only: ['c', 'a'] })).map((m) => m.name),
    ).toEqual(['a', 'c']);
    const err = (await prepareMetrics(all, { vars, providers: t.providers, only: ['b', 'x'] }).catch(
      (e) => e,
    )) as ConfigError;
    expect(err.issues.map((i) => [i.path.join('.'), i.message.split(':')[0]])).toEqual([
      ['analysis.metrics', 'no metric named "x"; defined'],
      ['analysis.metrics.1.successCondition', 'not a valid CEL condition'],
    ]);
  });

  it('binds each metric to its provider with its query', async () => {
    const t = setup({});
    const [m] = await prepareMetrics([metric('rate')], { vars, providers: t.providers });
    expect(m).toMatchObject({ name: 'rate', query: 'rate', interval: 60_000 });
    expect(m!.provider.name).toBe('scripted');
  });
});
