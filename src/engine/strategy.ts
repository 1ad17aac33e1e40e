// The strategy plugin interface. A strategy turns the config and the release into a plan: ordered forward
// steps and the rollback steps that undo them. The engine runs any plan, records the step index before a
// step acts and after it finishes, and re-runs the current step after a crash, so every step must be
// idempotent: doing it twice has the effect of doing it once.

import type { KdeployConfig } from '../config/schema.js';
import type { ConfigSection } from '../config/section.js';
import { didYouMean } from '../config/suggest.js';
import type { Cluster } from '../core/cluster.js';
import { KdeployError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { Clock, MetricProvider, Router } from '../core/ports.js';
import type { Diagnosis, ReleaseEvent, ReleaseState, StrategyKind } from '../core/release.js';
import type { DescribeContext, PlanPreview, StepDescription } from './plan/types.js';

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
  /** Its section of kdeploy.yaml (`strategy.<key>`), validated by the section's schema and check. */
  readonly configSection?: ConfigSection;
  /** Deterministic in (config, release): a resumed release rebuilds the same plan. */
  plan(config: KdeployConfig, release: ReleaseState): Plan;
}

/** A step's verdict that the new version is bad: the engine rolls back and the release fails with this reason. */
export class StepFailure extends KdeployError {
  override name = 'StepFailure';
  constructor(
    message: string,
    readonly diagnosis?: Diagnosis,
  ) {
    super(message, ExitCode.Failed, { kind: 'release' });
  }
}

/**
 * How the registry holds a strategy: its code and its config section, each loaded on first use (validating
 * kdeploy.yaml needs every section, a release only its strategy's code).
 */
interface Registration {
  load(): Promise<Strategy>;
  section?(): Promise<ConfigSection>;
}

/**
 * Strategies by name. The engine registers none: the composition roots (CLI, Lambda, Action, library entry)
 * register the built-ins (strategies/index.ts) and plugins add theirs, so a name is whatever was registered.
 */
class StrategyRegistry {
  readonly #entries = new Map<string, Registration>();

  set(name: string, registration: Registration): void {
    this.#entries.set(name, registration);
  }

  names(): string[] {
    return [...this.#entries.keys()];
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** The config sections of the registered strategies, in registration order (kdeploy.yaml's `strategy:`). */
  async sections(): Promise<ConfigSection[]> {
    const sections = await Promise.all([...this.#entries.values()].map((r) => r.section?.()));
    return sections.filter((s): s is ConfigSection => s !== undefined);
  }

  /** What a name that is not registered is told: `(did you mean "canary"? known: rolling, bluegreen, canary)`. */
  known(name: string): string {
    const names = this.names();
    return `(${didYouMean(name, names)}known: ${names.join(', ') || 'none registered'})`;
  }

  /** The problem with a strategy name, if it names none registered (exit 2, nothing changed). */
  problem(name: string): string | undefined {
    return this.has(name) ? undefined : `unknown strategy "${name}" ${this.known(name)}`;
  }

  async load(name: string): Promise<Strategy> {
    const problem = this.problem(name);
    if (problem) throw Object.assign(new Error(problem), { exitCode: ExitCode.BadInput });
    const strategy = await this.#entries.get(name)!.load();
    // A module that loads but exports nothing (a bundle chunk read while it was being rewritten, a broken
    // plugin) must fail here, by name, rather than as a TypeError in the middle of a release.
    if (typeof strategy?.plan !== 'function')
      throw new Error(`strategy "${name}" did not load: its module exports no strategy with a plan()`);
    return strategy;
  }
}

export const strategies = new StrategyRegistry();

/**
 * Registers a strategy; a plugin package adds one. Either the strategy itself, or its name with loaders that
 * import it and its config section on first use (as the built-ins do, so a release loads one strategy's code).
 */
export function registerStrategy(strategy: Strategy): void;
export function registerStrategy(
  name: string,
  load: () => Promise<Strategy>,
  section?: () => Promise<ConfigSection>,
): void;
export function registerStrategy(
  what: string | Strategy,
  load?: () => Promise<Strategy>,
  section?: () => Promise<ConfigSection>,
): void {
  if (typeof what === 'string') strategies.set(what, { load: load!, section });
  else {
    const { configSection } = what;
    strategies.set(what.name, {
      load: async () => what,
      section: configSection && (async () => configSection),
    });
  }
}

export const loadStrategy = (name: string): Promise<Strategy> => strategies.load(name);

/** The registered strategies' config sections: what `loadConfig` accepts under `strategy:`. */
export const strategySections = (): Promise<ConfigSection[]> => strategies.sections();
