// What the two progressive strategies (canary, blue/green) share: rendering a variant of the app's
// Deployment, stamping templates with the release, timed waits that survive a crash, watching a variant's
// pods while nothing else does (pauses), step analysis, and building the release's router.
import type { AnalysisRunState, MeasurementRecord as RunMeasurement } from '../src/analysis/run.js';
import type { AnalysisRef } from '../src/config/analysis-schema.js';
import type { RouterConfig } from '../src/config/router-schema.js';
import type { KdeployConfig } from '../src/config/schema.js';
import type { ObjectRef } from '../src/core/cluster.js';
import { RELEASE_ANNOTATION } from '../src/core/labels.js';
import { type Router, UnsupportedError } from '../src/core/ports.js';
import type { ReleaseState } from '../src/core/release.js';
import { diagnosePods, readinessTimeoutFor, toMs } from '../src/engine/diagnose.js';
import { measurementPatch, savedRun } from '../src/engine/measurements.js';
import {
  awaitRollout,
  type DeploymentLike,
  type PodObject,
  type PodTemplate,
  type RolloutTarget,
} from '../src/engine/rollout.js';
import { type StepContext, StepFailure, type StepResult } from '../src/engine/strategy.js';
import { statusOf } from '../src/kube/errors.js';
import { type Manifest, renderManifests, type TemplateName } from '../src/manifests/render.js';
import type { Variant, ViewOptions } from '../src/manifests/view.js';
import { createRouter, type RouterDeps } from '../src/traffic/registry.js';
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

/** Pods of this release's template, with failure diagnosis: for a new version's Deployment. */
export function newVersionTarget(ctx: StepContext): RolloutTarget {
  return {
    version: ctx.release.to.version,
    templateMatches: (t) => releaseOf(t?.metadata) === ctx.release.id,
    isTargetPod: (p) => releaseOf(p.metadata as never) === ctx.release.id,
    diagnose: true,
  };
}

/** Whatever template the Deployment has: for the old version coming back (no diagnosis, only the deadline). */
export function anyTemplateTarget(
  version: string,
  exclude: (p: PodObject) => boolean = () => false,
): RolloutTarget {
  return { version, templateMatches: () => true, isTargetPod: (p) => !exclude(p), diagnose: false };
}

export const awaitDeployment = (ctx: StepContext, name: string, target: RolloutTarget) =>
  awaitRollout(ctx, name, target);

/**
 * Waits `ms` of clock time counted from the first time this step ran (the deadline is saved in the record,
 * so a resumed release doesn't start the wait over), failing the step if the pods selected by `watch` fail.
 */
export async function timedWait(
  ctx: StepContext,
  key: string,
  ms: number,
  watch?: { labelSelector: string },
): Promise<void> {
  const waits = (ctx.release.data.waits ?? {}) as Record<string, number>;
  let until = waits[key];
  if (until === undefined) {
    until = ctx.clock.now() + ms;
    await ctx.save({ data: { ...ctx.release.data, waits: { ...waits, [key]: until } } });
  }
  const remaining = until - ctx.clock.now();
  if (remaining <= 0) return;
  if (!watch) return ctx.clock.sleep(remaining, ctx.signal);
  const stop = new AbortController();
  try {
    await Promise.race([
      ctx.clock.sleep(remaining, AbortSignal.any([ctx.signal, stop.signal])),
      failingPods(ctx, watch.labelSelector, stop.signal),
    ]);
  } finally {
    stop.abort();
  }
}

/**
 * Rejects with a StepFailure as soon as a selected pod fails (crash loop, OOM, image pull, readiness); never
 * resolves. Event-driven: besides pod events, it only wakes when a not-ready pod's readiness budget runs out.
 */
function failingPods(ctx: StepContext, labelSelector: string, signal: AbortSignal): Promise<never> {
  const readinessTimeoutMs =
    ctx.tuning.readinessTimeoutMs ?? readinessTimeoutFor(ctx.config.probes.readiness);
  const pods = new Map<string, PodObject>();
  let timer: AbortController | undefined;
  return new Promise<never>((_resolve, reject) => {
    const check = () => {
      const now = ctx.clock.now();
      const d = diagnosePods([...pods.values()], { now, readinessTimeoutMs });
      if (d) return reject(new StepFailure(d.message, d));
      const due = readinessDeadlines([...pods.values()], readinessTimeoutMs).filter((t) => t > now);
      timer?.abort();
      if (due.length === 0) return;
      timer = new AbortController();
      ctx.clock.sleep(Math.min(...due) - now, AbortSignal.any([signal, timer.signal])).then(check, () => {});
    };
    ctx.cluster
      .watch<PodObject>(
        { apiVersion: 'v1', kind: 'Pod', namespace: ctx.config.namespace, labelSelector },
        (e) => {
          if (e.type === 'SYNC') {
            pods.clear();
            for (const p of e.objects) pods.set(p.metadata?.name ?? '', p);
          } else if (e.type === 'DELETED') pods.delete(e.object.metadata?.name ?? '');
          else pods.set(e.object.metadata?.name ?? '', e.object);
          check();
        },
        signal,
      )
      .catch((err) => {
        if (!signal.aborted) reject(err);
      });
  });
}

/** When each running, not-ready pod's readiness budget runs out (diagnosePods' readiness rule). */
function readinessDeadlines(pods: PodObject[], readinessTimeoutMs: number): number[] {
  return pods.flatMap((p) => {
    if (
      p.status?.phase !== 'Running' ||
      p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
    )
      return [];
    const starts = (p.status.containerStatuses ?? []).map((c) => toMs(c.state?.running?.startedAt));
    return starts.length && starts.every((t) => t !== undefined)
      ? [Math.max(...(starts as number[])) + readinessTimeoutMs]
      : [];
  });
}

/** The runner's options for the named metrics of the analysis section, bound to this step. */
function analysisOptions(ctx: StepContext, ref: AnalysisRef, what: string, signal: AbortSignal) {
  const metrics = ctx.config.analysis.metrics.filter((m) => ref.metrics.includes(m.name));
  const unknown = ref.metrics.filter((name) => !metrics.some((m) => m.name === name));
  if (unknown.length) throw new Error(`${what}: no metric named ${unknown.join(', ')} in analysis.metrics`);
  const { release, config } = ctx;
  return {
    // The schema's metric (a union of known providers) is the runner's MetricDefinition (any registered one).
    metrics: metrics as never,
    clock: ctx.clock,
    signal,
    vars: {
      app: config.app,
      namespace: config.namespace,
      stableVersion: release.from?.version ?? '',
      canaryVersion: release.to.version,
    },
    // Cluster.list constrains its type parameter to KubernetesObject; the provider's PodLister doesn't.
    context: { clock: ctx.clock, cluster: ctx.cluster as never },
    judge: config.analysis.judge,
    baseline: release.data.baseline === true,
    state: savedRun(release, what),
    onMeasurement: (m: RunMeasurement, state: AnalysisRunState) => {
      ctx.emit({ type: 'measurement', metric: m.metric, values: m.values, verdict: m.phase });
      saveMeasurement(ctx, what, m, state);
    },
  };
}

/** The pending measurement saves of each step, chained. */
const measurementSaves = new WeakMap<StepContext, Promise<ReleaseState>>();

/**
 * Saves a measurement and the run state into the release record, each save after the one before: metrics
 * finish concurrently (and a step analysis runs inside a background one), and a save computed from an older
 * record must never land after a newer one. A failed save is not the analysis's failure: the next one writes
 * the whole run state again, and a lost lock or record stops the step through its signal.
 */
function saveMeasurement(ctx: StepContext, what: string, m: RunMeasurement, state: AnalysisRunState): void {
  const before = measurementSaves.get(ctx) ?? Promise.resolve(ctx.release);
  const step = ctx.release.step;
  measurementSaves.set(
    ctx,
    before.then((latest) => ctx.save(measurementPatch(latest, step, what, m, state)).catch(() => latest)),
  );
}

/** Waits for the step's measurement saves, so the record holds them before the step ends. */
async function measurementsSaved(ctx: StepContext): Promise<void> {
  await measurementSaves.get(ctx);
}

const verdictFailure = (what: string, state: { verdict: string; reason?: string }) =>
  state.verdict === 'failed' || state.verdict === 'error'
    ? new StepFailure(`${what} ${state.verdict}: ${state.reason ?? ''}`.trim())
    : undefined;

/**
 * Runs the named metrics of the analysis section to a verdict. Failed or error fails the step (the release
 * rolls back); inconclusive pauses it for a person to promote or abort (Argo's behaviour).
 */
export async function runStepAnalysis(ctx: StepContext, ref: AnalysisRef, what: string): Promise<StepResult> {
  const { runAnalysis } = await import('../src/analysis/runner.js');
  const state = await runAnalysis(analysisOptions(ctx, ref, what, ctx.signal)).finally(() =>
    measurementsSaved(ctx),
  );
  const failure = verdictFailure(what, state);
  if (failure) throw failure;
  if (state.verdict === 'inconclusive')
    return { pause: `${what} inconclusive: ${state.reason ?? ''}; promote or abort` };
}

/**
 * Runs `work` while the background metrics are measured (the canary's `analysis`): a failed or error
 * verdict fails the step at once; inconclusive pauses the release once the step's work is done.
 * Measurements start over with each step; a resumed step continues its run's counts from the release record.
 */
export async function withBackgroundAnalysis(
  ctx: StepContext,
  ref: AnalysisRef | undefined,
  work: () => Promise<StepResult>,
): Promise<StepResult> {
  if (!ref) return work();
  const { backgroundAnalysis } = await import('../src/analysis/runner.js');
  const stop = new AbortController();
  const what = 'background analysis';
  const run = backgroundAnalysis(
    analysisOptions(ctx, ref, what, AbortSignal.any([ctx.signal, stop.signal])),
  ).start();
  const failed = run.verdict.then((state) => {
    const failure = verdictFailure(what, state);
    if (failure) throw failure;
    return new Promise<never>(() => {}); // a passing verdict doesn't end the step
  });
  try {
    const result = await Promise.race([work(), failed]);
    const state = await run.stop();
    const failure = verdictFailure(what, state);
    if (failure) throw failure;
    if (state.verdict === 'inconclusive')
      return { pause: `${what} inconclusive: ${state.reason ?? ''}; promote or abort` };
    return result;
  } finally {
    stop.abort();
    failed.catch(() => {});
    await measurementsSaved(ctx);
  }
}

/**
 * The router a step acts through: the injected one (tests, library callers), else the configured one, with
 * the user's templates folder (an AWS router renders TargetGroupBindings from it).
 */
export async function routerFor(
  ctx: StepContext,
  config: RouterConfig,
  deps: Partial<RouterDeps> = {},
): Promise<Router> {
  if (ctx.router) return ctx.router;
  const { templates } = ctx.config;
  return createRouter(config, {
    cluster: ctx.cluster,
    clock: ctx.clock,
    app: ctx.config.app,
    namespace: ctx.config.namespace,
    replicas: ctx.config.replicas,
    ...(templates ? { templatesDir: templates } : {}),
    ...deps,
  });
}

/**
 * A router that can't do what the release needs (UnsupportedError: a Service that wouldn't select the new
 * pods, a split it can't express) fails the step, so the release rolls back instead of stopping half-way.
 */
export async function asStepFailure<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw err instanceof UnsupportedError ? new StepFailure(err.message) : err;
  }
}

/** Sets the weight, reports what was achieved (event + record), and returns it. */
export async function shiftTraffic(
  ctx: StepContext,
  router: Router,
  canaryPercent: number,
  newSideIsCanary = true,
): Promise<void> {
  const r = await asStepFailure(router.setWeight(canaryPercent, ctx.signal));
  // Blue/green routes by colour: "canary" is green there; report the new version's share.
  const canary = newSideIsCanary ? r.achieved : 100 - r.achieved;
  const weights = { canary, stable: Math.round((100 - canary) * 100) / 100 };
  ctx.emit({ type: 'weight', ...weights, verified: r.verified });
  if (r.detail) ctx.emit({ type: 'info', message: `${router.name}: ${r.detail}` });
  await ctx.save({ weights });
  if (r.dwellMs) await ctx.clock.sleep(r.dwellMs, ctx.signal);
}
