// The blue/green rollback: the old side back up and live, then the new colour down.

import { LABELS } from '../../src/core/labels.js';
import type { DeploymentLike } from '../../src/engine/rollout.js';
import type { Step } from '../../src/engine/strategy.js';
import { anyTemplateTarget, awaitDeployment } from '../progressive.js';
import { deploymentRef, scaleDeployment, serviceRef } from '../shared/objects.js';
import {
  activate,
  colorName,
  data,
  idleColor,
  other,
  type ServiceShape,
  target,
  usesWeights,
  weightFor,
} from './context.js';

/** Rollback 1: the old side up and ready (at once when still warm), then the traffic back to it. */
export const restoreOld: Step = {
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
  describe: ({ router: r, release }) => ({
    does: 'scale the old colour back up (at once while still warm), wait until it is available, and send the traffic back to it',
    detect: {},
    routerCalls: r?.describe(weightFor(other(idleColor(release)))),
  }),
};

/** Rollback 2: the new colour to 0 (a first release removes what it created). */
export const scaleDownNew: Step = {
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
  describe: () => ({
    does: 'scale the new colour to 0 (a first release deletes what it created)',
    detect: {},
  }),
};
