// The configured canary steps (setWeight, pause, analysis) and how a weight is set: the canary (and its
// baseline) sized by canarySplit, the router told the weight.
import type { AnalysisRef } from '../../src/config/analysis-schema.js';
import { formatDuration } from '../../src/config/duration-text.js';
import type { KdeployConfig } from '../../src/config/schema.js';
import {
  analysisDescription,
  CRASH_DETECT_MS,
  podDetection,
  withMetrics,
} from '../../src/engine/plan/detection.js';
import type { DescribeContext, StepDescription } from '../../src/engine/plan/types.js';
import type { DeploymentLike } from '../../src/engine/rollout.js';
import type { Step, StepContext, StepResult } from '../../src/engine/strategy.js';
import type { CanaryStep } from '../config/canary.js';
import { awaitDeployment, newVersionTarget, shiftTraffic, timedWait } from '../progressive.js';
import { runStepAnalysis, withBackgroundAnalysis } from '../shared/analysis.js';
import { deploymentRef, scaleDeployment } from '../shared/objects.js';
import { canaryPods, data, router } from './context.js';
import { baselineName, canaryName, routerConfig } from './manifests.js';
import { canarySplit } from './split.js';

/** Sets the canary weight, then sizes the baseline (if any) like the canary. */
export async function setCanaryWeight(ctx: StepContext, weight: number): Promise<void> {
  await shiftCanary(ctx, weight);
  await matchBaseline(ctx);
}

/** Behind a traffic-splitting router the canary grows before and shrinks after the weight. */
async function shiftCanary(ctx: StepContext, weight: number): Promise<void> {
  const r = await router(ctx);
  const split = canarySplit(r.name, ctx.config.replicas, weight);
  if (split.byPodRatio) return shiftTraffic(ctx, r, weight);
  const live = await ctx.cluster.get<DeploymentLike>(deploymentRef(ctx.config, canaryName(ctx.config)));
  const current = live?.spec?.replicas ?? 0;
  if (split.canary > current) {
    await scaleDeployment(ctx, canaryName(ctx.config), split.canary);
    await awaitDeployment(ctx, canaryName(ctx.config), newVersionTarget(ctx));
  }
  await shiftTraffic(ctx, r, weight);
  if (split.canary < current) await scaleDeployment(ctx, canaryName(ctx.config), split.canary);
}

/** The baseline at the canary's replica count, ready: it follows the canary through every weight. */
async function matchBaseline(ctx: StepContext): Promise<void> {
  if (!data(ctx.release).baseline) return;
  const canary = await ctx.cluster.get<DeploymentLike>(deploymentRef(ctx.config, canaryName(ctx.config)));
  await scaleDeployment(ctx, baselineName(ctx.config), canary?.spec?.replicas ?? 0);
  // The baseline's pods: this release's template, diagnosed (a stable version failing here is worth saying).
  await awaitDeployment(ctx, baselineName(ctx.config), {
    ...newVersionTarget(ctx),
    version: ctx.release.from?.version ?? '',
  });
}

/** The background analysis measures a configured step from its startingStep on. */
function backgroundFor(config: KdeployConfig, index: number): AnalysisRef | undefined {
  const background = config.strategy.canary.analysis;
  return background && index >= (background.startingStep ?? 0) ? background : undefined;
}

/** The setWeight step's description: the split the router will really give, and its calls. */
function describeWeight({ config, router: r }: DescribeContext, weight: number): StepDescription {
  const split = canarySplit(r?.name ?? routerConfig(config).type, config.replicas, weight);
  return {
    does: `canary weight ${weight} %${config.strategy.canary.baseline ? `, ${baselineName(config)} sized like the canary` : ''}`,
    weight: {
      requested: weight,
      achieved: split.achieved,
      stablePods: split.stable,
      canaryPods: split.canary,
    },
    detect: podDetection(config),
    routerCalls: r?.describe(weight),
    ...(split.achieved === weight
      ? {}
      : {
          notes: [
            `setWeight ${weight}: the pod ratio gives ${split.achieved} % with ${config.replicas} replicas`,
          ],
        }),
  };
}

interface Work {
  name: string;
  work(ctx: StepContext): Promise<StepResult>;
  describe(ctx: DescribeContext): StepDescription;
}

/** What a configured step does, and says it does. */
function trafficWork(step: CanaryStep, index: number): Work {
  if ('setWeight' in step)
    return {
      name: `set-weight-${step.setWeight}`,
      work: (ctx) => setCanaryWeight(ctx, step.setWeight),
      describe: (ctx) => describeWeight(ctx, step.setWeight),
    };
  if ('pause' in step) {
    const ms = step.pause.duration;
    if (ms === undefined)
      return {
        name: 'pause',
        work: async () => ({ pause: 'canary paused: waiting for kdeploy promote' }),
        describe: () => ({
          does: 'wait for kdeploy promote',
          waitsForPromote: true,
          detect: { podCrashMs: CRASH_DETECT_MS },
        }),
      };
    // A canary that starts failing while nothing else watches it fails the pause at once.
    return {
      name: `pause-${formatDuration(ms)}`,
      work: (ctx) => timedWait(ctx, `step-${index}`, ms, { labelSelector: canaryPods(ctx.config) }),
      describe: ({ config }) => ({
        does: `wait ${formatDuration(ms)} watching the canary pods`,
        durationMs: ms,
        detect: podDetection(config),
      }),
    };
  }
  return {
    name: `analysis-${step.analysis.metrics.join('-')}`,
    work: (ctx) => runStepAnalysis(ctx, step.analysis, `analysis of step ${index + 1}`),
    describe: ({ config }) => analysisDescription(config, step.analysis, podDetection(config)),
  };
}

/** A configured step: skippable by promote, measured by the background analysis from its startingStep on. */
export function trafficStep(step: CanaryStep, index: number): Step {
  const { name, work, describe } = trafficWork(step, index);
  return {
    name,
    skippable: true,
    async run(ctx) {
      if (data(ctx.release).fresh) return;
      return withBackgroundAnalysis(ctx, backgroundFor(ctx.config, index), () => work(ctx));
    },
    describe(ctx) {
      const own = describe(ctx);
      return { ...own, detect: withMetrics(ctx.config, backgroundFor(ctx.config, index), own.detect) };
    },
  };
}
