import pRetry from 'p-retry';
import type { MetricConfig } from '../config/analysis-schema.js';
import { checkCondition } from '../config/condition.js';
import { ConfigError, type ConfigIssue, type ConfigPath } from '../config/errors.js';
import type { Clock, MetricProvider, MetricVars } from '../core/ports.js';
import { isRetryable } from './errors.js';
import { type Judgement, type JudgeThresholds, judgeCanary } from './judge.js';
import { providers as builtInProviders, type ProviderContext, type ProviderRegistry } from './registry.js';
import {
  type AnalysisRunState,
  classify,
  type MeasurementPhase,
  type MeasurementRecord,
  type MetricSpec,
  recordMeasurement,
  startRun,
  stopRun,
} from './run.js';
import { renderTemplate, verbatim } from './template.js';

// Runs an analysis: takes each metric's measurements on its own schedule (Clock time), folds them into the
// pure run state (run.ts) and settles the moment the verdict is decided: a failing measurement resolves the
// verdict in the same tick it arrives, and measurements still in flight are cancelled.
//
// Metrics with `judge:` have no conditions of their own: together they make one pseudo-metric, the canary
// judge, measured once when the longest judge window (initialDelay + count × interval) has passed. That
// measurement samples every judge metric over the window for the canary and the stable version (judge.ts),
// and its phase is the judgement's verdict (pass → successful, marginal → inconclusive, fail → failed), its
// value the score; so limits, errors, persistence and resuming work as for any metric, and the strategies
// need not know.

/** The canary judge's pseudo-metric: not a valid metric name (see the schema), so it names no real one. */
export const JUDGE_METRIC = 'canary judge';
/** The judge's window when a judge metric has no count: enough samples per side for the test. */
const DEFAULT_JUDGE_COUNT = 5;
export const DEFAULT_THRESHOLDS: JudgeThresholds = { pass: 95, marginal: 75 };

/** A metric as in kdeploy.yaml, with any registered provider under `provider:`. */
export type MetricDefinition = Omit<MetricConfig, 'provider'> & { provider: Record<string, unknown> };

/** A metric ready to measure: its provider bound to its options and its query template. */
export interface PreparedMetric extends MetricSpec {
  provider: MetricProvider;
  query: string;
  /** The original definition (the judge and replay read its provider options). */
  definition: MetricDefinition;
}

export interface PrepareOptions {
  vars: MetricVars;
  providers?: ProviderRegistry;
  context?: ProviderContext;
  /** Where the metrics are in the config, for error messages. */
  path?: ConfigPath;
  /** The config file's name, for error messages. */
  source?: string;
  /**
   * Only these metrics (a step's `analysis.metrics`), picked from the full list so that error messages name
   * each metric's place in the config; default all.
   */
  only?: readonly string[];
}

export interface AnalysisOptions extends PrepareOptions {
  metrics: readonly MetricDefinition[];
  clock: Clock;
  /** Aborting rejects the verdict with the signal's reason (the engine gave up, a person aborted). */
  signal?: AbortSignal;
  /** Called with every measurement as it finishes and the run state after it (persist it, report it). */
  onMeasurement?: (record: MeasurementRecord, state: AnalysisRunState) => void;
  /** A state saved from an earlier run of the same metrics: continue it instead of starting over. */
  state?: AnalysisRunState;
  /** Attempts after a failed provider call within one measurement (retryable errors only); default 2. */
  retries?: number;
  /** First backoff between those attempts, ms (real time); default 250. */
  retryMinTimeoutMs?: number;
  /** The config's `analysis.judge` score thresholds; default pass 95, marginal 75. */
  judge?: JudgeThresholds;
  /** A baseline Deployment runs: the judge compares the canary with it rather than with the stable pods. */
  baseline?: boolean;
}

export type Outcome = Pick<MeasurementRecord, 'phase' | 'values' | 'message' | 'judgement'>;

/**
 * Binds each metric to its provider and checks what can be checked before anything runs: known provider,
 * valid conditions, a query template that renders with the release's variables. Throws one ConfigError
 * (exit code 2) naming every bad field.
 */
export async function prepareMetrics(
  definitions: readonly MetricDefinition[],
  options: PrepareOptions,
): Promise<PreparedMetric[]> {
  const registry = options.providers ?? builtInProviders;
  const path = options.path ?? ['analysis', 'metrics'];
  const source = options.source ?? 'kdeploy.yaml';
  const issues: ConfigIssue[] = [];
  const issue = (at: ConfigPath, message: string) => issues.push({ path: [...path, ...at], message, source });
  const prepared: PreparedMetric[] = [];

  for (const name of options.only ?? []) {
    if (!definitions.some((d) => d.name === name)) {
      issue(
        [],
        `no metric named ${JSON.stringify(name)}; defined: ${definitions.map((d) => d.name).join(', ') || 'none'}`,
      );
    }
  }
  for (const [i, def] of definitions.entries()) {
    if (options.only && !options.only.includes(def.name)) continue;
    for (const field of ['successCondition', 'failureCondition'] as const) {
      const problem = def[field] === undefined ? undefined : checkCondition(def[field]);
      if (problem) issue([i, field], `not a valid CEL condition: ${problem}`);
    }
    const keys = Object.keys(def.provider);
    const name = keys[0];
    const factory = name === undefined ? undefined : registry.get(name);
    if (keys.length !== 1 || !name || !factory) {
      issue([i, 'provider'], `expected exactly one provider of: ${registry.names().join(', ')}`);
      continue;
    }
    try {
      const bound = await factory(def.provider[name] as Record<string, unknown>, options.context ?? {});
      renderTemplate(bound.query, queryVars(options.vars), verbatim);
      prepared.push({ ...def, provider: bound.provider, query: bound.query, definition: def });
    } catch (err) {
      issue([i, 'provider', name], (err as Error).message);
    }
  }
  if (issues.length) throw new ConfigError(issues);
  return prepared;
}

/** Runs the analysis to its verdict; resolves with the final run state (`state.verdict`, `state.reason`). */
export function runAnalysis(options: AnalysisOptions): Promise<AnalysisRunState> {
  return new AnalysisRunner(options).start().verdict;
}

/** An analysis that runs alongside the release's steps (canary background analysis, rolling, blue/green). */
export interface BackgroundAnalysis {
  start(): BackgroundAnalysis;
  /** Settles when the run decides (failed, error, inconclusive, or every bounded metric done) or is stopped. */
  readonly verdict: Promise<AnalysisRunState>;
  /** Ends the run (the release is over): successful unless a metric failed or was inconclusive. */
  stop(): Promise<AnalysisRunState>;
  /** The run state now, to persist or show. */
  readonly state: AnalysisRunState | undefined;
}

export function backgroundAnalysis(options: AnalysisOptions): BackgroundAnalysis {
  return new AnalysisRunner(options);
}

class AnalysisRunner implements BackgroundAnalysis {
  readonly verdict: Promise<AnalysisRunState>;
  private current?: AnalysisRunState;
  /** What the run state tracks: the metrics without a judge, and the judge's pseudo-metric if any. */
  private specs: MetricSpec[] = [];
  private readonly cancel = new AbortController();
  private settled = false;
  private started = false;
  private resolve!: (state: AnalysisRunState) => void;
  private reject!: (err: unknown) => void;

  constructor(private readonly options: AnalysisOptions) {
    this.verdict = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.verdict.catch(() => {}); // the caller may only look at it later
  }

  get state(): AnalysisRunState | undefined {
    return this.current;
  }

  start(): this {
    if (this.started) return this;
    this.started = true;
    const external = this.options.signal;
    if (external) {
      if (external.aborted) this.fail(external.reason);
      else external.addEventListener('abort', () => this.fail(external.reason), { once: true });
    }
    this.run().catch((err) => this.fail(err));
    return this;
  }

  async stop(): Promise<AnalysisRunState> {
    if (!this.settled) {
      const now = this.options.clock.now();
      this.finish(stopRun(this.current ?? startRun(this.specs, now), now));
    }
    return this.verdict;
  }

  private async run(): Promise<void> {
    const o = this.options;
    // Providers read "now" (windows ending now) from the run's clock unless told otherwise.
    const prepared = await prepareMetrics(o.metrics, { ...o, context: { clock: o.clock, ...o.context } });
    if (this.settled) return;
    const plain = prepared.filter((m) => !m.definition.judge);
    const judged = prepared.filter((m) => m.definition.judge);
    const loops: [MetricSpec, (signal: AbortSignal) => Promise<Outcome>][] = plain.map((m) => [
      m,
      (signal) => this.measure(m, signal),
    ]);
    if (judged.length) {
      const spec = judgeSpec(judged);
      loops.push([spec, (signal) => this.judge(judged, spec, signal)]);
    }
    this.specs = loops.map(([spec]) => spec);
    const fresh = startRun(this.specs, o.clock.now());
    // Resuming: keep the saved progress of metrics that still exist; new metrics start fresh.
    this.current = o.state
      ? { ...o.state, metrics: { ...fresh.metrics, ...pick(o.state.metrics, Object.keys(fresh.metrics)) } }
      : fresh;
    if (this.current.verdict !== 'running') return this.finish(this.current);
    await Promise.all(loops.map(([spec, take]) => this.loop(spec, take)));
  }

  private async loop(metric: MetricSpec, take: (signal: AbortSignal) => Promise<Outcome>): Promise<void> {
    const { clock } = this.options;
    const signal = this.cancel.signal;
    while (!this.settled && this.current?.metrics[metric.name]?.phase === 'running') {
      const wait = this.current.metrics[metric.name]!.nextAt - clock.now();
      if (wait > 0) {
        try {
          await clock.sleep(wait, signal);
        } catch (err) {
          if (signal.aborted) return;
          throw err;
        }
      }
      const startedAt = clock.now();
      const release = clock.hold?.();
      const outcome = await take(signal).finally(() => release?.());
      if (signal.aborted || this.settled) return;
      this.apply({ metric: metric.name, ...outcome, startedAt, finishedAt: clock.now() });
    }
  }

  private async measure(metric: PreparedMetric, signal: AbortSignal): Promise<Outcome> {
    try {
      const m = await pRetry(
        () => metric.provider.measure(metric.query, queryVars(this.options.vars), signal),
        {
          retries: this.options.retries ?? 2,
          minTimeout: this.options.retryMinTimeoutMs ?? 250,
          signal,
          shouldRetry: ({ error }) => isRetryable(error),
        },
      );
      return { values: m.values, ...classify(metric, m.values) };
    } catch (err) {
      return { phase: 'error', values: [], message: (err as Error).message };
    }
  }

  /** Judges the canary against the stable version over the window since the run started (plus its delay). */
  private async judge(judged: PreparedMetric[], spec: MetricSpec, signal: AbortSignal): Promise<Outcome> {
    const { clock, vars } = this.options;
    try {
      const j = await judgeCanary({
        metrics: judged,
        vars,
        from: this.current!.startedAt + Math.max(...judged.map((m) => m.initialDelay ?? 0)),
        to: clock.now(),
        thresholds: this.options.judge ?? DEFAULT_THRESHOLDS,
        baseline: this.options.baseline,
        signal,
      });
      return judgementOutcome(j);
    } catch (err) {
      return { phase: 'error', values: [], message: `${spec.name}: ${(err as Error).message}` };
    }
  }

  private apply(record: MeasurementRecord): void {
    this.current = recordMeasurement(this.current!, this.specs, record);
    this.options.onMeasurement?.(record, this.current);
    if (this.current.verdict !== 'running') this.finish(this.current);
  }

  private finish(state: AnalysisRunState): void {
    if (this.settled) return;
    this.settled = true;
    this.current = state;
    this.cancel.abort();
    this.resolve(state);
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.cancel.abort();
    this.reject(err);
  }
}

/**
 * The variables a query sees: the release's, plus {{version}} and {{track}}, which name the version under
 * test (the canary here; the judge sets them to the baseline's for its second sample).
 */
export function queryVars(vars: MetricVars): MetricVars {
  return { version: vars.canaryVersion, track: 'canary', ...vars };
}

/** A judgement as the judge pseudo-metric's measurement: its verdict the phase, its score the value. */
export function judgementOutcome(j: Judgement): Outcome {
  const phase: MeasurementPhase = j.result === 'nodata' ? 'no-data' : j.verdict;
  return { phase, values: j.score === undefined ? [] : [j.score], message: j.reason, judgement: j };
}

/** One judgement, due once every judge metric has had its window. */
export function judgeSpec(judged: readonly PreparedMetric[]): MetricSpec {
  const window = Math.max(
    ...judged.map((m) => (m.initialDelay ?? 0) + (m.count || DEFAULT_JUDGE_COUNT) * m.interval),
  );
  return {
    name: JUDGE_METRIC,
    interval: window,
    count: 1,
    initialDelay: window,
    failureLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: Math.min(...judged.map((m) => m.consecutiveErrorLimit)),
  };
}

function pick<T>(record: Record<string, T>, keys: readonly string[]): Record<string, T> {
  return Object.fromEntries(keys.filter((k) => k in record).map((k) => [k, record[k]!]));
}
