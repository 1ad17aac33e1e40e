import type { Judgement, MetricJudgement, SampleSummary } from '../core/analysis.js';
import type { MetricVars } from '../core/ports.js';
import type { PreparedMetric } from './runner.js';
import { type Alternative, mannWhitneyU, mean, median } from './stats.js';

export type { Judgement, MetricJudgement, SampleSummary } from '../core/analysis.js';

// The canary judge, in the spirit of Kayenta's NetflixACAJudge, in-process: each metric's canary samples are
// compared with the samples of a same-age baseline (the stable version, or a baseline Deployment at the
// canary's size) over the same window.
//   1. Per metric, a Mann-Whitney U test asks whether the canary is worse in the metric's bad direction
//      (increase: higher is bad, e.g. latency; decrease: lower is bad, e.g. throughput; either).
//   2. Significance alone doesn't fail a metric (large samples make tiny differences significant): the
//      relative change of the mean must also exceed the metric's tolerance. Significant and beyond tolerance
//      = high/low (fail); otherwise pass.
//   3. Too few samples on either side is nodata: left out of the score, unless the metric mustHaveData
//      (then it fails). A failing critical metric fails the whole judgement.
//   4. Score = weighted share of passing metrics (0–100): ≥ pass → pass (successful), ≥ marginal → marginal
//      (inconclusive: pause for a person), below → fail. No metric with data → inconclusive.

export interface JudgeMetricConfig {
  direction: 'increase' | 'decrease' | 'either';
  /** Relative change of the mean that is tolerated even when significant (0.1 = 10 %). */
  tolerance: number;
  critical: boolean;
  mustHaveData: boolean;
  weight: number;
}

export interface JudgeThresholds {
  pass: number;
  marginal: number;
}

export interface JudgeOptions {
  /** Confidence level of the test; Kayenta's default is 0.98. */
  confidence?: number;
  /** Fewer samples than this on either side is no data. */
  minSamples?: number;
}

export interface JudgeInput {
  name: string;
  canary: readonly number[];
  baseline: readonly number[];
  config: JudgeMetricConfig;
}

const DEFAULT_CONFIDENCE = 0.98;
// With 5 per side the one-sided exact test can reach p ≈ 0.004; with fewer, "no difference" is all it can say.
const DEFAULT_MIN_SAMPLES = 5;
const ALTERNATIVE: Record<JudgeMetricConfig['direction'], Alternative> = {
  increase: 'greater',
  decrease: 'less',
  either: 'two-sided',
};

export function judge(
  inputs: readonly JudgeInput[],
  thresholds: JudgeThresholds,
  options: JudgeOptions = {},
): Judgement {
  const metrics = inputs.map((i) => judgeMetric(i, options));
  const criticalFailure = metrics.find((m) => m.critical && !m.passed);
  const counted = metrics.filter((m) => m.classification !== 'nodata' || !m.passed);
  const total = counted.reduce((s, m) => s + m.weight, 0);
  const score =
    total > 0 ? (100 * counted.filter((m) => m.passed).reduce((s, m) => s + m.weight, 0)) / total : undefined;
  const failing = metrics.filter((m) => !m.passed).map((m) => `${m.name} (${m.reason})`);

  if (criticalFailure) {
    return {
      score: 0,
      result: 'fail',
      verdict: 'failed',
      metrics,
      reason: `critical metric ${criticalFailure.name}: ${criticalFailure.reason}`,
    };
  }
  if (score === undefined)
    return {
      result: 'nodata',
      verdict: 'inconclusive',
      metrics,
      reason: 'no metric had enough data to judge',
    };
  const shown = `score ${round(score)}`;
  const detail = failing.length ? `; failing: ${failing.join('; ')}` : '';
  if (score >= thresholds.pass)
    return {
      score,
      result: 'pass',
      verdict: 'successful',
      metrics,
      reason: `${shown} ≥ pass ${thresholds.pass}${detail}`,
    };
  if (score >= thresholds.marginal) {
    return {
      score,
      result: 'marginal',
      verdict: 'inconclusive',
      metrics,
      reason: `${shown} is marginal (pass ${thresholds.pass}, marginal ${thresholds.marginal})${detail}`,
    };
  }
  return {
    score,
    result: 'fail',
    verdict: 'failed',
    metrics,
    reason: `${shown} < marginal ${thresholds.marginal}${detail}`,
  };
}

export function judgeMetric(input: JudgeInput, options: JudgeOptions = {}): MetricJudgement {
  const { config } = input;
  const canary = input.canary.filter((v) => !Number.isNaN(v));
  const baseline = input.baseline.filter((v) => !Number.isNaN(v));
  const base = {
    name: input.name,
    critical: config.critical,
    weight: config.weight,
    canary: summary(canary),
    baseline: summary(baseline),
  };
  const minSamples = options.minSamples ?? DEFAULT_MIN_SAMPLES;

  if (canary.length < minSamples || baseline.length < minSamples) {
    const counts = `${canary.length} canary and ${baseline.length} baseline samples, at least ${minSamples} each needed`;
    return config.mustHaveData
      ? { ...base, classification: 'nodata', passed: false, reason: `no data: ${counts} (mustHaveData)` }
      : { ...base, classification: 'nodata', passed: true, reason: `no data: ${counts}` };
  }

  const { p } = mannWhitneyU(canary, baseline, ALTERNATIVE[config.direction]);
  const effect = relativeChange(base.canary.mean, base.baseline.mean);
  const alpha = 1 - (options.confidence ?? DEFAULT_CONFIDENCE);
  const significant = p < alpha;
  const stats = `mean ${fmt(base.canary.mean)} vs ${fmt(base.baseline.mean)} (${pct(effect)}), p=${p.toPrecision(2)}`;
  const up = config.direction !== 'decrease' && effect > config.tolerance;
  const down = config.direction !== 'increase' && effect < -config.tolerance;
  if (significant && (up || down)) {
    return {
      ...base,
      classification: up ? 'high' : 'low',
      passed: false,
      p,
      effect,
      reason: `${up ? 'higher' : 'lower'} than baseline beyond tolerance ${pct(config.tolerance)}: ${stats}`,
    };
  }
  const why = significant ? `within tolerance ${pct(config.tolerance)}` : 'no significant difference';
  return { ...base, classification: 'pass', passed: true, p, effect, reason: `${why}: ${stats}` };
}

/** (canary − baseline) / |baseline|; a change from exactly 0 is infinitely large. */
function relativeChange(canary: number, baseline: number): number {
  if (baseline === 0) return canary === 0 ? 0 : Math.sign(canary) * Number.POSITIVE_INFINITY;
  return (canary - baseline) / Math.abs(baseline);
}

function summary(values: readonly number[]): SampleSummary {
  return values.length
    ? { count: values.length, mean: mean(values), median: median(values) }
    : { count: 0, mean: Number.NaN, median: Number.NaN };
}

const round = (n: number) => Math.round(n * 10) / 10;
const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));
const pct = (n: number) =>
  Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${round(n * 100)}%` : n > 0 ? '+∞' : '−∞';

/** The judge's metrics of an analysis, sampled for canary and baseline over [from, to]. */
export interface CanaryJudgeOptions {
  metrics: readonly PreparedMetric[];
  vars: MetricVars;
  from: number;
  to: number;
  thresholds: JudgeThresholds;
  /** The baseline's version label; defaults to the stable version. */
  baselineVersion?: string;
  /**
   * A baseline Deployment runs (`strategy.canary.baseline`): the second sample is its pods' (`{{track}}`
   * baseline) rather than the stable pods' (`{{track}}` stable).
   */
  baseline?: boolean;
  signal?: AbortSignal;
  options?: JudgeOptions;
}

/**
 * Samples each judge metric twice over the same window, sampling every `interval`: with `{{version}}` and
 * `{{track}}` set to the canary's, then to the baseline's (the baseline Deployment's when one runs, else the
 * stable pods'), and judges the pairs. Metrics without `judge:`
 * are ignored.
 */
export async function judgeCanary(o: CanaryJudgeOptions): Promise<Judgement> {
  const inputs = await Promise.all(
    o.metrics
      .filter((m) => m.definition.judge)
      .map(async (m): Promise<JudgeInput> => {
        if (!m.provider.measureRange)
          throw new Error(`metric ${m.name}: the ${m.provider.name} provider has no history to judge`);
        const sample = async (version: string, track: string) =>
          (
            await m.provider.measureRange!(
              m.query,
              { ...o.vars, version, track },
              o.from,
              o.to,
              m.interval,
              o.signal,
            )
          ).values;
        const [canary, baseline] = await Promise.all([
          sample(o.vars.canaryVersion, 'canary'),
          sample(o.baselineVersion ?? o.vars.stableVersion, o.baseline ? 'baseline' : 'stable'),
        ]);
        return { name: m.name, canary, baseline, config: m.definition.judge! };
      }),
  );
  return judge(inputs, o.thresholds, o.options);
}
