// The canary's rollback, run from the first step whatever forward step was reached: the stable
// Deployment's old template back, the canary's weight to 0, then the canary removed (finish.ts).
import type { DeploymentLike } from '../../src/engine/rollout.js';
import type { Step } from '../../src/engine/strategy.js';
import { awaitDeployment, shiftTraffic } from '../progressive.js';
import { deploymentRef, releaseOf, scaleDeployment, serviceRef } from '../shared/objects.js';
import { data, oldStableTarget, router } from './context.js';
import { canaryName } from './manifests.js';
import { splitsByPodRatio } from './split.js';

/** Rollback 1: if promotion had started, the stable Deployment gets its old template back. */
export const restoreStable: Step = {
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
    await awaitDeployment(ctx, ctx.config.app, oldStableTarget(ctx));
  },
  describe: ({ config }) => ({
    does: `if promotion had started, put ${config.app}'s previous pod template back and wait for it (a first release deletes what it created)`,
    detect: {},
  }),
};

/** Rollback 2: the canary's weight to 0 first (stable back to full size and ready), then the canary goes. */
export const abortWeight: Step = {
  name: 'weight-zero',
  async run(ctx) {
    const d = data(ctx.release);
    if (d.fresh || !d.previousTemplate) return;
    const r = await router(ctx);
    // The pod-ratio split puts stable back to its size before the release (config.replicas) itself.
    await shiftTraffic(ctx, r, 0);
    if (!splitsByPodRatio(r.name)) await scaleDeployment(ctx, canaryName(ctx.config), 0);
  },
  describe: ({ config, router: r }) => ({
    does: `canary weight to 0 with stable at ${config.replicas} replicas, then ${canaryName(config)} to 0`,
    detect: {},
    routerCalls: r?.describe(0),
  }),
};
