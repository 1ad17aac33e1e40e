import { formatDuration } from '../config/duration-text.js';
import type { MetricVars } from '../core/ports.js';
import { type JudgeThresholds, judgeCanary } from './judge.js';
import type { ProviderContext, ProviderRegistry } from './registry.js';
import {
  type AnalysisRunState,
  classify,
  type MeasurementRecord,
  type MetricPhase,
  type MetricSpec,
  recordMeasurement,
  startRun,
  stopRun,
  type Verdict,
} from './run.js';
import {
  DEFAULT_THRESHOLDS,
  judgementOutcome,
  judgeSpec,
  type MetricDefinition,
  type PreparedMetric,
  prepareMetrics,
  queryVars,
} from './runner.js';

// `kdeploy analyze --from … --to …`: what the analysis would have said over a past window, to tune
// conditions and limits before they can roll a release back. Each metric is sampled with one range query at
// its interval; the sample at each measurement time becomes the measurement an analysis would have taken
// then (a time without a sample is no data), and the same state machine as a live run judges them.
// Metrics with `judge:` are judged together, as a live run's canary judge is, but over the whole window
// (after their initialDelay): the canary version's samples against the stable version's. The judgement is
// the judge pseudo-metric's one measurement, at the window's end.

export interface ReplayOptions {
  metrics: readonly MetricDefinition[];
  vars: MetricVars;
  from: number;
  to: number;
  providers?: ProviderRegistry;
  context?: ProviderContext;
  signal?: AbortSignal;
  source?: string;
  /** The config's `analysis.judge` score thresholds; default pass 95, marginal 75. */
  judge?: JudgeThresholds;
}

export interface MetricReplay {
  name: string;
  /** Every measurement in the window, including those after the metric would have been decided. */
  measurements: MeasurementRecord[];
  /**
   * The metric's outcome on its own; `unsupported` when its provider keeps no history, `error` when its
   * history couldn't be read (the other metrics are still replayed).
   */
  phase: MetricPhase | 'unsupported';
  decidedAt?: number;
  message?: string;
}

export interface ReplayReport {
  from: number;
  to: number;
  metrics: MetricReplay[];
  /** The whole analysis: the first metric decision in time order, as a live run would have made it. */
  verdict: Verdict;
  decidedAt?: number;
  reason?: string;
}

type Sampled =
  | { spec: MetricSpec; records: MeasurementRecord[] }
  | { spec: MetricSpec; phase: 'unsupported' | 'error'; message: string };

export async function replayAnalysis(o: ReplayOptions): Promise<ReplayReport> {
  if (!(o.to > o.from)) throw new RangeError('the window must end after it starts');
  const prepared = await prepareMetrics(o.metrics, o);
  const judged = prepared.filter((m) => m.definition.judge);
  const sampled = await Promise.all([
    ...prepared.filter((m) => !m.definition.judge).map((m) => sample(m, o)),
    ...(judged.length ? [judgeWindow(judged, o)] : []),
  ]);

  const metrics = sampled.map((s): MetricReplay => {
    if (!('records' in s)) return { name: s.spec.name, measurements: [], phase: s.phase, message: s.message };
    const state = fold([s.spec], s.records, o.to);
    const m = state.metrics[s.spec.name]!;
    const phase = m.phase === 'running' ? 'successful' : m.phase;
    return {
      name: s.spec.name,
      measurements: s.records,
      phase,
      decidedAt: state.decidedAt,
      message: state.reason,
    };
  });

  const replayed = sampled.filter((s) => 'records' in s);
  const all = replayed.flatMap((s) => s.records).sort((a, b) => a.finishedAt - b.finishedAt);
  const run = fold(
    replayed.map((s) => s.spec),
    all,
    o.to,
  );
  const broken = metrics.find((m) => m.phase === 'error');
  if (broken && run.verdict !== 'failed') {
    return { from: o.from, to: o.to, metrics, verdict: 'error', reason: `${broken.name}: ${broken.message}` };
  }
  return {
    from: o.from,
    to: o.to,
    metrics,
    verdict: run.verdict,
    decidedAt: run.decidedAt,
    reason: run.reason,
  };
}

/** The measurements a live run would have taken in the window. */
async function sample(metric: PreparedMetric, o: ReplayOptions): Promise<Sampled> {
  if (!metric.provider.measureRange) {
    return {
      spec: metric,
      phase: 'unsupported',
      message: `the ${metric.provider.name} provider keeps no history`,
    };
  }
  const start = o.from + (metric.initialDelay ?? 0);
  let points: { at: number; values: number[] }[];
  try {
    const range = await metric.provider.measureRange(
      metric.query,
      queryVars(o.vars),
      start,
      o.to,
      metric.interval,
      o.signal,
    );
    points = range.points ?? [];
  } catch (err) {
    if (o.signal?.aborted) throw err;
    return { spec: metric, phase: 'error', message: (err as Error).message };
  }
  const records: MeasurementRecord[] = [];
  for (let t = start; t <= o.to && !(metric.count && records.length >= metric.count); t += metric.interval) {
    // The newest sample in (t − interval, t] is what a measurement at t would have read.
    const point = points.filter((p) => p.at > t - metric.interval && p.at <= t).at(-1);
    const values = point?.values ?? [];
    records.push({ metric: metric.name, values, startedAt: t, finishedAt: t, ...classify(metric, values) });
  }
  return { spec: metric, records };
}

/** The judge metrics judged over the window: the canary version against the stable version. */
async function judgeWindow(judged: PreparedMetric[], o: ReplayOptions): Promise<Sampled> {
  const spec = judgeSpec(judged);
  const from = o.from + Math.max(...judged.map((m) => m.initialDelay ?? 0));
  try {
    const j = await judgeCanary({
      metrics: judged,
      vars: o.vars,
      from,
      to: o.to,
      thresholds: o.judge ?? DEFAULT_THRESHOLDS,
      signal: o.signal,
    });
    return {
      spec,
      records: [{ metric: spec.name, ...judgementOutcome(j), startedAt: from, finishedAt: o.to }],
    };
  } catch (err) {
    if (o.signal?.aborted) throw err;
    return { spec, phase: 'error', message: (err as Error).message };
  }
}

function fold(
  specs: readonly MetricSpec[],
  records: readonly MeasurementRecord[],
  end: number,
): AnalysisRunState {
  let state = startRun(specs, records[0]?.startedAt ?? end);
  for (const r of records) state = recordMeasurement(state, specs, r);
  return stopRun(state, end);
}

const PHASE_MARK: Record<string, string> = {
  successful: 'ok',
  failed: 'FAIL',
  inconclusive: '?',
  'no-data': 'no data',
  error: 'error',
};

/** The report as text: per metric, each measurement and the outcome, then the overall verdict. */
export function formatReplay(report: ReplayReport): string {
  const time = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
  const lines = [
    `Analysis replay ${time(report.from)} → ${time(report.to)} (${formatDuration(report.to - report.from)})`,
  ];
  for (const m of report.metrics) {
    lines.push(
      '',
      `${m.name}: ${m.phase}${m.decidedAt !== undefined && m.phase !== 'successful' ? ` at ${time(m.decidedAt)}` : ''}`,
    );
    if (m.message) lines.push(`  ${m.message}`);
    for (const r of m.measurements) {
      const values = r.values.length ? r.values.map((v) => Number(v.toPrecision(6))).join(', ') : '—';
      const shown = r.judgement ? `score ${values} (${r.judgement.result})` : values;
      lines.push(`  ${time(r.finishedAt)}  ${(PHASE_MARK[r.phase] ?? r.phase).padEnd(7)}  ${shown}`);
      for (const j of r.judgement?.metrics ?? [])
        lines.push(`    ${j.name}: ${j.classification}${j.critical ? ' (critical)' : ''}: ${j.reason}`);
    }
  }
  const when =
    report.decidedAt !== undefined && report.verdict !== 'successful' ? ` at ${time(report.decidedAt)}` : '';
  lines.push('', `Verdict: ${report.verdict}${when}${report.reason ? ` (${report.reason})` : ''}`);
  return `${lines.join('\n')}\n`;
}
