// What a step says about itself for `kdeploy plan`: the same steps the engine runs describe what they will
// do, how long they take by themselves and how fast they catch a bad version. Computed without acting.
import type { RouterConfig } from '../../config/router-schema.js';
import type { KdeployConfig } from '../../config/schema.js';
import type { Cluster } from '../../core/cluster.js';
import type { Clock, Router } from '../../core/ports.js';
import type { ReleaseState } from '../../core/release.js';
import type { Manifest } from '../../manifests/render.js';
import type { RouterDeps } from '../../traffic/registry.js';
/** Worst-case time until a bad version is caught while a step runs. */
export interface Detection {
  /** Pod failures (crash loop, image pull, OOM): as soon as the kubelet reports them. */
  podCrashMs?: number;
  /** A pod that runs but never gets Ready: the readiness budget (initialDelay + period × failureThreshold). */
  podReadinessMs?: number;
  /** Metrics: per metric, initialDelay + interval × (failureLimit + 1). */
  metrics?: { name: string; ms: number }[];
}

export interface StepDescription {
  /** What the step does, in a sentence. */
  does: string;
  /** A weight step: requested and really achieved weight, and pods per side. */
  weight?: { requested: number; achieved: number; stablePods: number; canaryPods: number };
  /** Clock time the step takes by itself (pauses, analysis, delays); absent when it depends on pods starting. */
  durationMs?: number;
  /** Waits for `kdeploy promote`. */
  waitsForPromote?: boolean;
  detect: Detection;
  /** The calls the router makes (its describe()). */
  routerCalls?: string[];
  /** Worth telling the person reading the plan (a weight the router can't give exactly). */
  notes?: string[];
}

/** What a step's description may look at: nothing in it acts. */
export interface DescribeContext {
  readonly config: KdeployConfig;
  /** The release as it would start (from unknown, `to`, kind), with what `observe` read in `data`. */
  readonly release: ReleaseState;
  /** The router the plan's release would build, for its side-effect-free describe(). */
  readonly router?: Router;
  readonly clock: Clock;
}

/** The parts of the cluster a plan may read. */
export type ReadOnlyCluster = Pick<Cluster, 'get'>;

/** What a plan shows besides its steps. */
export interface PlanPreview {
  /** The objects the release applies, as it leaves them. */
  manifests(ctx: DescribeContext): Manifest[];
  /** The router the release moves traffic with; the plan builds it without a cluster. */
  router?: { config: RouterConfig; deps?: Partial<RouterDeps> };
  /** Reads what the first step would record about the cluster (into `release.data`); never writes. */
  observe?(cluster: ReadOnlyCluster): Promise<Record<string, unknown>>;
}
