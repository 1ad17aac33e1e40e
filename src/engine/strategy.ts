// The strategy plugin interface. A strategy turns the config and the release into a plan: ordered forward
// steps and the rollback steps that undo them. The engine runs any plan, records the step index before a
// step acts and after it finishes, and re-runs the current step after a crash, so every step must be
// idempotent: doing it twice has the effect of doing it once.
import type { KdeployConfig } from '../config/schema.js';
import type { Cluster } from '../kube/cluster.js';
import type { DescribeContext, PlanPreview, StepDescription } from './plan/types.js';
import type { Clock, MetricProvider, Router } from './ports.js';
import type { Diagnosis, ReleaseEvent, ReleaseState, StrategyKind } from './types.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event as a step emits it; the engine adds time, app and release id. */
export type StepEvent = DistributiveOmit<ReleaseEvent, 'at' | 'app' | 'releaseId'>;

/** Engine settings that are not part of kdeploy.yaml (tests and `simulate` shorten them). */
export interface EngineTuning {
  /** Overrides the readiness budget derived from the readiness probe. */
  readinessTimeoutMs?: number;
  /** How often time-based checks (readiness budget) are re-evaluated between watch events. Default 1000. */
  recheckMs?: number;
  /** Log lines of a failing pod attached to the diagnosis. Default 20. */
  logLines?: number;
}

export interface StepContext {
  readonly release: ReleaseState;
  readonly config: KdeployConfig;
  readonly cluster: Cluster;
  readonly clock: Clock;
  /** Aborted when the step must stop: abort requested, deadline, lost lock, caller's signal. */
  readonly signal: AbortSignal;
  readonly router?: Router;
  readonly metrics: Readonly<Record<string, MetricProvider>>;
  readonly tuning: EngineTuning;
  emit(event: StepEvent): void;
  /** Persists fields of the current release (e.g. `data`, `from`, `weights`) before the step goes on. */
  save(
    patch: Partial<Pick<ReleaseState, 'from' | 'data' | 'weights' | 'measurements' | 'analysis'>>,
  ): Promise<ReleaseState>;
}

/** A step either finishes (void) or asks to wait for `kdeploy promote` (canary pause without duration). */
export type StepResult = void | { pause: string };

export interface Step {
  /** Short, stable name shown in status and stored in the record (`update-template`, `set-weight-20`). */
  readonly name: string;
  /**
   * A waiting step (canary setWeight, pause, analysis): `kdeploy promote` interrupts and skips it,
   * `promote --full` skips it and every skippable step after it, and `kdeploy pause` interrupts it (it re-runs
   * on promote).
   */
  readonly skippable?: boolean;
  run(ctx: StepContext): Promise<StepResult>;
  /** What the step will do, for `kdeploy plan`; a step without one is listed by its name only. */
  describe?(ctx: DescribeContext): StepDescription;
}

export interface Plan {
  steps: Step[];
  /** Run after a failure or an abort, from the first one, whatever forward step was reached. */
  rollback: Step[];
  /** What `kdeploy plan` shows besides the steps: manifests, router, what it reads from the cluster. */
  preview?: PlanPreview;
}

export interface Strategy {
  readonly name: StrategyKind;
  /** Deterministic in (config, release): a resumed release rebuilds the same plan. */
  plan(config: KdeployConfig, release: ReleaseState): Plan;
}

/** A step's verdict that the new version is bad: the engine rolls back and the release fails with this reason. */
export class StepFailure extends Error {
  override name = 'StepFailure';
  constructor(
    message: string,
    readonly diagnosis?: Diagnosis,
  ) {
    super(message);
  }
}

const registry = new Map<string, () => Promise<Strategy>>();

/** Registers a strategy by name; a third-party package can add one. Loaded lazily on first use. */
export function registerStrategy(name: string, load: () => Promise<Strategy>): void {
  registry.set(name, load);
}

export async function loadStrategy(name: string): Promise<Strategy> {
  const load = registry.get(name);
  if (!load) {
    throw Object.assign(new Error(`unknown strategy "${name}" (known: ${[...registry.keys()].join(', ')})`), {
      exitCode: 2,
    });
  }
  const strategy = await load();
  // A module that loads but exports nothing (a bundle chunk read while it was being rewritten, a broken
  // plugin) must fail here, by name, rather than as a TypeError in the middle of a release.
  if (typeof strategy?.plan !== 'function')
    throw new Error(`strategy "${name}" did not load: its module exports no strategy with a plan()`);
  return strategy;
}

registerStrategy('rolling', async () => (await import('../../strategies/rolling.js')).rolling);
registerStrategy('canary', async () => (await import('../../strategies/canary.js')).canary);
registerStrategy('bluegreen', async () => (await import('../../strategies/bluegreen.js')).bluegreen);
