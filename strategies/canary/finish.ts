// Promotion: the stable Deployment moves to the new version while the canary still serves, all traffic
// goes back to stable, and the canary (with its baseline) is removed.

import { LABELS } from '../../src/core/labels.js';
import { podDetection } from '../../src/engine/plan/detection.js';
import type { DeploymentLike } from '../../src/engine/rollout.js';
import type { Step } from '../../src/engine/strategy.js';
import { awaitDeployment, newVersionTarget } from '../progressive.js';
import { deploymentRef, releaseOf, stampedTemplate } from '../shared/objects.js';
import { data, isVariantPod } from './context.js';
import { baselineName, canaryManifests, canaryName } from './manifests.js';
import { setCanaryWeight } from './traffic.js';
/** Moves the stable Deployment to the new version (the canary still serves meanwhile) and waits for it. */
export const promoteStable: Step = {
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
  describe: ({ config, release }) => ({
    does: `roll ${config.app} to ${release.to.version} (the canary keeps serving meanwhile)`,
    detect: podDetection(config),
  }),
};

/** All traffic to the (now new) stable Deployment: the canary's weight goes to 0. */
export const shiftToStable: Step = {
  name: 'shift-to-stable',
  async run(ctx) {
    if (data(ctx.release).fresh) return;
    await setCanaryWeight(ctx, 0);
  },
  describe: ({ router }) => ({
    does: 'all traffic to stable, canary to 0',
    detect: {},
    routerCalls: router?.describe(0),
  }),
};

/** The canary goes, and its baseline with it when the record says this release made one. */
export const removeCanary: Step = {
  name: 'remove-canary',
  async run(ctx) {
    await ctx.cluster.delete(deploymentRef(ctx.config, canaryName(ctx.config)));
    if (data(ctx.release).baseline)
      await ctx.cluster.delete(deploymentRef(ctx.config, baselineName(ctx.config)));
  },
  describe: ({ config }) => ({
    does: `delete ${canaryName(config)}${config.strategy.canary.baseline ? ` and ${baselineName(config)}` : ''}`,
    detect: {},
  }),
};
