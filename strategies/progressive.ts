// What the two progressive strategies (canary, blue/green) share: waiting for a variant's pods, timed
// waits that survive a crash, watching a variant's pods while nothing else does (pauses), and the
// release's router.
import type { RouterConfig } from '../src/config/router-schema.js';
import { type Router, UnsupportedError } from '../src/core/ports.js';
import { diagnosePods, readinessTimeoutFor, toMs } from '../src/engine/diagnose.js';
import { awaitRollout, type PodObject, type RolloutTarget } from '../src/engine/rollout.js';
import { type StepContext, StepFailure } from '../src/engine/strategy.js';
import { createRouter, type RouterDeps } from '../src/traffic/registry.js';
import { releaseOf } from './shared/objects.js';

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
