// The canary's steps before any traffic moves: adopt what runs, make sure the Service exists, create the
// stable Deployment on a first release, label the stable pods for a router that splits traffic itself, and
// create the canary (and its baseline) at 0 replicas.

import { LABELS } from '../../src/core/labels.js';
import { podDetection } from '../../src/engine/plan/detection.js';
import type { DeploymentLike, PodTemplate } from '../../src/engine/rollout.js';
import { versionOfTemplate } from '../../src/engine/rollout.js';
import type { Step, StepContext } from '../../src/engine/strategy.js';
import type { Manifest } from '../../src/manifests/render.js';
import { asStepFailure, awaitDeployment, newVersionTarget } from '../progressive.js';
import {
  applyDeployment,
  deploymentRef,
  ensureAppService,
  releaseOf,
  stampedTemplate,
} from '../shared/objects.js';
import { data, oldStableTarget, ownReplicas, router } from './context.js';
import {
  baselineManifest,
  baselineName,
  canaryManifests,
  canaryName,
  sideServices,
  splitsItself,
  stableName,
} from './manifests.js';

const withStableRole = (t: PodTemplate | undefined): PodTemplate => ({
  ...t,
  metadata: { ...t?.metadata, labels: { ...t?.metadata?.labels, [LABELS.role]: 'stable' } },
});

export const adopt: Step = {
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
  describe: ({ config, release }) => ({
    does: `record the version and pod template ${config.app} runs (rollback restores them); with no ${config.app} yet, the release creates it at ${release.to.version} and skips the canary steps`,
    detect: {},
  }),
};

export const ensureStableService: Step = {
  name: 'ensure-service',
  async run(ctx) {
    await ensureAppService(ctx, canaryManifests(ctx.config, ctx.release.to).service);
  },
  describe: ({ config }) => ({
    does: `create Service ${config.app} when it is missing (an existing one stays as it is)`,
    detect: {},
  }),
};

/** First release of the app: the stable Deployment is created at the new version. */
export const createStable: Step = {
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
  describe: ({ config, release }) => ({
    does: `only when ${config.app} does not exist yet: create it at ${release.to.version} with ${config.replicas} replicas and wait until they are available`,
    detect: podDetection(config),
  }),
};

/**
 * Behind a router that splits traffic itself, the stable pods must carry role=stable for `<app>-stable`.
 * The label goes into the saved previous template first, so a rollback keeps it (no second restart, and the
 * stable Service keeps its endpoints).
 */
export const labelStable: Step = {
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
    if (d.labelledStable) await awaitDeployment(ctx, ctx.config.app, oldStableTarget(ctx));
  },
  describe: ({ config }) => ({
    does: `add ${LABELS.role}=stable to ${config.app}'s pod template when it lacks it, for Service ${stableName(config)} (its pods restart once)`,
    detect: {},
  }),
};

/** The canary Deployment at 0 replicas: the first setWeight gives it pods. */
export const createCanary: Step = {
  name: 'create-canary',
  async run(ctx) {
    if (data(ctx.release).fresh) return;
    const { canary: deployment, service } = canaryManifests(ctx.config, ctx.release.to);
    const replicas = await ownReplicas(ctx, canaryName(ctx.config));
    await applyDeployment(ctx, deployment, stampedTemplate(deployment, ctx.release.id), replicas);
    // A router that splits traffic itself (alb, route53) points its targets at a Service per side.
    if (splitsItself(ctx.config))
      for (const side of sideServices(ctx.config, service)) await ctx.cluster.apply(side);
    const r = await router(ctx);
    const targets = {
      stable: { version: ctx.release.from?.version ?? '' },
      canary: { version: ctx.release.to.version },
    };
    await asStepFailure(r.prepare(targets, ctx.signal));
  },
  describe: ({ config }) => ({
    does: `create ${canaryName(config)} at 0 replicas${splitsItself(config) ? `, Services ${stableName(config)} and ${canaryName(config)} for the router` : ''}, and prepare the router`,
    detect: {},
  }),
};

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

/** The baseline Deployment at 0 replicas, recorded first; the setWeight steps size it with the canary. */
export const createBaseline: Step = {
  name: 'create-baseline',
  async run(ctx) {
    if (data(ctx.release).fresh) return;
    if (!data(ctx.release).baseline) await ctx.save({ data: { ...ctx.release.data, baseline: true } });
    const deployment = withStableTemplate(ctx, baselineManifest(ctx.config, ctx.release.from!));
    const replicas = await ownReplicas(ctx, baselineName(ctx.config));
    await applyDeployment(ctx, deployment, stampedTemplate(deployment, ctx.release.id), replicas);
  },
  describe: ({ config }) => ({
    does: `create ${baselineName(config)} at 0 replicas with the stable pod template; each weight sizes it like the canary`,
    detect: {},
  }),
};
