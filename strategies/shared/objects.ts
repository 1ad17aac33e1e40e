// The objects every built-in strategy writes: references, the app's rendered objects, pod templates stamped
// with the release (how a step tells its own change apart after a crash), idempotent create-or-update.
import type { KdeployConfig } from '../../src/config/schema.js';
import type { ObjectRef } from '../../src/core/cluster.js';
import { RELEASE_ANNOTATION } from '../../src/core/labels.js';
import type { DeploymentLike, PodTemplate } from '../../src/engine/rollout.js';
import type { StepContext } from '../../src/engine/strategy.js';
import { statusOf } from '../../src/kube/errors.js';
import { type Manifest, renderManifests, type TemplateName } from '../../src/manifests/render.js';
import type { Variant, ViewOptions } from '../../src/manifests/view.js';
export const deploymentRef = (c: KdeployConfig, name: string): ObjectRef => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  name,
  namespace: c.namespace,
});
export const serviceRef = (c: KdeployConfig, name: string): ObjectRef => ({
  apiVersion: 'v1',
  kind: 'Service',
  name,
  namespace: c.namespace,
});
export const releaseOf = (meta: { annotations?: Record<string, string> } | undefined) =>
  meta?.annotations?.[RELEASE_ANNOTATION];

/** Renders the app's objects for the new version; `objects` picks the templates (Deployment first). */
export function renderFor(
  config: KdeployConfig,
  to: { version: string; image: string },
  variant: Variant | undefined,
  objects: readonly TemplateName[],
  selectors: Pick<ViewOptions, 'serviceSelector' | 'previewSelector'> = {},
): Manifest[] {
  return renderManifests(config, { version: to.version, image: to.image, variant, objects, ...selectors });
}

/** The rendered Deployment's pod template stamped with the release (how a step tells its own change apart). */
export function stampedTemplate(
  deployment: Manifest,
  releaseId: string,
  extraLabels: Record<string, string> = {},
): PodTemplate {
  const template = structuredClone((deployment.spec as DeploymentLike['spec'])?.template ?? {});
  template.metadata = {
    ...template.metadata,
    labels: { ...template.metadata?.labels, ...extraLabels },
    annotations: { ...template.metadata?.annotations, [RELEASE_ANNOTATION]: releaseId },
  };
  return template;
}

/**
 * Creates the rendered Deployment with the stamped template, or, when it exists (an earlier release left
 * it, or an earlier run of this step made it), gives it that template and replica count. Idempotent.
 */
export async function applyDeployment(
  ctx: StepContext,
  deployment: Manifest,
  template: PodTemplate,
  replicas: number,
): Promise<void> {
  const spec = deployment.spec as NonNullable<DeploymentLike['spec']>;
  try {
    await ctx.cluster.create<DeploymentLike>({ ...deployment, spec: { ...spec, replicas, template } });
    return;
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
  }
  await ctx.cluster.mutate<DeploymentLike>(deploymentRef(ctx.config, deployment.metadata.name), (live) => {
    if (releaseOf(live.spec?.template?.metadata) === ctx.release.id && live.spec?.replicas === replicas)
      return undefined;
    // The selector is immutable: a Deployment left by another tool keeps its own, and the template must match it.
    const selector = live.spec?.selector?.matchLabels ?? {};
    const labels = { ...template.metadata?.labels, ...selector };
    return {
      ...live,
      spec: { ...live.spec, replicas, template: { ...template, metadata: { ...template.metadata, labels } } },
    };
  });
}

/**
 * Creates the app's Service when it is missing, recording first (`data.createdService`) that this release
 * created it, so a rollback removes it even after a crash between the two. An existing Service is the
 * user's and stays as it is.
 */
export async function ensureAppService(ctx: StepContext, service: Manifest): Promise<void> {
  if (await ctx.cluster.get(serviceRef(ctx.config, service.metadata.name))) return;
  if (!ctx.release.data.createdService)
    await ctx.save({ data: { ...ctx.release.data, createdService: true } });
  try {
    await ctx.cluster.create(service);
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
  }
}

/**
 * A ClusterIP Service for one side (a colour, the canary) derived from the app's rendered Service, for routers
 * that point their own targets at it (alb TargetGroupBindings, external-dns records). The app's Service type
 * and annotations (load balancers) stay on the app's Service.
 */
export function sideService(appService: Manifest, name: string, selector: Record<string, string>): Manifest {
  const spec = appService.spec as { selector?: Record<string, string> };
  return {
    ...appService,
    metadata: { ...appService.metadata, name, annotations: {} },
    spec: { ...spec, type: 'ClusterIP', selector: { ...spec.selector, ...selector } },
  };
}

/** Scales a Deployment; a missing one counts as scaled to 0. */
export async function scaleDeployment(ctx: StepContext, name: string, replicas: number): Promise<void> {
  try {
    await ctx.cluster.patch(deploymentRef(ctx.config, name), { spec: { replicas } }, 'merge');
  } catch (err) {
    if (!(statusOf(err) === 404 && replicas === 0)) throw err;
  }
}
