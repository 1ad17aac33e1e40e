import { KdeployError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import type { ReleaseEvent, ReleaseRecord } from './release.js';

// The engine's ports: everything with an effect is injected through these small interfaces, so the
// same engine runs against a real cluster, the simulated cluster in virtual time, and test doubles.

/** Time source. Real for the CLI and `demo`; virtual for `simulate` and tests. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Virtual clocks only: keeps time still while I/O is in flight (an analysis query on its way to the
   * simulator), so an auto-advancing clock can't jump minutes during one request. Returns the release.
   */
  hold?(): () => void;
}

/** Traffic split in percent; stable + canary = 100. */
export interface Weights {
  stable: number;
  canary: number;
}

export interface RouterCapabilities {
  /** Smallest weight step the data plane can express, in percent (ALB 0.1, Route 53 ~0.4, pod ratio 100/replicas). */
  granularity: number;
  /** getWeights reads the split back from the data plane rather than from kdeploy's own memory. */
  readBack: boolean;
  /** The router can hold a split other than 0/100 (a Service selector flip cannot). */
  partialWeights: boolean;
}

/** What a router actually did: honest about rounding and verification. */
export interface WeightResult {
  requested: number;
  achieved: number;
  verified: boolean;
  detail?: string;
  /**
   * How long after this call the new split is fully in effect, so the engine waits that long before judging
   * the step (Route 53: clients cache the previous answer for the record TTL). Absent means at once.
   */
  dwellMs?: number;
}

/** Which versions a router splits between. Set before the first setWeight (Argo's UpdateHash). */
export interface RouteTargets {
  stable: { version: string; podTemplateHash?: string };
  canary: { version: string; podTemplateHash?: string };
}

/**
 * Moves traffic between the stable and the canary version. A router does one thing and says what it
 * can't do (capabilities, thrown UnsupportedError) instead of silently ignoring a request.
 */
export interface Router {
  readonly name: string;
  readonly capabilities: RouterCapabilities;
  /** Create or adopt the routing objects (Services, TargetGroupBindings, records) for these targets. Idempotent. */
  prepare(targets: RouteTargets, signal?: AbortSignal): Promise<void>;
  /** Set the canary's share in percent (0–100). Idempotent. */
  setWeight(canaryPercent: number, signal?: AbortSignal): Promise<WeightResult>;
  /** The split as the data plane has it now. */
  getWeights(signal?: AbortSignal): Promise<Weights>;
  /** The calls setWeight would make, for `kdeploy plan`; no side effects. */
  describe(canaryPercent: number): string[];
}

/** Variables a metric query template can use. */
export interface MetricVars {
  app: string;
  namespace: string;
  stableVersion: string;
  canaryVersion: string;
  stablePodTemplateHash?: string;
  canaryPodTemplateHash?: string;
  [key: string]: string | undefined;
}

/** One reading of a metric. `values` empty means "no data", which is its own state, never 0. */
export interface Measurement {
  values: number[];
  at: number;
  /** measureRange only: the samples grouped by timestamp, oldest first (replay turns each into a measurement). */
  points?: { at: number; values: number[] }[];
  raw?: unknown;
}

/** Where a metric comes from. Errors throw; an empty result is `values: []`. */
export interface MetricProvider {
  readonly name: string;
  measure(query: string, vars: MetricVars, signal?: AbortSignal): Promise<Measurement>;
  /** Samples over a past window, for the canary judge and `kdeploy analyze`. */
  measureRange?(
    query: string,
    vars: MetricVars,
    from: number,
    to: number,
    stepMs: number,
    signal?: AbortSignal,
  ): Promise<Measurement>;
}

/** Raised by a plugin asked to do something it can't; the message says what and why. */
export class UnsupportedError extends KdeployError {
  override name = 'UnsupportedError';
  constructor(message: string) {
    super(message, ExitCode.BadInput, { kind: 'unsupported' });
  }
}

/** Where the release record lives (a ConfigMap per app in the cluster; memory in tests). */
export interface RecordStore {
  read(): Promise<ReleaseRecord>;
  /**
   * Applies `change` to the freshest record and persists it; on a concurrent write it re-reads and applies
   * `change` again, so `change` must be a pure function of its argument. Returning undefined writes nothing.
   */
  update(change: (record: ReleaseRecord) => ReleaseRecord | undefined): Promise<ReleaseRecord>;
  /** Calls `onChange` with each new version of the record (and once with the current one) until the signal aborts. */
  watch(onChange: (record: ReleaseRecord) => void, signal: AbortSignal): Promise<void>;
}

/** Where the engine's events go: a renderer, an onEvent callback, async iterators. */
export interface Reporter {
  emit(event: ReleaseEvent): void;
}

/** Events are kept for the result and for iterators that start late; a release emits a few hundred at most. */
