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
import type { KdeployConfig } from '../src/config/schema.js';
import { LABELS } from '../src/core/labels.js';
import type { ReleaseState } from '../src/core/release.js';
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
import { bluegreenSection } from './config/bluegreen.js';
import {
  anyTemplateTarget,
  applyDeployment,
  awaitDeployment,
  deploymentRef,
  ensureAppService,
  renderFor,
  routerFor,
  runStepAnalysis,
  scaleDeployment,
  serviceRef,
  shiftTraffic,
  sideService,
  stampedTemplate,
  timedWait,
} from './progressive.js';

export type Color = 'blue' | 'green';

interface BlueGreenData {
  adopted?: true;
  /** The colour this release deploys to. */
  target?: Color;
  /** The colour live before the release; absent when none was. */
  active?: Color;
  /** A plain Deployment `<app>` served before (adoption). */
  plain?: boolean;
  /** The active Service's selector before the release (restored when an adoption rolls back). */
  previousSelector?: Record<string, string>;
  createdService?: boolean;
}

/** Identifies a rendered template, so a colour that already runs exactly it is reused warm (rollbacks). */
const TEMPLATE_HASH = 'kdeploy.dev/template-hash';

const data = (r: ReleaseState) => r.data as BlueGreenData;
const other = (c: Color): Color => (c === 'blue' ? 'green' : 'blue');
export const colorName = (c: KdeployConfig, color: Color) => `${c.app}-${color}`;
const labelsOf = (o: { metadata?: unknown } | undefined) =>
  (o?.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {};
const annotationsOf = (o: { metadata?: unknown } | undefined) =>
  (o?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {};

interface ServiceShape {
  metadata?: { name?: string };
  spec?: { selector?: Record<string, string> };
}

function target(ctx: StepContext): Color {
  const t = data(ctx.release).target;
  if (!t) throw new Error('the release record has no target colour: the adopt step did not run');
  return t;
}

/** The share of traffic a router gives green: blue is the router's "stable" side, green its "canary" side. */
const weightFor = (color: Color) => (color === 'green' ? 100 : 0);

function router(ctx: StepContext) {
  const config = ctx.config.strategy.bluegreen.router ?? { type: 'service' as const };
  return routerFor(ctx, config, {
    flip: { service: ctx.config.app, label: LABELS.color, values: { stable: 'blue', canary: 'green' } },
    services: bluegreenServices(ctx.config),
  });
}

/** The Service per colour a weight router points its targets at (blue its stable side, green its canary side). */
export const bluegreenServices = (c: KdeployConfig): RoutedServices => ({
  stable: colorName(c, 'blue'),
  canary: colorName(c, 'green'),
  port: c.service.port,
});

const usesWeights = (config: KdeployConfig) =>
  (config.strategy.bluegreen.router?.type ?? 'service') !== 'service';

/** Sends all traffic to `color`; reported as the new version's share. */
async function activate(ctx: StepContext, color: Color): Promise<void> {
  await shiftTraffic(ctx, await router(ctx), weightFor(color), target(ctx) === 'green');
  if (usesWeights(ctx.config))
    await ctx.cluster.patch(
      serviceRef(ctx.config, ctx.config.app),
      { spec: { selector: { [LABELS.color]: color } } },
      'merge',
    );
}

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

/** The objects a blue/green release to `color` applies: that colour's Deployment, the active and preview Services. */
export function bluegreenManifests(
  config: KdeployConfig,
  to: { version: string; image: string },
  color: Color,
) {
  const [deployment] = renderFor(config, to, { nameSuffix: `-${color}`, color }, ['deployment']);
  const [service, preview] = renderFor(config, to, undefined, ['service', 'preview-service'], {
    serviceSelector: { [LABELS.color]: color },
    previewSelector: { [LABELS.color]: color },
  });
  return { deployment: deployment!, service: service!, preview: preview! };
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
};

/** Rollback 1: the old side up and ready (at once when still warm), then the traffic back to it. */
const restoreOld: Step = {
  name: 'restore-old',
  async run(ctx) {
    const d = data(ctx.release);
    const { config } = ctx;
    if (!d.adopted || (!d.active && !d.plain)) return;
    const from = ctx.release.from?.version ?? '';
    if (d.active) {
      const name = colorName(config, d.active);
      const live = await ctx.cluster.get<DeploymentLike>(deploymentRef(config, name));
      if (!live) {
        // Flipping to a colour that no longer exists would leave the Service without endpoints.
        ctx.emit({ type: 'info', message: `${name} no longer exists: traffic stays on ${target(ctx)}` });
        return;
      }
      if ((live.spec?.replicas ?? 0) < config.replicas) await scaleDeployment(ctx, name, config.replicas);
      await awaitDeployment(ctx, name, anyTemplateTarget(from));
      const service = await ctx.cluster.get<ServiceShape>(serviceRef(config, config.app));
      // A weight router may have flipped before a crash left the selector behind: set both again.
      if (usesWeights(config) || service?.spec?.selector?.[LABELS.color] !== d.active)
        await activate(ctx, d.active);
      return;
    }
    // Adoption: the plain Deployment is there until the last step removes it; give the Service its old selector back.
    if (!(await ctx.cluster.get(deploymentRef(config, config.app)))) {
      ctx.emit({
        type: 'info',
        message: `the plain Deployment ${config.app} is already gone: traffic stays on ${target(ctx)}`,
      });
      return;
    }
    await awaitDeployment(ctx, config.app, anyTemplateTarget(from));
    await ctx.cluster.mutate<ServiceShape & { apiVersion?: string; kind?: string }>(
      serviceRef(config, config.app),
      (svc) =>
        svc.spec?.selector?.[LABELS.color] === undefined
          ? undefined
          : { ...svc, spec: { ...svc.spec, selector: d.previousSelector } },
    );
    ctx.emit({ type: 'weight', canary: 0, stable: 100, verified: true });
  },
};

/** Rollback 2: the new colour to 0 (a first release removes what it created). */
const scaleDownNew: Step = {
  name: 'scale-down-new',
  async run(ctx) {
    const d = data(ctx.release);
    if (!d.target) return;
    const name = colorName(ctx.config, d.target);
    if (d.active || d.plain) {
      // Never take away the colour the active Service still selects (the old side could not be restored).
      const service = await ctx.cluster.get<ServiceShape>(serviceRef(ctx.config, ctx.config.app));
      if (service?.spec?.selector?.[LABELS.color] === d.target) return;
      await scaleDeployment(ctx, name, 0);
      return;
    }
    await ctx.cluster.delete(deploymentRef(ctx.config, name));
    if (d.createdService) await ctx.cluster.delete(serviceRef(ctx.config, ctx.config.app));
  },
};

function analysisStep(
  name: string,
  ref: KdeployConfig['strategy']['bluegreen']['prePromotionAnalysis'],
): Step[] {
  if (!ref) return [];
  return [{ name, run: (ctx) => runStepAnalysis(ctx, ref, name) }];
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
        ...(gated ? analysisStep('pre-promotion-analysis', bg.prePromotionAnalysis) : []),
        ...(gated && !bg.autoPromote ? [awaitPromotion] : []),
        switchTraffic,
        ...(gated ? analysisStep('post-promotion-analysis', bg.postPromotionAnalysis) : []),
        scaleDownOld,
      ],
      rollback: [restoreOld, scaleDownNew],
    };
  },
};
