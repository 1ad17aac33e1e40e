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
import { podDetection, withMetrics } from '../src/engine/plan/detection.js';
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
import { withBackgroundAnalysis } from './shared/analysis.js';
import { deploymentRef, ensureAppService, releaseOf, serviceRef, stampedTemplate } from './shared/objects.js';

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
/** The app's Deployment and Service: rolling changes `<app>` in place. */
const appDeployment = (ctx: StepContext) => deploymentRef(ctx.config, ctx.config.app);
const appService = (ctx: StepContext) => serviceRef(ctx.config, ctx.config.app);

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

const adopt: Step = {
  name: 'adopt',
  async run(ctx) {
    if (data(ctx.release).adopted) return;
    const live = await ctx.cluster.get<DeploymentLike>(appDeployment(ctx));
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
  describe: ({ config }) => ({
    does: `record the pod template and replicas ${config.app} runs (rollback restores them); with no ${config.app} yet, the release creates it`,
    detect: {},
  }),
};

const ensureService: Step = {
  name: 'ensure-service',
  async run(ctx) {
    // An existing Service is the user's: changing its selector could cut traffic to the running pods.
    const { service } = render(ctx);
    const spec = service.spec as { selector?: Record<string, string> };
    await ensureAppService(ctx, {
      ...service,
      spec: { ...spec, selector: data(ctx.release).selector ?? spec.selector },
    });
  },
  describe: ({ config }) => ({
    does: `create Service ${config.app} when it is missing (an existing one stays as it is)`,
    detect: {},
  }),
};

const updateTemplate: Step = {
  name: 'update-template',
  async run(ctx) {
    const { deployment } = render(ctx);
    const d = data(ctx.release);
    const template = stampedTemplate(deployment, ctx.release.id, d.selector ?? {});
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
    const updated = await ctx.cluster.mutate<DeploymentLike>(appDeployment(ctx), (live) => {
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
  describe: ({ config, release }) => ({
    does: `give ${config.app} the pod template of ${release.to.version} (maxSurge ${config.strategy.rolling.maxSurge}, maxUnavailable ${config.strategy.rolling.maxUnavailable})`,
    detect: {},
  }),
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
  describe: ({ config }) => ({
    does: 'wait while the deployment controller rolls the new pods out',
    detect: withMetrics(config, config.strategy.rolling.analysis, podDetection(config)),
  }),
};

const restoreTemplate: Step = {
  name: 'restore-template',
  async run(ctx) {
    const d = data(ctx.release);
    if (d.created) {
      await ctx.cluster.delete(appDeployment(ctx));
      if (d.createdService) await ctx.cluster.delete(appService(ctx));
      return;
    }
    if (!d.previousTemplate) return; // the release failed before it changed anything
    await ctx.cluster.mutate<DeploymentLike>(appDeployment(ctx), (live) => {
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
  describe: ({ config }) => ({
    does: `put ${config.app}'s previous pod template back (a first release deletes what it created)`,
    detect: {},
  }),
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
  describe: () => ({ does: 'wait until the old version is fully available again', detect: {} }),
};

export const rolling: Strategy = {
  name: 'rolling',
  configSection: rollingSection,
  plan(config, release): Plan {
    return {
      steps: [adopt, ensureService, updateTemplate, awaitNewVersion],
      rollback: [restoreTemplate, awaitOldVersion],
      preview: {
        manifests: () => renderManifests(config, { version: release.to.version, image: release.to.image }),
      },
    };
  },
};
