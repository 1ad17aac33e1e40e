// `kdeploy plan`: what a release would do, computed without acting. The strategy's own plan — the steps,
// names and numbering the engine records in `release.steps` and `kdeploy status` shows — with each step's
// description: the weight it really gets, router calls, the known part of the duration (pauses, analysis,
// delays) and the worst-case time until a bad version is caught. Nothing here knows a strategy by name.
import type { KdeployConfig } from '../../config/schema.js';
import type { Clock } from '../../core/ports.js';
import type { ReleaseState, VersionRef } from '../../core/release.js';
import type { Manifest } from '../../manifests/render.js';
import { createRouter } from '../../traffic/registry.js';
import { newRelease } from '../record.js';
import { loadStrategy, type Plan, type Step } from '../strategy.js';
import type { ObjectDiff } from './diff.js';
import type { DescribeContext, ReadOnlyCluster, StepDescription } from './types.js';

export interface PlannedStep extends StepDescription {
  /** 1-based, as `kdeploy status` numbers the step. */
  number: number;
  name: string;
}

export interface ReleasePlan {
  app: string;
  namespace: string;
  strategy: ReleaseState['strategy'];
  to: VersionRef;
  router?: string;
  manifests: Manifest[];
  steps: PlannedStep[];
  /** Run after a failure or an abort, whatever forward step was reached. */
  rollback: PlannedStep[];
  /** Sum of the steps' known durations, excluding the time pods take to start and waits for promote. */
  estimatedDurationMs: number;
  waitsForPromote: number;
  notes: string[];
  diff?: ObjectDiff[];
  /** Why there is no diff (no cluster configured or reachable). */
  diffSkipped?: string;
}

export interface PlanInput {
  config: KdeployConfig;
  strategy: ReleaseState['strategy'];
  to: VersionRef;
  clock: Clock;
  /** When given, the plan reads what the release's first step would observe (blue/green's idle colour). */
  cluster?: ReadOnlyCluster;
}

const planned =
  (ctx: DescribeContext) =>
  (step: Step, i: number): PlannedStep => ({
    number: i + 1,
    name: step.name,
    ...(step.describe?.(ctx) ?? { does: step.name, detect: {} }),
  });

/** Reads what the first step would record (into the release the descriptions see); an unreachable cluster leaves the defaults and says why. */
async function observe(plan: Plan, release: ReleaseState, cluster: ReadOnlyCluster | undefined) {
  if (!cluster || !plan.preview?.observe) return undefined;
  try {
    release.data = await plan.preview.observe(cluster);
    return undefined;
  } catch (err) {
    return `cluster not reachable: ${(err as Error).message}`;
  }
}

/** The release plan, derived from the strategy's own steps. */
export async function planRelease(input: PlanInput): Promise<ReleasePlan> {
  const { config, clock } = input;
  const strategy = await loadStrategy(input.strategy);
  // The record entry a release would start with; the plan never stores it.
  const release = newRelease(input.config, input.strategy, input.to, 'plan', input.clock.now(), 'release');
  const plan = strategy.plan(config, release);
  const diffSkipped = await observe(plan, release, input.cluster);
  const routed = plan.preview?.router;
  const router = routed
    ? await createRouter(routed.config, {
        clock,
        app: config.app,
        namespace: config.namespace,
        replicas: config.replicas,
        ...routed.deps,
      })
    : undefined;
  const ctx: DescribeContext = { config, release, router, clock };
  const steps = plan.steps.map(planned(ctx));
  return {
    app: config.app,
    namespace: config.namespace,
    strategy: input.strategy,
    to: input.to,
    router: router?.name,
    manifests: plan.preview?.manifests(ctx) ?? [],
    steps,
    rollback: plan.rollback.map(planned(ctx)),
    estimatedDurationMs: steps.reduce((sum, s) => sum + (s.durationMs ?? 0), 0),
    waitsForPromote: steps.filter((s) => s.waitsForPromote).length,
    notes: steps.flatMap((s) => s.notes ?? []),
    ...(diffSkipped ? { diffSkipped } : {}),
  };
}
