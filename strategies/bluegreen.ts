// The blue/green strategy: two Deployments `<app>-blue` and `<app>-green` (pod label kdeploy.dev/color);
// the active Service `<app>` selects the live colour, the preview Service `<app>-preview` the idle one.
// A release deploys the new version to the idle colour, waits until it is fully available, runs the
// pre-promotion analysis, waits for `kdeploy promote` when autoPromote is off, flips the active selector
// (router `service`; an AWS router moves 0↔100 % instead), runs the post-promotion analysis, keeps the old
// colour warm for scaleDownDelay — an abort inside that window is one selector flip back — and then scales
// the old colour to 0.
//
// Adopting an app that runs as one plain Deployment `<app>`: its pods keep serving through the active
// Service until blue is ready; the flip adds the colour to the Service's selector, and after the delay
// the plain Deployment is removed. No moment without ready endpoints.
//
// The colour a release deploys to is decided by its first step from the cluster (the colour the active
// Service doesn't select; behind a weight router, the colour the router's weights don't favour) and saved,
// so step names are colour-free and a resumed release keeps its colour. A weight router's flip also flips
// the active Service's selector, so in-cluster clients follow it and the Service never selects a colour at 0.
import { createHash } from 'node:crypto';
import { formatDuration } from '../src/config/duration-text.js';
import type { KdeployConfig } from '../src/config/schema.js';
import { LABELS } from '../src/core/labels.js';
import type { ReleaseState } from '../src/core/release.js';
import { analysisDescription, podDetection } from '../src/engine/plan/detection.js';
import type { ReadOnlyCluster } from '../src/engine/plan/types.js';
import {
  type DeploymentLike,
  type PodObject,
  type PodTemplate,
  type RolloutTarget,
  versionOfTemplate,
} from '../src/engine/rollout.js';
import type { Plan, Step, StepContext, Strategy } from '../src/engine/strategy.js';
import type { Manifest } from '../src/manifests/render.js';
import type { RoutedServices } from '../src/traffic/aws-routers.js';

import {
  activate,
  annotationsOf,
  type BlueGreenData,
  bluegreenManifests,
  type Color,
  colorName,
  data,
  idleColor,
  labelsOf,
  other,
  router,
  routerConfig,
  routerDeps,
  type ServiceShape,
  TEMPLATE_HASH,
  target,
  usesWeights,
  weightFor,
} from './bluegreen/context.js';
import { restoreOld, scaleDownNew } from './bluegreen/rollback.js';
import { bluegreenSection } from './config/bluegreen.js';
import { awaitDeployment, timedWait } from './progressive.js';
import { runStepAnalysis } from './shared/analysis.js';
import {
  applyDeployment,
  deploymentRef,
  ensureAppService,
  scaleDeployment,
  serviceRef,
  sideService,
  stampedTemplate,
} from './shared/objects.js';

/**
 * The colour live before this release, given the colour the active Service selects. Behind a weight router
 * the router's own state decides: the selector may be stale (releases before the router also flipped it).
 * A router that can't be read yet (its records or rule not created) leaves the selector's answer.
 */
async function liveColor(ctx: StepContext, selected: Color | undefined): Promise<Color | undefined> {
  if (!selected || !usesWeights(ctx.config)) return selected;
  try {
    const w = await (await router(ctx)).getWeights(ctx.signal);
    return w.canary > w.stable ? 'green' : 'blue';
  } catch (err) {
    ctx.emit({
      type: 'info',
      message: `cannot read the router's weights (${(err as Error).message}): taking the live colour from Service ${ctx.config.app}`,
    });
    return selected;
  }
}

function renderColor(ctx: StepContext, color: Color): { deployment: Manifest; template: PodTemplate } {
  const { deployment } = bluegreenManifests(ctx.config, ctx.release.to, color);
  const rendered = (deployment.spec as DeploymentLike['spec'])?.template;
  const hash = createHash('sha256').update(JSON.stringify(rendered)).digest('hex').slice(0, 16);
  const template = stampedTemplate(deployment, ctx.release.id);
  template.metadata = {
    ...template.metadata,
    annotations: { ...template.metadata?.annotations, [TEMPLATE_HASH]: hash },
  };
  return { deployment, template };
}

/** Pods of the rendered template, whichever release put it there. */
function templateTarget(ctx: StepContext, hash: string): RolloutTarget {
  return {
    version: ctx.release.to.version,
    templateMatches: (t) => annotationsOf(t)[TEMPLATE_HASH] === hash,
    isTargetPod: (p: PodObject) => annotationsOf(p)[TEMPLATE_HASH] === hash,
    diagnose: true,
  };
}

const adopt: Step = {
  name: 'adopt',
  async run(ctx) {
    if (data(ctx.release).adopted) return;
    const { config } = ctx;
    const service = await ctx.cluster.get<ServiceShape>(serviceRef(config, config.app));
    const selected = service?.spec?.selector?.[LABELS.color];
    const active = await liveColor(ctx, selected === 'blue' || selected === 'green' ? selected : undefined);
    const plainDeployment = active
      ? undefined
      : await ctx.cluster.get<DeploymentLike>(deploymentRef(config, config.app));
    const live = active
      ? await ctx.cluster.get<DeploymentLike>(deploymentRef(config, colorName(config, active)))
      : plainDeployment;
    const patch: BlueGreenData = {
      adopted: true,
      target: active ? other(active) : 'blue',
      ...(active && live ? { active } : {}),
      ...(plainDeployment ? { plain: true } : {}),
      ...(service ? { previousSelector: service.spec?.selector ?? {} } : {}),
    };
    await ctx.save({
      from: live ? versionOfTemplate(live.spec?.template, config.app) : { version: '', image: '' },
      data: { ...ctx.release.data, ...patch },
    });
  },
  describe: ({ config }) => ({
    does: `find the live colour (the active Service's selector, or the router's weights) and record it; a plain Deployment ${config.app} is adopted and removed at the end`,
    detect: {},
  }),
};

const ensureServices: Step = {
  name: 'ensure-services',
  async run(ctx) {
    const color = target(ctx);
    const { config } = ctx;
    const { service: active, preview } = bluegreenManifests(config, ctx.release.to, color);
    // No Service yet means no traffic yet: it may select the new colour from the start.
    await ensureAppService(ctx, active);
    // The preview Service always points at the colour being deployed.
    if (config.strategy.bluegreen.previewService) await ctx.cluster.apply(preview);
    // A router in front of the Services (alb, route53) needs one Service per colour to point its targets at.
    if (usesWeights(config)) {
      for (const c of ['blue', 'green'] as const)
        await ctx.cluster.apply(sideService(active, colorName(config, c), { [LABELS.color]: c }));
    }
  },
  describe: ({ config }) => ({
    does: `create Service ${config.app} when it is missing${config.strategy.bluegreen.previewService ? `, point ${config.app}-preview at the idle colour` : ''}${usesWeights(config) ? ', apply a Service per colour for the router' : ''}`,
    detect: {},
  }),
};

const deployIdle: Step = {
  name: 'deploy-idle',
  async run(ctx) {
    const color = target(ctx);
    const { deployment, template } = renderColor(ctx, color);
    const live = await ctx.cluster.get<DeploymentLike>(
      deploymentRef(ctx.config, colorName(ctx.config, color)),
    );
    const hash = template.metadata?.annotations?.[TEMPLATE_HASH];
    // Already running exactly this template (a rollback to the version the idle colour still has): keep its pods.
    if (live && annotationsOf(live.spec?.template)[TEMPLATE_HASH] === hash) {
      if (live.spec?.replicas !== ctx.config.replicas)
        await scaleDeployment(ctx, colorName(ctx.config, color), ctx.config.replicas);
      return;
    }
    await applyDeployment(ctx, deployment, template, ctx.config.replicas);
  },
  describe: ({ config, release }) => ({
    does: `deploy ${release.to.version} to the idle colour (${colorName(config, idleColor(release))}) with ${config.replicas} replicas`,
    detect: {},
    notes: [`blue/green deploys to the colour the active Service does not select: ${idleColor(release)}`],
  }),
};

const awaitIdle: Step = {
  name: 'await-idle',
  async run(ctx) {
    const { template } = renderColor(ctx, target(ctx));
    await awaitDeployment(
      ctx,
      colorName(ctx.config, target(ctx)),
      templateTarget(ctx, template.metadata?.annotations?.[TEMPLATE_HASH] ?? ''),
    );
  },
  describe: ({ config, release }) => ({
    does: `wait until all ${config.replicas} pods of ${colorName(config, idleColor(release))} are available`,
    detect: podDetection(config),
  }),
};

const awaitPromotion: Step = {
  name: 'await-promotion',
  skippable: true,
  async run(ctx) {
    const d = data(ctx.release);
    // A first release has no traffic to take away: nothing to approve (as Argo's first rollout).
    if (!d.active && !d.plain) return;
    return {
      pause: 'the new colour is ready (preview Service); waiting for kdeploy promote to switch traffic',
    };
  },
  describe: () => ({
    does: 'wait for kdeploy promote (test on the preview Service); a first release does not wait',
    waitsForPromote: true,
    detect: {},
  }),
};

/**
 * The active Service's selector after the flip must select the new colour's pods: an adopted Service may
 * select on a label the rendered template doesn't carry, and the flip would leave it with no endpoints.
 */
async function checkSelectable(ctx: StepContext, color: Color): Promise<void> {
  const service = await ctx.cluster.get<ServiceShape>(serviceRef(ctx.config, ctx.config.app));
  const dep = await ctx.cluster.get<DeploymentLike>(deploymentRef(ctx.config, colorName(ctx.config, color)));
  const labels = labelsOf(dep?.spec?.template);
  const selector = { ...service?.spec?.selector, [LABELS.color]: color };
  const missing = Object.entries(selector).filter(([k, v]) => labels[k] !== v);
  if (missing.length) {
    throw new Error(
      `Service ${ctx.config.namespace}/${ctx.config.app} would select ${missing.map(([k, v]) => `${k}=${v}`).join(',')}, which the ${color} pods don't carry; add the label to podLabels in kdeploy.yaml`,
    );
  }
}

const switchTraffic: Step = {
  name: 'switch-traffic',
  async run(ctx) {
    const color = target(ctx);
    await checkSelectable(ctx, color);
    await activate(ctx, color);
  },
  describe: ({ router: r, release }) => ({
    does: 'send all traffic to the new colour',
    detect: {},
    routerCalls: r?.describe(weightFor(idleColor(release))),
  }),
};

/** After the delay (old colour warm for a fast abort), the old side goes: a colour to 0, a plain Deployment away. */
const scaleDownOld: Step = {
  name: 'scale-down-old',
  async run(ctx) {
    const d = data(ctx.release);
    if (!d.active && !d.plain) return;
    await timedWait(ctx, 'scale-down', ctx.config.strategy.bluegreen.scaleDownDelay);
    if (d.active) await scaleDeployment(ctx, colorName(ctx.config, d.active), 0);
    else await ctx.cluster.delete(deploymentRef(ctx.config, ctx.config.app));
  },
  describe: ({ config }) => {
    const delay = config.strategy.bluegreen.scaleDownDelay;
    return {
      does: `keep the old colour warm ${formatDuration(delay)} (abort = flip back), then scale it to 0`,
      durationMs: delay,
      detect: {},
    };
  },
};

/** Pre-promotion analysis watches the idle colour's pods too; after the flip only the metrics count. */
function analysisStep(
  name: string,
  ref: KdeployConfig['strategy']['bluegreen']['prePromotionAnalysis'],
  watchesPods: boolean,
): Step[] {
  if (!ref) return [];
  return [
    {
      name,
      run: (ctx) => runStepAnalysis(ctx, ref, name),
      describe: ({ config }) => analysisDescription(config, ref, watchesPods ? podDetection(config) : {}),
    },
  ];
}

/** What adopt would find, read-only: the idle colour is the one the active Service doesn't select. */
async function observe(config: KdeployConfig, cluster: ReadOnlyCluster): Promise<Record<string, unknown>> {
  const service = await cluster.get<ServiceShape>(serviceRef(config, config.app));
  const selected = service?.spec?.selector?.[LABELS.color];
  return selected === 'blue' || selected === 'green'
    ? ({ target: other(selected), active: selected } satisfies BlueGreenData)
    : {};
}

export const bluegreen: Strategy = {
  name: 'bluegreen',
  configSection: bluegreenSection,
  plan(config, release): Plan {
    const bg = config.strategy.bluegreen;
    // `kdeploy rollback` goes back to a version that already ran: no analysis, no wait for promote.
    const gated = release.kind !== 'rollback';
    return {
      steps: [
        adopt,
        ensureServices,
        deployIdle,
        awaitIdle,
        ...(gated ? analysisStep('pre-promotion-analysis', bg.prePromotionAnalysis, true) : []),
        ...(gated && !bg.autoPromote ? [awaitPromotion] : []),
        switchTraffic,
        ...(gated ? analysisStep('post-promotion-analysis', bg.postPromotionAnalysis, false) : []),
        scaleDownOld,
      ],
      rollback: [restoreOld, scaleDownNew],
      preview: {
        manifests: (ctx) => {
          const m = bluegreenManifests(config, release.to, idleColor(ctx.release));
          return bg.previewService ? [m.deployment, m.service, m.preview] : [m.deployment, m.service];
        },
        router: { config: routerConfig(config), deps: routerDeps(config) },
        observe: (cluster) => observe(config, cluster),
      },
    };
  },
};
