// `kdeploy plan`: what a release would do, computed without acting. The schedule (steps, the weight each
// setWeight really gets, router calls from the routers' describe()), the known part of the duration (pauses,
// analysis, delays), and for each step the worst-case time until a bad version is caught. Pure except
// `diffAgainstCluster`, which reads the live objects and asks the API server for a server-side dry run
// (nothing is persisted).
import type { AnalysisRef, MetricConfig } from '../config/analysis-schema.js';
import { formatDuration } from '../config/duration-text.js';
import type { RouterConfig } from '../config/router-schema.js';
import type { KdeployConfig } from '../config/schema.js';
import type { Cluster } from '../core/cluster.js';
import { refOf } from '../core/cluster.js';
import type { Clock } from '../core/ports.js';
import type { StrategyKind, VersionRef } from '../core/release.js';
import type { Manifest } from '../manifests/render.js';
import { renderManifests } from '../manifests/render.js';
import { createRouter } from '../traffic/registry.js';
import { achievableWeight, canaryPodsForWeight, splitForWeight } from '../traffic/weights.js';
import { readinessTimeoutFor } from './diagnose.js';
/** The kubelet's first restart back-off: a crashing container shows CrashLoopBackOff about this long after it starts. */
export const CRASH_DETECT_MS = 10_000;

export interface Detection {
  /** Pod failures (crash loop, image pull, OOM): as soon as the kubelet reports them. */
  podCrashMs?: number;
  /** A pod that runs but never gets Ready: the readiness budget (initialDelay + period × failureThreshold). */
  podReadinessMs?: number;
  /** Metrics: per metric, initialDelay + interval × (failureLimit + 1). */
  metrics?: { name: string; ms: number }[];
}

export interface PlannedStep {
  name: string;
  /** What the step does, in a sentence. */
  does: string;
  /** setWeight: requested and really achievable weight (pod ratio), and pods per side. */
  weight?: { requested: number; achieved: number; stablePods: number; canaryPods: number };
  /** Clock time the step takes by itself (pauses, analysis, delays); absent when it depends on pods starting. */
  durationMs?: number;
  /** Waits for `kdeploy promote`. */
  waitsForPromote?: boolean;
  detect: Detection;
  routerCalls?: string[];
}

export interface ReleasePlan {
  app: string;
  namespace: string;
  strategy: StrategyKind;
  to: VersionRef;
  router?: string;
  manifests: Manifest[];
  steps: PlannedStep[];
  /** Sum of the steps' known durations, excluding the time pods take to start and waits for promote. */
  estimatedDurationMs: number;
  waitsForPromote: number;
  notes: string[];
  diff?: ObjectDiff[];
  /** Why there is no diff (no cluster configured or reachable). */
  diffSkipped?: string;
}

export interface ObjectDiff {
  object: string;
  action: 'create' | 'update' | 'unchanged' | 'error';
  changes: string[];
}

const metricDetectMs = (m: MetricConfig) => (m.initialDelay ?? 0) + m.interval * (m.failureLimit + 1);
/** A step analysis takes its measurements: initialDelay + interval × count (count 1 when unbounded). */
const metricDurationMs = (m: MetricConfig) => (m.initialDelay ?? 0) + m.interval * Math.max(1, m.count ?? 1);

function metricsOf(config: KdeployConfig, ref: AnalysisRef | undefined): MetricConfig[] {
  if (!ref) return [];
  return config.analysis.metrics.filter((m) => ref.metrics.includes(m.name));
}

function analysisStep(
  config: KdeployConfig,
  name: string,
  ref: AnalysisRef,
  podDetection: Detection,
): PlannedStep {
  const metrics = metricsOf(config, ref);
  return {
    name,
    does: `measure ${ref.metrics.join(', ')} until each metric has its count (failed or error rolls back, inconclusive pauses)`,
    durationMs: Math.max(0, ...metrics.map(metricDurationMs)),
    detect: {
      ...podDetection,
      metrics: [
        ...metrics.map((m) => ({ name: m.name, ms: metricDetectMs(m) })),
        ...(podDetection.metrics ?? []),
      ],
    },
  };
}

export interface PlanInput {
  config: KdeployConfig;
  strategy: StrategyKind;
  to: VersionRef;
  clock: Clock;
  /** blue/green: the idle colour, when a cluster told us (default blue, a first release). */
  idleColor?: 'blue' | 'green';
}

/** The release plan without a cluster. */
export async function planRelease({
  config,
  strategy,
  to,
  clock,
  idleColor = 'blue',
}: PlanInput): Promise<ReleasePlan> {
  const pods: Detection = {
    podCrashMs: CRASH_DETECT_MS,
    podReadinessMs: readinessTimeoutFor(config.probes.readiness),
  };
  const base = { app: config.app, namespace: config.namespace, strategy, to };
  const notes: string[] = [];
  let steps: PlannedStep[];
  let manifests: Manifest[];
  let router: string | undefined;

  if (strategy === 'canary') {
    const { canaryManifests } = await import('../../strategies/canary.js');
    const m = canaryManifests(config, to);
    manifests = [m.stable, m.canary, m.service];
    const routerConfig: RouterConfig = config.strategy.canary.router ?? { type: 'replicas' };
    router = routerConfig.type;
    const r = await createRouter(routerConfig, {
      clock,
      app: config.app,
      namespace: config.namespace,
      replicas: config.replicas,
    });
    const background = metricsOf(config, config.strategy.canary.analysis);
    const withBackground = (d: Detection): Detection =>
      background.length
        ? {
            ...d,
            metrics: [
              ...(d.metrics ?? []),
              ...background.map((m) => ({ name: m.name, ms: metricDetectMs(m) })),
            ],
          }
        : d;
    steps = [
      {
        name: 'create-canary',
        does: `create ${config.app}-canary at 0 replicas (the first release of an app creates ${config.app} instead and skips the steps)`,
        detect: {},
      },
      ...config.strategy.canary.steps.map((step, i): PlannedStep => {
        if ('setWeight' in step) {
          const w = step.setWeight;
          const split =
            router === 'replicas'
              ? splitForWeight(config.replicas, w)
              : { stable: config.replicas, canary: canaryPodsForWeight(config.replicas, w) };
          const achieved = router === 'replicas' ? achievableWeight(config.replicas, w) : w;
          if (achieved !== w)
            notes.push(`setWeight ${w}: the pod ratio gives ${achieved} % with ${config.replicas} replicas`);
          return {
            name: `set-weight-${w}`,
            does: `canary weight ${w} %`,
            weight: { requested: w, achieved, stablePods: split.stable, canaryPods: split.canary },
            detect: withBackground(pods),
            routerCalls: r.describe(w),
          };
        }
        if ('pause' in step) {
          const ms = step.pause.duration;
          return ms === undefined
            ? {
                name: 'pause',
                does: 'wait for kdeploy promote',
                waitsForPromote: true,
                detect: withBackground({ podCrashMs: CRASH_DETECT_MS }),
              }
            : {
                name: `pause-${formatDuration(ms)}`,
                does: `wait ${formatDuration(ms)} watching the canary pods`,
                durationMs: ms,
                detect: withBackground(pods),
              };
        }
        return analysisStep(config, `analysis (step ${i + 1})`, step.analysis, withBackground(pods));
      }),
      {
        name: 'promote-stable',
        does: `roll ${config.app} to ${to.version} (the canary keeps serving meanwhile)`,
        detect: pods,
      },
      {
        name: 'shift-to-stable',
        does: 'all traffic to stable, canary to 0',
        detect: {},
        routerCalls: r.describe(0),
      },
      { name: 'remove-canary', does: `delete ${config.app}-canary`, detect: {} },
    ];
  } else if (strategy === 'bluegreen') {
    const { bluegreenManifests } = await import('../../strategies/bluegreen.js');
    const bg = config.strategy.bluegreen;
    const m = bluegreenManifests(config, to, idleColor);
    manifests = bg.previewService ? [m.deployment, m.service, m.preview] : [m.deployment, m.service];
    const routerConfig: RouterConfig = bg.router ?? { type: 'service' };
    router = routerConfig.type;
    const r = await createRouter(routerConfig, {
      clock,
      app: config.app,
      namespace: config.namespace,
      replicas: config.replicas,
    });
    notes.push(`blue/green deploys to the colour the active Service does not select: ${idleColor}`);
    steps = [
      {
        name: 'deploy-idle',
        does: `deploy ${to.version} to the idle colour with ${config.replicas} replicas and wait until all are available`,
        detect: pods,
      },
      ...(bg.prePromotionAnalysis
        ? [analysisStep(config, 'pre-promotion-analysis', bg.prePromotionAnalysis, pods)]
        : []),
      ...(bg.autoPromote
        ? []
        : [
            {
              name: 'await-promotion',
              does: 'wait for kdeploy promote (test on the preview Service)',
              waitsForPromote: true,
              detect: {},
            },
          ]),
      {
        name: 'switch-traffic',
        does: 'flip the active Service to the new colour',
        detect: {},
        routerCalls: r.describe(idleColor === 'green' ? 100 : 0),
      },
      ...(bg.postPromotionAnalysis
        ? [analysisStep(config, 'post-promotion-analysis', bg.postPromotionAnalysis, {})]
        : []),
      {
        name: 'scale-down-old',
        does: `keep the old colour warm ${formatDuration(bg.scaleDownDelay)} (abort = flip back), then scale it to 0`,
        durationMs: bg.scaleDownDelay,
        detect: {},
      },
    ];
  } else {
    manifests = renderManifests(config, { version: to.version, image: to.image });
    steps = [
      {
        name: 'update-template',
        does: `roll ${config.app} to ${to.version} (maxSurge ${config.strategy.rolling.maxSurge}, maxUnavailable ${config.strategy.rolling.maxUnavailable})`,
        detect: pods,
      },
    ];
  }

  return {
    ...base,
    router,
    manifests,
    steps,
    estimatedDurationMs: steps.reduce((sum, s) => sum + (s.durationMs ?? 0), 0),
    waitsForPromote: steps.filter((s) => s.waitsForPromote).length,
    notes,
  };
}

/** Metadata the API server owns: never part of what a release changes. */
const NOISE = new Set([
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
]);

/** Structural diff of two JSON values as `path: old → new` lines (status and server-owned metadata ignored). */
export function diffObjects(before: unknown, after: unknown, path = ''): string[] {
  if (path === 'status' || NOISE.has(path.replace(/^metadata\./, ''))) return [];
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((b, i) => diffObjects(b, after[i], `${path}[${i}]`));
  }
  if (isObj(before) && isObj(after) && !Array.isArray(before) && !Array.isArray(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffObjects(before[k], after[k], path ? `${path}.${k}` : k));
  }
  const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
  return [`${path}: ${show(before)} → ${show(after)}`];
}

/** Live object vs the API server's dry-run result of applying the manifest. Reads only; dryRun=All persists nothing. */
export async function diffAgainstCluster(
  cluster: Cluster,
  manifests: readonly Manifest[],
): Promise<ObjectDiff[]> {
  return Promise.all(
    manifests.map(async (m): Promise<ObjectDiff> => {
      const object = `${m.kind}/${m.metadata.name}`;
      try {
        const live = await cluster.get(refOf(m));
        const dry = await cluster.apply(m, { dryRun: true });
        if (!live) return { object, action: 'create', changes: [] };
        const changes = diffObjects(live, dry);
        return { object, action: changes.length ? 'update' : 'unchanged', changes };
      } catch (err) {
        return { object, action: 'error', changes: [(err as Error).message] };
      }
    }),
  );
}
