// The rolling strategy: kdeploy changes the Deployment's pod template and the Kubernetes deployment
// controller rolls it out under maxSurge/maxUnavailable. kdeploy watches, names pod failures within
// seconds, and on failure puts the previous template back (what `kubectl rollout undo` does) and waits
// until the old version is fully available again.
//
// Crash safety: the previous template is saved in the release record before the template changes, and the
// new template carries the release id (annotation kdeploy.dev/release), so every step can tell from the
// cluster whether its effect already happened.
import type { KdeployConfig } from '../src/config/schema.js';
import { RELEASE_ANNOTATION } from '../src/core/labels.js';
import type { ReleaseState } from '../src/core/release.js';
import {
  awaitRollout,
  type DeploymentLike,
  type PodTemplate,
  versionOfTemplate,
} from '../src/engine/rollout.js';
import type { Plan, Step, StepContext, Strategy } from '../src/engine/strategy.js';
import { statusOf } from '../src/kube/errors.js';
import { type Manifest, renderManifests } from '../src/manifests/render.js';
import { rollingSection } from './config/rolling.js';
import { withBackgroundAnalysis } from './progressive.js';

/** What the release remembers about the cluster before it changed anything. */
interface RollingData {
  adopted?: true;
  /** No Deployment existed: rolling back deletes the one this release created. */
  created?: boolean;
  createdService?: boolean;
  previousTemplate?: PodTemplate;
  previousReplicas?: number;
  /** The Deployment's (immutable) selector, which new templates must keep matching. */
  selector?: Record<string, string>;
}

const data = (r: ReleaseState) => r.data as RollingData;
const deploymentRef = (c: KdeployConfig) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  name: c.app,
  namespace: c.namespace,
});
const serviceRef = (c: KdeployConfig) => ({
  apiVersion: 'v1',
  kind: 'Service',
  name: c.app,
  namespace: c.namespace,
});
const releaseOf = (meta: { annotations?: Record<string, string> } | undefined) =>
  meta?.annotations?.[RELEASE_ANNOTATION];

function render(ctx: StepContext): { deployment: Manifest; service: Manifest } {
  const [deployment, service] = renderManifests(ctx.config, {
    version: ctx.release.to.version,
    image: ctx.release.to.image,
  });
  if (deployment?.kind !== 'Deployment' || service?.kind !== 'Service') {
    throw new Error('the deployment and service templates must render a Deployment and a Service');
  }
  return { deployment, service };
}

/** The new pod template: the rendered one, stamped with the release, still matching the live selector. */
function newTemplate(ctx: StepContext, rendered: Manifest, selector: Record<string, string>): PodTemplate {
  const template = structuredClone((rendered.spec as DeploymentLike['spec'])?.template ?? {});
  template.metadata = {
    ...template.metadata,
    labels: { ...template.metadata?.labels, ...selector },
    annotations: { ...template.metadata?.annotations, [RELEASE_ANNOTATION]: ctx.release.id },
  };
  return template;
}

const adopt: Step = {
  name: 'adopt',
  async run(ctx) {
    if (data(ctx.release).adopted) return;
    const live = await ctx.cluster.get<DeploymentLike>(deploymentRef(ctx.config));
    if (live) {
      const template = live.spec?.template;
      // A template stamped with this release means an earlier run already changed it: never record it as "previous".
      if (releaseOf(template?.metadata) === ctx.release.id)
        throw new Error('the Deployment already runs this release but the record lost its previous template');
      await ctx.save({
        from: versionOfTemplate(template, ctx.config.app),
        data: {
          ...ctx.release.data,
          adopted: true,
          created: false,
          previousTemplate: template,
          previousReplicas: live.spec?.replicas,
          selector: live.spec?.selector?.matchLabels ?? {},
        } satisfies RollingData,
      });
    } else {
      const rendered = render(ctx).deployment.spec as DeploymentLike['spec'];
      await ctx.save({
        from: null,
        data: {
          ...ctx.release.data,
          adopted: true,
          created: true,
          selector: rendered?.selector?.matchLabels ?? {},
        } satisfies RollingData,
      });
    }
  },
};

const ensureService: Step = {
  name: 'ensure-service',
  async run(ctx) {
    // An existing Service is the user's: changing its selector could cut traffic to the running pods.
    if (await ctx.cluster.get(serviceRef(ctx.config))) return;
    const { service } = render(ctx);
    const spec = service.spec as { selector?: Record<string, string> };
    await ctx.save({ data: { ...ctx.release.data, createdService: true } satisfies RollingData });
    try {
      await ctx.cluster.create({
        ...service,
        spec: { ...spec, selector: data(ctx.release).selector ?? spec.selector },
      });
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
    }
  },
};

const updateTemplate: Step = {
  name: 'update-template',
  async run(ctx) {
    const { deployment } = render(ctx);
    const d = data(ctx.release);
    const template = newTemplate(ctx, deployment, d.selector ?? {});
    const spec = deployment.spec as NonNullable<DeploymentLike['spec']>;
    if (d.created) {
      try {
        await ctx.cluster.create<DeploymentLike>({ ...deployment, spec: { ...spec, template } });
        return;
      } catch (err) {
        // Created by an earlier run of this step that crashed before recording it: update it below.
        if (statusOf(err) !== 409) throw err;
      }
    }
    const updated = await ctx.cluster.mutate<DeploymentLike>(deploymentRef(ctx.config), (live) => {
      if (releaseOf(live.spec?.template?.metadata) === ctx.release.id) return undefined;
      return {
        ...live,
        spec: {
          ...live.spec,
          replicas: spec.replicas,
          progressDeadlineSeconds: spec.progressDeadlineSeconds,
          strategy: spec.strategy,
          template,
        },
      };
    });
    if (!updated)
      throw new Error(`Deployment ${ctx.config.namespace}/${ctx.config.app} disappeared during the release`);
  },
};

const awaitNewVersion: Step = {
  name: 'await-rollout',
  // `strategy.rolling.analysis` measures its metrics while the controller rolls (as Argo's background
  // analysis does for a rollout without steps): a failed metric rolls back at once, an inconclusive one
  // holds the release for promote or abort once the rollout is done.
  run: (ctx) =>
    withBackgroundAnalysis(ctx, ctx.config.strategy.rolling.analysis, async () => {
      await awaitRollout(ctx, ctx.config.app, {
        version: ctx.release.to.version,
        templateMatches: (t) => releaseOf(t?.metadata) === ctx.release.id,
        isTargetPod: (p) => releaseOf(p.metadata as never) === ctx.release.id,
        diagnose: true,
        ownsTemplate: true,
      });
    }),
};

const restoreTemplate: Step = {
  name: 'restore-template',
  async run(ctx) {
    const d = data(ctx.release);
    if (d.created) {
      await ctx.cluster.delete(deploymentRef(ctx.config));
      if (d.createdService) await ctx.cluster.delete(serviceRef(ctx.config));
      return;
    }
    if (!d.previousTemplate) return; // the release failed before it changed anything
    await ctx.cluster.mutate<DeploymentLike>(deploymentRef(ctx.config), (live) => {
      // Only undo our own change; a template without our stamp is already the old one (or someone else's).
      if (releaseOf(live.spec?.template?.metadata) !== ctx.release.id) return undefined;
      return {
        ...live,
        spec: {
          ...live.spec,
          replicas: d.previousReplicas ?? live.spec?.replicas,
          template: d.previousTemplate,
        },
      };
    });
  },
};

const awaitOldVersion: Step = {
  name: 'await-restore',
  async run(ctx) {
    const d = data(ctx.release);
    // A Deployment this release created is deleted; its pods go with it (garbage collection).
    if (d.created || !d.previousTemplate) return;
    await awaitRollout(ctx, ctx.config.app, {
      version: ctx.release.from?.version ?? '',
      templateMatches: (t) => releaseOf(t?.metadata) !== ctx.release.id,
      isTargetPod: (p) => releaseOf(p.metadata as never) !== ctx.release.id,
      diagnose: false,
    });
  },
};

export const rolling: Strategy = {
  name: 'rolling',
  configSection: rollingSection,
  plan(): Plan {
    return {
      steps: [adopt, ensureService, updateTemplate, awaitNewVersion],
      rollback: [restoreTemplate, awaitOldVersion],
    };
  },
};
