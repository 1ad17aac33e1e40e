// How fast a failure is caught and how long an analysis takes: the rules every strategy's step
// descriptions share, stated once.
import type { AnalysisRef, MetricConfig } from '../../config/analysis-schema.js';
import type { KdeployConfig } from '../../config/schema.js';
import { readinessTimeoutFor } from '../diagnose.js';
import type { Detection, StepDescription } from './types.js';

/** The kubelet's first restart back-off: a crashing container shows CrashLoopBackOff about this long after it starts. */
export const CRASH_DETECT_MS = 10_000;

/** A step that waits for the new version's pods: a crash is seen at once, a pod never Ready after its budget. */
export const podDetection = (config: KdeployConfig): Detection => ({
  podCrashMs: CRASH_DETECT_MS,
  podReadinessMs: readinessTimeoutFor(config.probes.readiness),
});

const metricDetectMs = (m: MetricConfig) => (m.initialDelay ?? 0) + m.interval * (m.failureLimit + 1);
/** A step analysis takes its measurements: initialDelay + interval × count (count 1 when unbounded). */
const metricDurationMs = (m: MetricConfig) => (m.initialDelay ?? 0) + m.interval * Math.max(1, m.count ?? 1);

function metricsOf(config: KdeployConfig, ref: AnalysisRef | undefined): MetricConfig[] {
  if (!ref) return [];
  return config.analysis.metrics.filter((m) => ref.metrics.includes(m.name));
}

/** `detection` plus the metrics of `ref` measured alongside (a background analysis). */
export function withMetrics(
  config: KdeployConfig,
  ref: AnalysisRef | undefined,
  detection: Detection,
): Detection {
  const metrics = metricsOf(config, ref);
  if (!metrics.length) return detection;
  return {
    ...detection,
    metrics: [...(detection.metrics ?? []), ...metrics.map((m) => ({ name: m.name, ms: metricDetectMs(m) }))],
  };
}

/** An analysis step: measures until each metric has its count; its own metrics are listed first. */
export function analysisDescription(
  config: KdeployConfig,
  ref: AnalysisRef,
  detection: Detection,
): StepDescription {
  const own = withMetrics(config, ref, { ...detection, metrics: [] });
  return {
    does: `measure ${ref.metrics.join(', ')} until each metric has its count (failed or error rolls back, inconclusive pauses)`,
    durationMs: Math.max(0, ...metricsOf(config, ref).map(metricDurationMs)),
    detect: { ...own, metrics: [...(own.metrics ?? []), ...(detection.metrics ?? [])] },
  };
}
