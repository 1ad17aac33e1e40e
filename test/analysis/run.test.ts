import { describe, expect, it } from 'vitest';
import {
  type AnalysisRunState,
  classify,
  ERROR_RETRY_MS,
  type MeasurementPhase,
  type MetricSpec,
  nextDue,
  RECENT_KEPT,
  recordMeasurement,
  startRun,
  stopRun,
} from '../../src/analysis/run.js';

const spec = (over: Partial<MetricSpec> = {}): MetricSpec => ({
  name: 'error-rate',
  interval: 60_000,
  successCondition: 'result < 0.05',
  failureLimit: 0,
  inconclusiveLimit: 0,
  consecutiveErrorLimit: 4,
  ...over,
});

/** Feeds phases to one metric, a minute apart, and returns every intermediate state. */
function feed(specs: MetricSpec[], phases: [string, MeasurementPhase][], start = 0): AnalysisRunState[] {
  let state = startRun(specs, start);
  const states: AnalysisRunState[] = [];
  phases.forEach(([metric, phase], i) => {
    const t = start + (i + 1) * 60_000;
    state = recordMeasurement(state, specs, { metric, phase, values: [], startedAt: t - 10, finishedAt: t });
    states.push(state);
  });
  return states;
}

describe('classify: one measurement against the conditions', () => {
  it('follows Argo: failure wins, a lone success condition fails when false, both false is inconclusive', () => {
    const both = spec({ successCondition: 'result < 0.01', failureCondition: 'result > 0.05' });
    expect(classify(both, [0.005]).phase).toBe('successful');
    expect(classify(both, [0.1]).phase).toBe('failed');
    expect(classify(both, [0.03])).toMatchObject({
      phase: 'inconclusive',
      message: '0.03: neither condition is true',
    });
    expect(classify(spec(), [0.1])).toMatchObject({
      phase: 'failed',
      message: '0.1: successCondition result < 0.05 is false',
    });
    expect(
      classify(spec({ successCondition: undefined, failureCondition: 'result > 0.05' }), [0.01]).phase,
    ).toBe('successful');
    expect(classify(spec({ successCondition: undefined }), [123]).phase).toBe('successful');
  });

  it('calls an empty result or only NaN no data, never success or failure', () => {
    expect(classify(spec(), [])).toMatchObject({ phase: 'no-data', message: 'the query returned no data' });
    expect(classify(spec(), [Number.NaN])).toMatchObject({
      phase: 'no-data',
      message: 'only NaN values (no traffic?)',
    });
    expect(classify(spec({ successCondition: undefined }), []).phase).toBe('no-data');
  });

  it('turns a condition that cannot be evaluated into an error, not a failure', () => {
    expect(classify(spec({ successCondition: 'results[2] < 1' }), [0.1])).toMatchObject({ phase: 'error' });
  });
});

describe('the run state machine', () => {
  it('fails at the first failed measurement with failureLimit 0, and says why', () => {
    const [s] = feed([spec({ count: 5 })], [['error-rate', 'failed']]);
    expect(s!.verdict).toBe('failed');
    expect(s!.decidedAt).toBe(60_000);
    expect(s!.reason).toBe('error-rate: 1 failed measurement (failureLimit 0)');
  });

  it('tolerates failureLimit failures and succeeds after count measurements', () => {
    const specs = [spec({ count: 4, failureLimit: 1 })];
    const states = feed(specs, [
      ['error-rate', 'successful'],
      ['error-rate', 'failed'],
      ['error-rate', 'successful'],
      ['error-rate', 'successful'],
    ]);
    expect(states.map((s) => s.verdict)).toEqual(['running', 'running', 'running', 'successful']);
    expect(states[3]!.metrics['error-rate']).toMatchObject({ measured: 4, failed: 1, phase: 'successful' });
    const twice = feed(specs, [
      ['error-rate', 'failed'],
      ['error-rate', 'failed'],
    ]);
    expect(twice.map((s) => s.verdict)).toEqual(['running', 'failed']);
  });

  it('counts provider errors apart from failures: only consecutive errors beyond the limit end the run', () => {
    const specs = [spec({ consecutiveErrorLimit: 2 })];
    const recovered = feed(specs, [
      ['error-rate', 'error'],
      ['error-rate', 'error'],
      ['error-rate', 'successful'],
      ['error-rate', 'error'],
    ]).at(-1)!;
    expect(recovered.verdict).toBe('running');
    expect(recovered.metrics['error-rate']).toMatchObject({
      errors: 3,
      consecutiveErrors: 1,
      failed: 0,
      measured: 1,
    });
    const broken = feed(specs, [
      ['error-rate', 'error'],
      ['error-rate', 'error'],
      ['error-rate', 'error'],
    ]).at(-1)!;
    expect(broken.verdict).toBe('error');
    expect(broken.reason).toMatch(/^error-rate: 3 consecutive errors \(consecutiveErrorLimit 2\)/);
  });

  it('errors do not use up count, and retry sooner than a long interval', () => {
    const specs = [spec({ count: 1, interval: 300_000 })];
    const [afterError, afterReading] = feed(specs, [
      ['error-rate', 'error'],
      ['error-rate', 'successful'],
    ]);
    expect(afterError!.verdict).toBe('running');
    expect(afterError!.metrics['error-rate']!.nextAt).toBe(60_000 + ERROR_RETRY_MS);
    expect(afterReading!.verdict).toBe('successful');
  });

  it('counts no data against inconclusiveLimit: the release pauses instead of passing blind', () => {
    const specs = [spec({ count: 5, inconclusiveLimit: 1 })];
    const states = feed(specs, [
      ['error-rate', 'no-data'],
      ['error-rate', 'no-data'],
    ]);
    expect(states.map((s) => s.verdict)).toEqual(['running', 'inconclusive']);
    expect(states[1]!.reason).toBe('error-rate: 0 inconclusive and 2 without data (inconclusiveLimit 1)');
    expect(states[1]!.metrics['error-rate']!.noData).toBe(2);
  });

  it('never passes a metric whose measurements all lacked data, however high the limits', () => {
    const specs = [spec({ count: 2, inconclusiveLimit: 5 })];
    const s = feed(specs, [
      ['error-rate', 'no-data'],
      ['error-rate', 'no-data'],
    ]).at(-1)!;
    expect(s.verdict).toBe('inconclusive');
    expect(s.reason).toBe('error-rate: 0 of 2 measurements successful');
  });

  it('waits for bounded metrics before calling an inconclusive run; a later failure still wins', () => {
    const specs = [spec({ name: 'a', count: 1 }), spec({ name: 'b', count: 2 })];
    const states = feed(specs, [
      ['a', 'inconclusive'],
      ['b', 'successful'],
      ['b', 'failed'],
    ]);
    expect(states.map((s) => s.verdict)).toEqual(['running', 'running', 'failed']);
    const calm = feed(specs, [
      ['a', 'inconclusive'],
      ['b', 'successful'],
      ['b', 'successful'],
    ]);
    expect(calm.at(-1)!.verdict).toBe('inconclusive');
  });

  it('an inconclusive metric decides at once when the others run until stopped', () => {
    const specs = [spec({ name: 'a', count: 1 }), spec({ name: 'bg' })];
    expect(feed(specs, [['a', 'inconclusive']])[0]!.verdict).toBe('inconclusive');
  });

  it('background metrics run until stopped; stopping a clean run is successful', () => {
    const specs = [spec({ name: 'bg' })];
    const s = feed(
      specs,
      Array.from({ length: 20 }, () => ['bg', 'successful'] as [string, MeasurementPhase]),
    ).at(-1)!;
    expect(s.verdict).toBe('running');
    expect(s.metrics.bg!.recent).toHaveLength(RECENT_KEPT);
    expect(nextDue(s)).toBe(20 * 60_000 + 60_000);
    const stopped = stopRun(s, 21 * 60_000);
    expect(stopped).toMatchObject({ verdict: 'successful', decidedAt: 21 * 60_000 });
    expect(nextDue(stopped)).toBeUndefined();
  });

  it('starts after initialDelay and ignores measurements after the decision', () => {
    const specs = [spec({ initialDelay: 30_000, count: 1 })];
    const start = startRun(specs, 1000);
    expect(nextDue(start)).toBe(31_000);
    const done = feed(specs, [['error-rate', 'failed']])[0]!;
    const after = recordMeasurement(done, specs, {
      metric: 'error-rate',
      phase: 'successful',
      values: [],
      startedAt: 0,
      finishedAt: 1,
    });
    expect(after).toBe(done);
  });

  it('is plain data: it survives JSON (the release record) and resumes', () => {
    const specs = [spec({ count: 3, failureLimit: 1 })];
    const mid = feed(specs, [['error-rate', 'failed']])[0]!;
    const restored = JSON.parse(JSON.stringify(mid)) as AnalysisRunState;
    const next = recordMeasurement(restored, specs, {
      metric: 'error-rate',
      phase: 'failed',
      values: [0.2],
      startedAt: 0,
      finishedAt: 2,
    });
    expect(next.verdict).toBe('failed');
  });
});
