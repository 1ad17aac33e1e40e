// What a measurement changes in the release record: the latest measurements per metric and the run state of
// the step's analysis (so a resumed step continues it). Pure; the strategy's save path applies it in order.
import type { AnalysisRunState, MeasurementRecord as RunMeasurement } from '../analysis/run.js';
import type { MeasurementRecord, ReleaseState } from '../core/release.js';

/**
 * Measurements kept per metric. Enough to show a trend in `status`; the counts that decide the verdict live in
 * the run state, so older readings add nothing. 10 × ~150 bytes per metric keeps the record (which also holds
 * the history, in one ConfigMap of at most 1 MiB) small.
 */
export const MEASUREMENTS_KEPT = 10;

export function measurementPatch(
  release: Pick<ReleaseState, 'measurements' | 'analysis'>,
  /** The index of the step the analysis runs in (the record's may have moved on when a save lands late). */
  step: number,
  what: string,
  m: RunMeasurement,
  state: AnalysisRunState,
): Pick<ReleaseState, 'measurements' | 'analysis'> {
  const record: MeasurementRecord = {
    metric: m.metric,
    at: new Date(m.finishedAt).toISOString(),
    values: m.values,
    verdict: m.phase,
    ...(m.message ? { message: m.message } : {}),
  };
  const all = [...release.measurements, record];
  const sameMetric = all.filter((r) => r.metric === m.metric);
  const dropped = new Set(sameMetric.slice(0, -MEASUREMENTS_KEPT));
  const runs = release.analysis?.step === step ? release.analysis.runs : {};
  return {
    measurements: all.filter((r) => !dropped.has(r)),
    // The run's own recent readings duplicate `measurements`: keep only the counts.
    analysis: { step, runs: { ...runs, [what]: withoutRecent(state) } },
  };
}

/** The saved run state of `what` when it belongs to the release's current step, else undefined (start fresh). */
export function savedRun(
  release: Pick<ReleaseState, 'step' | 'analysis'>,
  what: string,
): AnalysisRunState | undefined {
  return release.analysis?.step === release.step ? release.analysis.runs[what] : undefined;
}

function withoutRecent(state: AnalysisRunState): AnalysisRunState {
  const metrics = Object.fromEntries(
    Object.entries(state.metrics).map(([k, v]) => [k, { ...v, recent: [] }]),
  );
  return { ...state, metrics };
}
