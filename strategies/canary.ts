// The canary strategy: the stable Deployment `<app>` keeps serving the old version while a canary
// Deployment `<app>-canary` runs the new one; the configured steps (setWeight, pause, analysis) shift
// traffic to it through the router. Promotion moves the stable Deployment to the new version, shifts all
// traffic back to stable and removes the canary; an abort or a failure sets the canary's weight to 0 first,
// then removes it.
//
// Router `replicas` (default): weight = pod ratio behind the one Service (rule in src/traffic/weights.ts).
// Other routers split traffic themselves: the canary is sized to its share of the load (rounded up, at
// least one pod) before it gets the traffic, and stable keeps all its replicas until promotion. They point
// at two side Services, `<app>-stable` (kdeploy.dev/role=stable) and `<app>-canary`: the app's Service
// selects the canary pods too and would lean the split toward the canary. A stable Deployment kdeploy did
// not create lacks the role label; the first such release adds it to the pod template, which restarts the
// stable pods once (a rolling update, before the router is pointed at `<app>-stable`).
//
// Baseline (`strategy.canary.baseline: true`, Kayenta's practice): a Deployment `<app>-baseline` runs the
// stable version's pod template, created with the canary and scaled with it to the canary's replica count,
// so the canary judge compares two populations of the same age and size (no warm-cache or long-uptime bias
// of the stable pods). Its pods are labelled kdeploy.dev/track=baseline (the canary's track=canary) and
// version = the stable version; metrics tell them apart by the track. They carry role=stable, so they serve
// like stable pods: with `replicas` the app's Service selects them beside stable and canary (they are extra
// endpoints, so the canary's real share is canary / (replicas + canary), a little below the pod-ratio
// weight reported); behind alb/route53 the `<app>-stable` Service (role=stable) includes them, so they get
// the stable side's weight, never the canary's. The record says the baseline exists before it is created,
// and removing the canary removes it too (promotion, rollback, abort, and a resumed crashed release).
//
// An app with no stable Deployment yet has nothing to compare a canary with: its first release creates
// the stable Deployment at the new version and skips the steps (as Argo does for a new Rollout).
//
// Crash safety: what the cluster looked like is saved before anything changes, every template this release
// writes carries its id (kdeploy.dev/release), and each step checks the cluster before acting.

import { formatDuration } from '../src/config/duration-text.js';
import type { KdeployConfig } from '../src/config/schema.js';
import { LABELS } from '../src/core/labels.js';
import type { Router } from '../src/core/ports.js';
import type { ReleaseState } from '../src/core/release.js';
import {
  type DeploymentLike,
  type PodObject,
  type PodTemplate,
  versionOfTemplate,
} from '../src/engine/rollout.js';
import type { Plan, Step, StepContext, StepResult, Strategy } from '../src/engine/strategy.js';
import type { Manifest } from '../src/manifests/render.js';
import type { RoutedServices } from '../src/traffic/aws-routers.js';
import { canaryPodsForWeight } from '../src/traffic/weights.js';
import { type CanaryStep, canarySection } from './config/canary.js';
import {
  anyTemplateTarget,
  applyDeployment,
  asStepFailure,
  awaitDeployment,
  deploymentRef,
  ensureAppService,
  newVersionTarget,
  releaseOf,
  renderFor,
  routerFor,
  runStepAnalysis,
  scaleDeployment,
  serviceRef,
  shiftTraffic,
  sideService,
  stampedTemplate,
  timedWait,
  withBackgroundAnalysis,
} from './progressive.js';

interface CanaryData {
  adopted?: true;
  /** No stable Deployment existed: this release creates it and skips the canary. */
  fresh?: boolean;
  createdService?: boolean;
  /** The stable Deployment before the release, restored if promotion fails half-way. */
  previousTemplate?: PodTemplate;
  /** This release added role=stable to the stable pod template (their one-time restart). */
  labelledStable?: true;
  /** This release runs `<app>-baseline` (saved before creating it, so nothing can orphan it). */
  baseline?: true;
}

const data = (r: ReleaseState) => r.data as CanaryData;

/** The objects a canary release applies: the stable Deployment (as promotion leaves it), the canary, the Service. */
export function canaryManifests(config: KdeployConfig, to: { version: string; image: string }) {
  const [stable, service] = renderFor(config, to, undefined, ['deployment', 'service']);
  const [canary] = renderFor(
    config,
    to,
    { nameSuffix: '-canary', role: 'canary', track: 'canary', replicas: 0 },
    ['deployment'],
  );
  return { stable: stable!, canary: canary!, service: service! };
}
export const canaryName = (c: KdeployConfig) => `${c.app}-canary`;
export const baselineName = (c: KdeployConfig) => `${c.app}-baseline`;

/**
 * The baseline Deployment for a stable version (`kdeploy render` shows it at the rendered version). A
 * release gives it the live stable pod template instead (`baselineTemplate`).
 */
export function baselineManifest(config: KdeployConfig, stable: { version: string; image: string }) {
  return renderFor(
    config,
    stable,
    { nameSuffix: '-baseline', role: 'stable', track: 'baseline', replicas: 0 },
    ['deployment'],
  )[0]!;
}

/** Pods that aren't the stable Deployment's own, though its selector may match them: canary and baseline. */
const isVariantPod = (p: PodObject) => {
  const labels = (p.metadata as { labels?: Record<string, string> } | undefined)?.labels;
  return labels?.[LABELS.role] === 'canary' || labels?.[LABELS.track] === 'baseline';
};
const canaryPods = (c: KdeployConfig) => `${LABELS.app}=${c.app},${LABELS.role}=canary`;
const stableName = (c: KdeployConfig) => `${c.app}-stable`;
const routerConfig = (c: KdeployConfig) => c.strategy.canary.router ?? { type: 'replicas' as const };
/** A router that splits traffic itself (alb, route53) rather than by pod ratio behind the app's Service. */
const splitsItself = (c: KdeployConfig) => routerConfig(c).type !== 'replicas';
const withStableRole = (t: PodTemplate | undefined): PodTemplate => ({
  ...t,
  metadata: { ...t?.metadata, labels: { ...t?.metadata?.labels, [LABELS.role]: 'stable' } },
});

/** The side Services a router that splits traffic itself points its targets at. */
export const canaryServices = (c: KdeployConfig): RoutedServices => ({
  stable: stableName(c),
  canary: canaryName(c),
  port: c.service.port,
});

function router(ctx: StepContext): Promise<Router> {
  return routerFor(ctx, routerConfig(ctx.config), {
    services: canaryServices(ctx.config),
    // The replicas router waits for the side it grows: the canary with failure diagnosis, stable without.
    awaitReady: async (side, name) => {
      await awaitDeployment(
        ctx,
        name,
        side === 'canary'
          ? newVersionTarget(ctx)
          : anyTemplateTarget(ctx.release.from?.version ?? '', isVariantPod),
      );
    },
  });
}

/** Sets the canary weight, then sizes the baseline (if any) like the canary. */
async function setCanaryWeight(ctx: StepContext, weight: number): Promise<void> {
  await shiftCanary(ctx, weight);
  await matchBaseline(ctx);
}

/** Behind a traffic-splitting router the canary grows before and shrinks after the weight. */
async function shiftCanary(ctx: StepContext, weight: number): Promise<void> {
  const r = await router(ctx);
  if (r.name === 'replicas') return shiftTraffic(ctx, r, weight);
  const pods = canaryPodsForWeight(ctx.config.replicas, weight);
  const live = await ctx.cluster.get<DeploymentLike>(deploymentRef(ctx.config, canaryName(ctx.config)));
  const current = live?.spec?.replicas ?? 0;
  if (pods > current) {
    await scaleDeployment(ctx, canaryName(ctx.config), pods);
    await awaitDeployment(ctx, canaryName(ctx.config), newVersionTarget(ctx));
  }
  await shiftTraffic(ctx, r, weight);
  if (pods < current) await scaleDeployment(ctx, canaryName(ctx.config), pods);
}

/** The baseline at the canary's replica count, ready: it follows the canary through every weight. */
async function matchBaseline(ctx: StepContext): Promise<void> {
  if (!data(ctx.release).baseline) return;
  const canary = await ctx.cluster.get<DeploymentLike>(deploymentRef(ctx.config, canaryName(ctx.config)));
  await scaleDeployment(ctx, baselineName(ctx.config), canary?.spec?.replicas ?? 0);
  await awaitDeployment(ctx, baselineName(ctx.config), baselineTarget(ctx));
}

/** The baseline's pods: this release's template, diagnosed (a stable version failing here is worth saying). */
const baselineTarget = (ctx: StepContext) => ({
  ...newVersionTarget(ctx),
  version: ctx.release.from?.version ?? '',
});

/**
 * The rendered baseline Deployment with the live stable pod template (what the stable pods run, adopted or
 * not) under the rendered pod labels, which its selector needs.
 */
function withStableTemplate(ctx: StepContext, deployment: Manifest): Manifest {
  const stable = data(ctx.release).previousTemplate ?? {};
  const spec = deployment.spec as NonNullable<DeploymentLike['spec']>;
  const labels = { ...stable.metadata?.labels, ...spec.template?.metadata?.labels };
  return {
    ...deployment,
    spec: { ...spec, template: { ...stable, metadata: { ...stable.metadata, labels } } },
  };
}

/** A re-run must not take pods away from a variant this release already scaled: its replicas, else 0. */
async function ownReplicas(ctx: StepContext, name: string): Promise<number> {
  const live = await ctx.cluster.get<DeploymentLike>(deploymentRef(ctx.config, name));
  return live && releaseOf(live.spec?.template?.metadata) === ctx.release.id ? (live.spec?.replicas ?? 0) : 0;
}

const adopt: Step = {
  name: 'adopt',
  async run(ctx) {
    if (data(ctx.release).adopted) return;
    const live = await ctx.cluster.get<DeploymentLike>(deploymentRef(ctx.config, ctx.config.app));
    const template = live?.spec?.template;
    if (live && releaseOf(template?.metadata) === ctx.release.id) {
      throw new Error(
        'the stable Deployment already runs this release but the record lost its previous template',
      );
    }
    await ctx.save({
      from: live ? versionOfTemplate(template, ctx.config.app) : { version: '', image: '' },
      data: live
        ? { ...ctx.release.data, adopted: true, fresh: false, previousTemplate: template }
        : { ...ctx.release.data, adopted: true, fresh: true },
    });
  },
};

const ensureStableService: Step = {
  name: 'ensure-service',
  async run(ctx) {
    await ensureAppService(ctx, canaryManifests(ctx.config, ctx.release.to).service);
  },
};

/** First release of the app: the stable Deployment is created at the new version. */
const createStable: Step = {
  name: 'create-stable',
  async run(ctx) {
    if (!data(ctx.release).fresh) return;
    const { stable } = canaryManifests(ctx.config, ctx.release.to);
    await applyDeployment(
      ctx,
      stable,
      stampedTemplate(stable, ctx.release.id, { [LABELS.role]: 'stable' }),
      ctx.config.replicas,
    );
    await awaitDeployment(ctx, ctx.config.app, newVersionTarget(ctx));
  },
};

/**
 * Behind a router that splits traffic itself, the stable pods must carry role=stable for `<app>-stable`.
 * The label goes into the saved previous template first, so a rollback keeps it (no second restart, and the
 * stable Service keeps its endpoints).
 */
const labelStable: Step = {
  name: 'label-stable',
  async run(ctx) {
    let d = data(ctx.release);
    if (d.fresh) return;
    const ref = deploymentRef(ctx.config, ctx.config.app);
    const live = await ctx.cluster.get<DeploymentLike>(ref);
    if (live?.spec?.template?.metadata?.labels?.[LABELS.role] !== 'stable') {
      d = data(
        await ctx.save({
          data: { ...d, labelledStable: true, previousTemplate: withStableRole(d.previousTemplate) },
        }),
      );
      ctx.emit({
        type: 'info',
        message: `adding ${LABELS.role}=stable to Deployment ${ctx.config.namespace}/${ctx.config.app}'s pod template for Service ${stableName(ctx.config)}: its pods restart once`,
      });
      await ctx.cluster.mutate<DeploymentLike>(ref, (dep) =>
        dep.spec?.template?.metadata?.labels?.[LABELS.role] === 'stable'
          ? undefined
          : { ...dep, spec: { ...dep.spec, template: withStableRole(dep.spec?.template) } },
      );
    }
    // Waited for also when a crash came between the patch and the end of the restart.
    if (d.labelledStable)
      await awaitDeployment(
        ctx,
        ctx.config.app,
        anyTemplateTarget(ctx.release.from?.version ?? '', isVariantPod),
      );
  },
};

/** The canary Deployment at 0 replicas: the first setWeight gives it pods. */
const createCanary: Step = {
  name: 'create-canary',
  async run(ctx) {
    if (data(ctx.release).fresh) return;
    const deployment = canaryManifests(ctx.config, ctx.release.to).canary;
    const replicas = await ownReplicas(ctx, canaryName(ctx.config));
    await applyDeployment(ctx, deployment, stampedTemplate(deployment, ctx.release.id), replicas);
    // A router that splits traffic itself (alb, route53) points its targets at a Service per side.
    if (splitsItself(ctx.config)) {
      const { service } = canaryManifests(ctx.config, ctx.release.to);
      for (const [name, role] of [
        [stableName(ctx.config), 'stable'],
        [canaryName(ctx.config), 'canary'],
      ] as const)
        await ctx.cluster.apply(sideService(service, name, { [LABELS.role]: role }));
    }
    const r = await router(ctx);
    const targets = {
      stable: { version: ctx.release.from?.version ?? '' },
      canary: { version: ctx.release.to.version },
    };
    await asStepFailure(r.prepare(targets, ctx.signal));
  },
};

/** The baseline Deployment at 0 replicas, recorded first; the setWeight steps size it with the canary. */
const createBaseline: Step = {
  name: 'create-baseline',
  async run(ctx) {
    if (data(ctx.release).fresh) return;
    if (!data(ctx.release).baseline) await ctx.save({ data: { ...ctx.release.data, baseline: true } });
    const deployment = withStableTemplate(ctx, baselineManifest(ctx.config, ctx.release.from!));
    const replicas = await ownReplicas(ctx, baselineName(ctx.config));
    await applyDeployment(ctx, deployment, stampedTemplate(deployment, ctx.release.id), replicas);
  },
};

/** What a configured step does. */
function trafficWork(
  step: CanaryStep,
  index: number,
): { name: string; work: (ctx: StepContext) => Promise<StepResult> } {
  if ('setWeight' in step)
    return { name: `set-weight-${step.setWeight}`, work: (ctx) => setCanaryWeight(ctx, step.setWeight) };
  if ('pause' in step) {
    const ms = step.pause.duration;
    if (ms === undefined)
      return { name: 'pause', work: async () => ({ pause: 'canary paused: waiting for kdeploy promote' }) };
    // A canary that starts failing while nothing else watches it fails the pause at once.
    return {
      name: `pause-${formatDuration(ms)}`,
      work: (ctx) => timedWait(ctx, `step-${index}`, ms, { labelSelector: canaryPods(ctx.config) }),
    };
  }
  return {
    name: `analysis-${step.analysis.metrics.join('-')}`,
    work: (ctx) => runStepAnalysis(ctx, step.analysis, `analysis of step ${index + 1}`),
  };
}

/** A configured step: skippable by promote, measured by the background analysis from its startingStep on. */
function trafficStep(step: CanaryStep, index: number): Step {
  const { name, work } = trafficWork(step, index);
  return {
    name,
    skippable: true,
    async run(ctx) {
      if (data(ctx.release).fresh) return;
      const background = ctx.config.strategy.canary.analysis;
      const measured = background && index >= (background.startingStep ?? 0) ? background : undefined;
      return withBackgroundAnalysis(ctx, measured, () => work(ctx));
    },
  };
}

/** Moves the stable Deployment to the new version (the canary still serves meanwhile) and waits for it. */
const promoteStable: Step = {
  name: 'promote-stable',
  async run(ctx) {
    if (data(ctx.release).fresh) return;
    const template = stampedTemplate(canaryManifests(ctx.config, ctx.release.to).stable, ctx.release.id, {
      [LABELS.role]: 'stable',
    });
    const updated = await ctx.cluster.mutate<DeploymentLike>(
      deploymentRef(ctx.config, ctx.config.app),
      (live) => {
        if (
          releaseOf(live.spec?.template?.metadata) === ctx.release.id &&
          live.spec?.replicas === ctx.config.replicas
        )
          return undefined;
        const selector = live.spec?.selector?.matchLabels ?? {};
        const labels = { ...template.metadata?.labels, ...selector };
        return {
          ...live,
          spec: {
            ...live.spec,
            replicas: ctx.config.replicas,
            template: { ...template, metadata: { ...template.metadata, labels } },
          },
        };
      },
    );
    if (!updated)
      throw new Error(`Deployment ${ctx.config.namespace}/${ctx.config.app} disappeared during the release`);
    await awaitDeployment(ctx, ctx.config.app, {
      ...newVersionTarget(ctx),
      isTargetPod: (p) => !isVariantPod(p) && newVersionTarget(ctx).isTargetPod(p),
    });
  },
};

/** All traffic to the (now new) stable Deployment: the canary's weight goes to 0. */
const shiftToStable: Step = {
  name: 'shift-to-stable',
  async run(ctx) {
    if (data(ctx.release).fresh) return;
    await setCanaryWeight(ctx, 0);
  },
};

/** The canary goes, and its baseline with it when the record says this release made one. */
const removeCanary: Step = {
  name: 'remove-canary',
  async run(ctx) {
    await ctx.cluster.delete(deploymentRef(ctx.config, canaryName(ctx.config)));
    if (data(ctx.release).baseline)
      await ctx.cluster.delete(deploymentRef(ctx.config, baselineName(ctx.config)));
  },
};

/** Rollback 1: if promotion had started, the stable Deployment gets its old template back. */
const restoreStable: Step = {
  name: 'restore-stable',
  async run(ctx) {
    const d = data(ctx.release);
    if (d.fresh) {
      await ctx.cluster.delete(deploymentRef(ctx.config, ctx.config.app));
      if (d.createdService) await ctx.cluster.delete(serviceRef(ctx.config, ctx.config.app));
      return;
    }
    if (!d.previousTemplate) return; // failed before adopting anything
    await ctx.cluster.mutate<DeploymentLike>(deploymentRef(ctx.config, ctx.config.app), (live) => {
      if (releaseOf(live.spec?.template?.metadata) !== ctx.release.id) return undefined;
      return { ...live, spec: { ...live.spec, template: d.previousTemplate } };
    });
    // Wait for the old version to be back on whatever stable pods there are (none at weight 100).
    await awaitDeployment(
      ctx,
      ctx.config.app,
      anyTemplateTarget(ctx.release.from?.version ?? '', isVariantPod),
    );
  },
};

/** Rollback 2: the canary's weight to 0 first (stable back to full size and ready), then the canary goes. */
const abortWeight: Step = {
  name: 'weight-zero',
  async run(ctx) {
    const d = data(ctx.release);
    if (d.fresh || !d.previousTemplate) return;
    const r = await router(ctx);
    if (r.name === 'replicas') {
      // Stable back to its size before the release (the pod-ratio split keeps config.replicas).
      await shiftTraffic(ctx, r, 0);
      return;
    }
    await shiftTraffic(ctx, r, 0);
    await scaleDeployment(ctx, canaryName(ctx.config), 0);
  },
};

export const canary: Strategy = {
  name: 'canary',
  configSection: canarySection,
  plan(config): Plan {
    return {
      steps: [
        adopt,
        ensureStableService,
        createStable,
        ...(splitsItself(config) ? [labelStable] : []),
        createCanary,
        ...(config.strategy.canary.baseline ? [createBaseline] : []),
        ...config.strategy.canary.steps.map(trafficStep),
        promoteStable,
        shiftToStable,
        removeCanary,
      ],
      rollback: [restoreStable, abortWeight, removeCanary],
    };
  },
};
