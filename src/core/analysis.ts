// The analysis state the release record persists (and `kdeploy status`/`-o json` show): a run's metrics,
// their measurements and the canary judge's verdict. Shapes only; src/analysis computes them.

export type MeasurementPhase = 'successful' | 'failed' | 'inconclusive' | 'no-data' | 'error';
export type MetricPhase = 'running' | 'successful' | 'failed' | 'inconclusive' | 'error';
export type Verdict = 'running' | 'successful' | 'failed' | 'inconclusive' | 'error';

/** How one metric is measured and judged (a metric of kdeploy.yaml minus its provider). */
export interface MetricSpec {
  name: string;
  /** Time between measurements, ms. */
  interval: number;
  /** Measurements to take; undefined or 0 = until the run is stopped. */
  count?: number;
  initialDelay?: number;
  successCondition?: string;
  failureCondition?: string;
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveErrorLimit: number;
}

export interface MeasurementRecord {
  metric: string;
  phase: MeasurementPhase;
  values: number[];
  startedAt: number;
  finishedAt: number;
  /** Why: the condition that decided, or the provider's error. */
  message?: string;
  /** The canary judge's measurement: score, verdict and per-metric results. */
  judgement?: Judgement;
}

export interface MetricState {
  phase: MetricPhase;
  /** Measurements that produced a reading (all but errors). */
  measured: number;
  successful: number;
  failed: number;
  inconclusive: number;
  noData: number;
  errors: number;
  consecutiveErrors: number;
  /** When the next measurement is due (clock ms). */
  nextAt: number;
  /** Why the metric ended, when it did. */
  message?: string;
  /** The last measurements (at most RECENT_KEPT), oldest first. */
  recent: MeasurementRecord[];
}

export interface AnalysisRunState {
  startedAt: number;
  metrics: Record<string, MetricState>;
  verdict: Verdict;
  decidedAt?: number;
  /** The metric that decided the verdict and why, e.g. `error-rate: 1 failed measurement (failureLimit 0)…`. */
  reason?: string;
}

export interface SampleSummary {
  count: number;
  mean: number;
  median: number;
}

export interface MetricJudgement {
  name: string;
  classification: 'pass' | 'high' | 'low' | 'nodata';
  passed: boolean;
  critical: boolean;
  weight: number;
  /** The test's p-value for the metric's direction. */
  p?: number;
  /** Relative change of the canary's mean against the baseline's: 0.5 = 50 % higher. */
  effect?: number;
  canary: SampleSummary;
  baseline: SampleSummary;
  reason: string;
}

export interface Judgement {
  /** 0–100, undefined when no metric had data. */
  score?: number;
  result: 'pass' | 'marginal' | 'fail' | 'nodata';
  /** The same as an analysis verdict: pass → successful, marginal/nodata → inconclusive, fail → failed. */
  verdict: Exclude<Verdict, 'running' | 'error'>;
  metrics: MetricJudgement[];
  reason: string;
}
