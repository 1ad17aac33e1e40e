// Analysis: metric providers, CEL conditions, the run state machine and its runner, the canary judge and
// replay. What the engine calls:
//   runAnalysis({ metrics, vars, clock, signal, onMeasurement, state, judge })   a step's analysis → final state
//     (metrics with `judge:` are judged together against the stable version as the pseudo-metric JUDGE_METRIC)
//   backgroundAnalysis({ … }).start() → { verdict, stop(), state }          analysis across steps
//   judgeCanary({ metrics: await prepareMetrics(…), vars, from, to, thresholds })   canary vs baseline
//   replayAnalysis({ metrics, vars, from, to })                             `kdeploy analyze`
// A failed or error verdict means roll back now; inconclusive means pause for a person. Every measurement
// reaches onMeasurement with clock timestamps (startedAt/finishedAt) and the run state to persist; the state
// is plain JSON and resumes with `state:`.
export { checkCondition, evaluateCondition } from '../config/condition.js';
export { ProviderError } from './errors.js';
export {
  type CanaryJudgeOptions,
  type JudgeInput,
  type JudgeMetricConfig,
  type Judgement,
  type JudgeOptions,
  type JudgeThresholds,
  judge,
  judgeCanary,
  judgeMetric,
  type MetricJudgement,
} from './judge.js';
export {
  type AwsCredentials,
  type BoundProvider,
  type PodLister,
  type ProviderContext,
  type ProviderFactory,
  ProviderRegistry,
  providers,
} from './registry.js';
export {
  formatReplay,
  type MetricReplay,
  type ReplayOptions,
  type ReplayReport,
  replayAnalysis,
} from './replay.js';
export {
  type AnalysisRunState,
  classify,
  type MeasurementPhase,
  type MeasurementRecord,
  type MetricPhase,
  type MetricSpec,
  type MetricState,
  nextDue,
  recordMeasurement,
  startRun,
  stopRun,
  type Verdict,
} from './run.js';
export {
  type AnalysisOptions,
  type BackgroundAnalysis,
  backgroundAnalysis,
  JUDGE_METRIC,
  type MetricDefinition,
  type PreparedMetric,
  prepareMetrics,
  queryVars,
  runAnalysis,
} from './runner.js';
export { type Alternative, type MannWhitneyResult, mannWhitneyU } from './stats.js';
