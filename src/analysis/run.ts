import { evaluateCondition } from '../config/condition.js';
import type {
  AnalysisRunState,
  MeasurementPhase,
  MeasurementRecord,
  MetricPhase,
  MetricSpec,
  MetricState,
  Verdict,
} from '../core/analysis.js';

// The state shapes live in core (the release record persists them); re-exported for the analysis API.
export type {
  AnalysisRunState,
  MeasurementPhase,
  MeasurementRecord,
  MetricPhase,
  MetricSpec,
  MetricState,
  Verdict,
};

// The analysis run as a pure state machine: (state, measurement) → state. No I/O and no clock reads here: the
// runner (runner.ts) takes measurements and passes the times in, the engine persists the state in its release
// record and resumes from it, and the simulator drives it in virtual time.
//
// Measurement phases:
//   successful    the conditions pass (or there are none)
//   failed        failureCondition is true, or successCondition is false when it is the only condition
//   inconclusive  both conditions are given and neither is true
//   no-data       the provider returned nothing (an empty Prometheus vector, no CloudWatch datapoints, no
//                 pods) or only NaN (0/0 rates when no requests flow). Its own state, never silently success
//                 or failure: like Argo's inconclusive it counts against inconclusiveLimit, so by default a
//                 metric without data pauses the release for a person; raise inconclusiveLimit to wait longer.
//   error         the provider failed after its retries, or a condition failed to evaluate; counts against
//                 consecutiveErrorLimit only, and doesn't use up `count`.
// A metric is decided when failed > failureLimit (failed), consecutive errors > consecutiveErrorLimit (error),
// inconclusive + no-data > inconclusiveLimit (inconclusive), or after `count` measurements (successful, or
// inconclusive when none of them was successful).
// The run fails or errors as soon as one metric does; otherwise it ends when every metric has ended, or is
// stopped (background analysis at the end of a release).

/** Measurements kept per metric in the state, as Argo keeps 10: the state lives in the release record. */
export const RECENT_KEPT = 10;
/** After an error the next attempt comes sooner than a long interval (Argo's 10 s error retry). */
export const ERROR_RETRY_MS = 10_000;

export function startRun(specs: readonly MetricSpec[], now: number): AnalysisRunState {
  const metrics: Record<string, MetricState> = {};
  for (const s of specs) {
    metrics[s.name] = {
      phase: 'running',
      measured: 0,
      successful: 0,
      failed: 0,
      inconclusive: 0,
      noData: 0,
      errors: 0,
      consecutiveErrors: 0,
      nextAt: now + (s.initialDelay ?? 0),
      recent: [],
    };
  }
  return assess({ startedAt: now, metrics, verdict: 'running' }, specs, now);
}

/** The phase of a measurement that returned `values`, by the metric's conditions. Pure; never throws. */
export function classify(
  spec: MetricSpec,
  values: readonly number[],
): { phase: MeasurementPhase; message?: string } {
  const readings = values.filter((v) => !Number.isNaN(v));
  if (readings.length === 0) {
    return {
      phase: 'no-data',
      message: values.length ? 'only NaN values (no traffic?)' : 'the query returned no data',
    };
  }
  const shown =
    readings.length === 1
      ? String(readings[0])
      : `[${readings.slice(0, 5).join(', ')}${readings.length > 5 ? ', …' : ''}]`;
  let failure: boolean | undefined;
  let success: boolean | undefined;
  try {
    if (spec.failureCondition) failure = evaluateCondition(spec.failureCondition, readings);
    if (spec.successCondition) success = evaluateCondition(spec.successCondition, readings);
  } catch (err) {
    return { phase: 'error', message: `condition error for ${shown}: ${(err as Error).message}` };
  }
  if (failure)
    return { phase: 'failed', message: `${shown}: failureCondition ${spec.failureCondition} is true` };
  if (success)
    return { phase: 'successful', message: `${shown}: successCondition ${spec.successCondition} is true` };
  if (success === false && failure === undefined) {
    return { phase: 'failed', message: `${shown}: successCondition ${spec.successCondition} is false` };
  }
  if (success === false) return { phase: 'inconclusive', message: `${shown}: neither condition is true` };
  return { phase: 'successful', message: failure === false ? `${shown}: failureCondition is false` : shown };
}

/** Folds one finished measurement into the run. A decided run doesn't change. */
export function recordMeasurement(
  state: AnalysisRunState,
  specs: readonly MetricSpec[],
  record: MeasurementRecord,
): AnalysisRunState {
  const spec = specs.find((s) => s.name === record.metric);
  const prev = state.metrics[record.metric];
  if (!spec || !prev) throw new Error(`no metric ${record.metric} in this analysis`);
  if (state.verdict !== 'running' || prev.phase !== 'running') return state;

  const m: MetricState = { ...prev, recent: [...prev.recent, record].slice(-RECENT_KEPT) };
  if (record.phase === 'error') {
    m.errors++;
    m.consecutiveErrors++;
  } else {
    m.measured++;
    m.consecutiveErrors = 0;
    if (record.phase === 'successful') m.successful++;
    else if (record.phase === 'failed') m.failed++;
    else if (record.phase === 'inconclusive') m.inconclusive++;
    else m.noData++;
  }
  m.nextAt =
    record.finishedAt + (record.phase === 'error' ? Math.min(spec.interval, ERROR_RETRY_MS) : spec.interval);

  const last = record.message ? ` (last: ${record.message})` : '';
  if (m.failed > spec.failureLimit) {
    m.phase = 'failed';
    m.message = `${plural(m.failed, 'failed measurement')} (failureLimit ${spec.failureLimit})${last}`;
  } else if (m.consecutiveErrors > spec.consecutiveErrorLimit) {
    m.phase = 'error';
    m.message = `${plural(m.consecutiveErrors, 'consecutive error')} (consecutiveErrorLimit ${spec.consecutiveErrorLimit})${last}`;
  } else if (m.inconclusive + m.noData > spec.inconclusiveLimit) {
    m.phase = 'inconclusive';
    m.message = `${m.inconclusive} inconclusive and ${m.noData} without data (inconclusiveLimit ${spec.inconclusiveLimit})${last}`;
  } else if (spec.count && m.measured >= spec.count) {
    // Limits high enough to absorb every measurement must not turn "no evidence" into a pass.
    m.phase = m.successful ? 'successful' : 'inconclusive';
    m.message = `${m.successful} of ${plural(m.measured, 'measurement')} successful`;
  }
  return assess({ ...state, metrics: { ...state.metrics, [record.metric]: m } }, specs, record.finishedAt);
}

/** Ends a run that is still going (background analysis at the end of the release). */
export function stopRun(state: AnalysisRunState, now: number): AnalysisRunState {
  if (state.verdict !== 'running') return state;
  const inconclusive = Object.entries(state.metrics).find(([, m]) => m.phase === 'inconclusive');
  if (inconclusive)
    return decided(state, 'inconclusive', now, `${inconclusive[0]}: ${inconclusive[1].message}`);
  return decided(state, 'successful', now, 'stopped with no failed metric');
}

/** When the next measurement is due, or undefined when no metric is running. */
export function nextDue(state: AnalysisRunState): number | undefined {
  const due = Object.values(state.metrics)
    .filter((m) => m.phase === 'running')
    .map((m) => m.nextAt);
  return state.verdict === 'running' && due.length ? Math.min(...due) : undefined;
}

function assess(state: AnalysisRunState, specs: readonly MetricSpec[], now: number): AnalysisRunState {
  if (state.verdict !== 'running') return state;
  const entries = specs.map((s) => [s, state.metrics[s.name]!] as const);
  const find = (phase: MetricPhase) => entries.find(([, m]) => m.phase === phase);
  const reason = ([s, m]: readonly [MetricSpec, MetricState]) => `${s.name}: ${m.message}`;

  const failed = find('failed');
  if (failed) return decided(state, 'failed', now, reason(failed));
  const errored = find('error');
  if (errored) return decided(state, 'error', now, reason(errored));
  const running = entries.filter(([, m]) => m.phase === 'running');
  const inconclusive = find('inconclusive');
  // An inconclusive metric decides once the others have ended or never will (no count: until stopped).
  if (inconclusive && running.every(([s]) => !s.count))
    return decided(state, 'inconclusive', now, reason(inconclusive));
  if (running.length === 0) return decided(state, 'successful', now, 'every metric successful');
  return state;
}

function decided(state: AnalysisRunState, verdict: Verdict, now: number, reason: string): AnalysisRunState {
  return { ...state, verdict, decidedAt: now, reason };
}

function plural(n: number, one: string): string {
  return `${n} ${n === 1 ? one : `${one}s`}`;
}
