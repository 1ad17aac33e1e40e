// Analysis inside a step: a step analysis run to its verdict, or background metrics measured while a
// step works. Each measurement is saved in the release record, so a resumed step continues its counts.
import type { AnalysisRunState, MeasurementRecord as RunMeasurement } from '../../src/analysis/run.js';
import type { AnalysisRef } from '../../src/config/analysis-schema.js';
import type { ReleaseState } from '../../src/core/release.js';
import { measurementPatch, savedRun } from '../../src/engine/measurements.js';
import { type StepContext, StepFailure, type StepResult } from '../../src/engine/strategy.js';

/** The runner's options for the named metrics of the analysis section, bound to this step. */
function analysisOptions(ctx: StepContext, ref: AnalysisRef, what: string, signal: AbortSignal) {
  const metrics = ctx.config.analysis.metrics.filter((m) => ref.metrics.includes(m.name));
  const unknown = ref.metrics.filter((name) => !metrics.some((m) => m.name === name));
  if (unknown.length) throw new Error(`${what}: no metric named ${unknown.join(', ')} in analysis.metrics`);
  const { release, config } = ctx;
  return {
    // The schema's metric (a union of known providers) is the runner's MetricDefinition (any registered one).
    metrics: metrics as never,
    clock: ctx.clock,
    signal,
    vars: {
      app: config.app,
      namespace: config.namespace,
      stableVersion: release.from?.version ?? '',
      canaryVersion: release.to.version,
    },
    // Cluster.list constrains its type parameter to KubernetesObject; the provider's PodLister doesn't.
    context: { clock: ctx.clock, cluster: ctx.cluster as never },
    judge: config.analysis.judge,
    baseline: release.data.baseline === true,
    state: savedRun(release, what),
    onMeasurement: (m: RunMeasurement, state: AnalysisRunState) => {
      ctx.emit({ type: 'measurement', metric: m.metric, values: m.values, verdict: m.phase });
      saveMeasurement(ctx, what, m, state);
    },
  };
}

/** The pending measurement saves of each step, chained. */
const measurementSaves = new WeakMap<StepContext, Promise<ReleaseState>>();

/**
 * Saves a measurement and the run state into the release record, each save after the one before: metrics
 * finish concurrently (and a step analysis runs inside a background one), and a save computed from an older
 * record must never land after a newer one. A failed save is not the analysis's failure: the next one writes
 * the whole run state again, and a lost lock or record stops the step through its signal.
 */
function saveMeasurement(ctx: StepContext, what: string, m: RunMeasurement, state: AnalysisRunState): void {
  const before = measurementSaves.get(ctx) ?? Promise.resolve(ctx.release);
  const step = ctx.release.step;
  measurementSaves.set(
    ctx,
    before.then((latest) => ctx.save(measurementPatch(latest, step, what, m, state)).catch(() => latest)),
  );
}

/** Waits for the step's measurement saves, so the record holds them before the step ends. */
async function measurementsSaved(ctx: StepContext): Promise<void> {
  await measurementSaves.get(ctx);
}

const verdictFailure = (what: string, state: { verdict: string; reason?: string }) =>
  state.verdict === 'failed' || state.verdict === 'error'
    ? new StepFailure(`${what} ${state.verdict}: ${state.reason ?? ''}`.trim())
    : undefined;

/**
 * Runs the named metrics of the analysis section to a verdict. Failed or error fails the step (the release
 * rolls back); inconclusive pauses it for a person to promote or abort (Argo's behaviour).
 */
export async function runStepAnalysis(ctx: StepContext, ref: AnalysisRef, what: string): Promise<StepResult> {
  const { runAnalysis } = await import('../../src/analysis/runner.js');
  const state = await runAnalysis(analysisOptions(ctx, ref, what, ctx.signal)).finally(() =>
    measurementsSaved(ctx),
  );
  const failure = verdictFailure(what, state);
  if (failure) throw failure;
  if (state.verdict === 'inconclusive')
    return { pause: `${what} inconclusive: ${state.reason ?? ''}; promote or abort` };
}

/**
 * Runs `work` while the background metrics are measured (the canary's `analysis`): a failed or error
 * verdict fails the step at once; inconclusive pauses the release once the step's work is done.
 * Measurements start over with each step; a resumed step continues its run's counts from the release record.
 */
export async function withBackgroundAnalysis(
  ctx: StepContext,
  ref: AnalysisRef | undefined,
  work: () => Promise<StepResult>,
): Promise<StepResult> {
  if (!ref) return work();
  const { backgroundAnalysis } = await import('../../src/analysis/runner.js');
  const stop = new AbortController();
  const what = 'background analysis';
  const run = backgroundAnalysis(
    analysisOptions(ctx, ref, what, AbortSignal.any([ctx.signal, stop.signal])),
  ).start();
  const failed = run.verdict.then((state) => {
    const failure = verdictFailure(what, state);
    if (failure) throw failure;
    return new Promise<never>(() => {}); // a passing verdict doesn't end the step
  });
  try {
    const result = await Promise.race([work(), failed]);
    const state = await run.stop();
    const failure = verdictFailure(what, state);
    if (failure) throw failure;
    if (state.verdict === 'inconclusive')
      return { pause: `${what} inconclusive: ${state.reason ?? ''}; promote or abort` };
    return result;
  } finally {
    stop.abort();
    failed.catch(() => {});
    await measurementsSaved(ctx);
  }
}
