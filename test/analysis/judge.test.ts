import { describe, expect, it } from 'vitest';
import { type JudgeInput, type JudgeMetricConfig, judge, judgeMetric } from '../../src/analysis/judge.js';

// Deterministic samples: mulberry32 + Box-Muller, so every run judges the same numbers.
function normal(seed: number, n: number, mean: number, sd: number): number[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from(
    { length: n },
    () => mean + sd * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()),
  );
}

const latency: JudgeMetricConfig = {
  direction: 'increase',
  tolerance: 0.1,
  critical: false,
  mustHaveData: false,
  weight: 1,
};
const thresholds = { pass: 95, marginal: 75 };
const baseline = normal(1, 120, 200, 20); // latency in ms

const metric = (
  name: string,
  canary: number[],
  config: Partial<JudgeMetricConfig> = {},
  base = baseline,
): JudgeInput => ({
  name,
  canary,
  baseline: base,
  config: { ...latency, ...config },
});

describe('judge: known distributions', () => {
  it('identical samples pass', () => {
    const j = judge([metric('latency', [...baseline])], thresholds);
    expect(j).toMatchObject({ result: 'pass', verdict: 'successful', score: 100 });
    expect(j.metrics[0]).toMatchObject({ classification: 'pass', effect: 0 });
  });

  it('a 2× latency shift fails', () => {
    const j = judge([metric('latency', normal(2, 120, 400, 40))], thresholds);
    expect(j).toMatchObject({ result: 'fail', verdict: 'failed', score: 0 });
    expect(j.metrics[0]!.classification).toBe('high');
    expect(j.metrics[0]!.p).toBeLessThan(1e-10);
    expect(j.metrics[0]!.effect).toBeCloseTo(1, 0);
    expect(j.reason).toMatch(/latency \(higher than baseline beyond tolerance \+10%/);
  });

  it('small noise within the tolerance passes, even when it is statistically significant', () => {
    const canary = normal(3, 2000, 206, 20); // +3 %: with 2000 samples the test sees it
    const big = normal(4, 2000, 200, 20);
    const m = judgeMetric(metric('latency', canary, {}, big));
    expect(m.p).toBeLessThan(0.02);
    expect(m).toMatchObject({ classification: 'pass', passed: true });
    expect(m.reason).toMatch(/^within tolerance \+10%/);
  });

  it('noise from the same distribution passes', () => {
    expect(judge([metric('latency', normal(5, 120, 200, 20))], thresholds).result).toBe('pass');
  });

  it('no data with mustHaveData fails; without it the metric is left out of the score', () => {
    const nodata = judge([metric('errors', [], { mustHaveData: true })], thresholds);
    expect(nodata).toMatchObject({ result: 'fail', verdict: 'failed', score: 0 });
    expect(nodata.metrics[0]).toMatchObject({ classification: 'nodata', passed: false });

    const optional = judge([metric('errors', [1, 2], {}), metric('latency', [...baseline])], thresholds);
    expect(optional).toMatchObject({ result: 'pass', score: 100 });
    expect(optional.metrics[0]!.classification).toBe('nodata');
  });

  it('nothing to judge is inconclusive, never a pass', () => {
    expect(judge([metric('latency', [])], thresholds)).toMatchObject({
      result: 'nodata',
      verdict: 'inconclusive',
    });
  });

  it('NaN samples are dropped, not compared', () => {
    const m = judgeMetric(metric('latency', [...baseline, Number.NaN, Number.NaN]));
    expect(m.canary.count).toBe(baseline.length);
    expect(m.classification).toBe('pass');
  });
});

describe('judge: direction, criticality, weights and thresholds', () => {
  const worse = normal(6, 120, 400, 40);

  it('a change in the harmless direction passes; either direction catches both', () => {
    const faster = normal(7, 120, 100, 10);
    expect(judgeMetric(metric('latency', faster, { direction: 'increase' })).classification).toBe('pass');
    expect(judgeMetric(metric('throughput', faster, { direction: 'decrease' })).classification).toBe('low');
    expect(judgeMetric(metric('latency', faster, { direction: 'either' })).classification).toBe('low');
    expect(judgeMetric(metric('latency', worse, { direction: 'either' })).classification).toBe('high');
  });

  it('a rise from a zero baseline is an infinite change', () => {
    const m = judgeMetric(metric('errors', normal(8, 50, 5, 1), {}, Array(50).fill(0)));
    expect(m).toMatchObject({ classification: 'high', effect: Number.POSITIVE_INFINITY });
  });

  it('a failing critical metric fails the whole judgement whatever the score', () => {
    const inputs = [
      metric('a', [...baseline]),
      metric('b', [...baseline]),
      metric('c', [...baseline]),
      metric('errors', worse, { critical: true }),
    ];
    expect(judge(inputs, { pass: 70, marginal: 50 })).toMatchObject({ result: 'fail', score: 0 });
    expect(judge(inputs, { pass: 70, marginal: 50 }).reason).toMatch(/^critical metric errors/);
  });

  it('scores the weighted share of passing metrics against pass and marginal', () => {
    const three = [
      metric('a', [...baseline]),
      metric('b', [...baseline]),
      metric('c', [...baseline]),
      metric('d', worse),
    ];
    expect(judge(three, thresholds)).toMatchObject({
      score: 75,
      result: 'marginal',
      verdict: 'inconclusive',
    });
    expect(judge(three, { pass: 75, marginal: 50 })).toMatchObject({ result: 'pass', verdict: 'successful' });
    expect(judge(three, { pass: 95, marginal: 80 })).toMatchObject({ result: 'fail', verdict: 'failed' });

    const weighted = [metric('a', [...baseline], { weight: 1 }), metric('b', worse, { weight: 3 })];
    expect(judge(weighted, thresholds)).toMatchObject({ score: 25, result: 'fail' });
  });
});
