// What the canary's steps share: the state a release saves, which pods are the variants', the router.
import type { KdeployConfig } from '../../src/config/schema.js';
import { LABELS } from '../../src/core/labels.js';
import type { Router } from '../../src/core/ports.js';
import type { ReleaseState } from '../../src/core/release.js';
import type { DeploymentLike, PodObject, PodTemplate } from '../../src/engine/rollout.js';
import type { StepContext } from '../../src/engine/strategy.js';
import { anyTemplateTarget, awaitDeployment, newVersionTarget, routerFor } from '../progressive.js';
import { deploymentRef, releaseOf } from '../shared/objects.js';
import { canaryServices, routerConfig } from './manifests.js';
export interface CanaryData {
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

export const data = (r: ReleaseState) => r.data as CanaryData;

/** Pods that aren't the stable Deployment's own, though its selector may match them: canary and baseline. */
export const isVariantPod = (p: PodObject) => {
  const labels = (p.metadata as { labels?: Record<string, string> } | undefined)?.labels;
  return labels?.[LABELS.role] === 'canary' || labels?.[LABELS.track] === 'baseline';
};
export const canaryPods = (c: KdeployConfig) => `${LABELS.app}=${c.app},${LABELS.role}=canary`;

/** The stable Deployment's old version coming back (or staying), the variants' pods left out. */
export const oldStableTarget = (ctx: StepContext) =>
  anyTemplateTarget(ctx.release.from?.version ?? '', isVariantPod);

export function router(ctx: StepContext): Promise<Router> {
  return routerFor(ctx, routerConfig(ctx.config), {
    services: canaryServices(ctx.config),
    // The replicas router waits for the side it grows: the canary with failure diagnosis, stable without.
    awaitReady: async (side, name) => {
      await awaitDeployment(ctx, name, side === 'canary' ? newVersionTarget(ctx) : oldStableTarget(ctx));
    },
  });
}

/** A re-run must not take pods away from a variant this release already scaled: its replicas, else 0. */
export async function ownReplicas(ctx: StepContext, name: string): Promise<number> {
  const live = await ctx.cluster.get<DeploymentLike>(deploymentRef(ctx.config, name));
  return live && releaseOf(live.spec?.template?.metadata) === ctx.release.id ? (live.spec?.replicas ?? 0) : 0;
}
