// The operations every front end calls: release, resume, abort, rollback, status. Each one validates its
// input before touching the cluster, takes the app's lock, runs the reconciler and gives back a typed
// result; the CLI, the library, the Lambda and the GitHub Action only translate to and from these.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { loadConfig, parseConfig } from '../config/load.js';
import type { KdeployConfig } from '../config/schema.js';
import type { Cluster } from '../kube/cluster.js';
import { connectCluster } from '../kube/connect.js';
import type { Transport } from '../kube/transport.js';
import { RealClock } from './clock.js';
import { diagnosePods } from './diagnose.js';
import { ExitCode } from './exit-codes.js';
import { decideLock, LeaseLock, type LeaseObject, LockedError, parseHolder } from './lock.js';
import type { Clock, MetricProvider, Router } from './ports.js';
import { type DriveResult, drive } from './reconciler.js';
import { ConfigMapRecordStore, patchCurrent, type RecordStore, startRelease } from './record.js';
import { EventHub } from './reporter.js';
import { type DeploymentLike, type PodObject, versionOfTemplate } from './rollout.js';
import { type EngineTuning, loadStrategy, type Plan, strategySections } from './strategy.js';
import {
  isTerminal,
  type Outcome,
  type ReleaseEvent,
  type ReleaseRequests,
  type ReleaseState,
  type StrategyKind,
} from './types.js';

export interface ConnectionOptions {
  /** Path to a kubeconfig file, or a loaded KubeConfig. Default: $KUBECONFIG, ~/.kube/config, in-cluster. */
  kubeconfig?: string | KubeConfig;
  /** Instead of a kubeconfig: a ready bearer-token transport (the Lambda's; src/kube/transport-node.ts). */
  transport?: Transport;
  context?: string;
  /** Overrides the config's namespace. */
  namespace?: string;
}

export interface RunOptions extends ConnectionOptions {
  /** `paused`: return (exit 3) when the release waits for promote instead of waiting. */
  until?: 'completed' | 'paused';
  /** Epoch ms: stop working before it and return `suspended`; `resume` continues later. */
  deadline?: number;
  /** Aborting it stops the work the same way as a deadline (the release stays resumable). */
  signal?: AbortSignal;
  onEvent?: (event: ReleaseEvent) => void;
  clock?: Clock;
  /** Lock holder identity; default `<hostname>/<pid>/<releaseId>`. */
  identity?: string;
  /** Lease TTL; the lease is renewed every third of it. Default 15 s. */
  leaseSeconds?: number;
  router?: Router;
  metrics?: Record<string, MetricProvider>;
  tuning?: EngineTuning;
}

export interface ReleaseOptions extends RunOptions {
  /** Path to kdeploy.yaml, or the config as an object (validated the same way). */
  config: string | object;
  strategy: StrategyKind;
  /** A tag of the configured repository, or a full image reference. */
  to: string;
  /** A folder whose templates replace the built-in ones; wins over kdeploy.yaml's `templates`. */
  templates?: string;
}

export interface AppOptions extends RunOptions {
  /** The app, or a config (path or object) naming it. One of the two is needed. */
  app?: string;
  config?: string | object;
}

export interface ReleaseResult {
  releaseId: string;
  app: string;
  outcome: Outcome;
  exitCode: ExitCode;
  /** The version the app runs now (the new one when completed, the old one otherwise). */
  version: string;
  reason?: string;
  release: ReleaseState;
  events: ReleaseEvent[];
}

const OUTCOME_EXIT: Record<Outcome, ExitCode> = {
  completed: ExitCode.Completed,
  failed: ExitCode.Failed,
  aborted: ExitCode.Aborted,
  paused: ExitCode.Paused,
  // Stopped before a deadline or by a signal: like a pause, it waits for `kdeploy resume`.
  suspended: ExitCode.Paused,
};

/** An error that carries an exit code (bad input 2, locked 6); the CLI prints its message. */
export class KdeployError extends Error {
  override name = 'KdeployError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

/**
 * A running operation: await it for the result, or iterate it for the events as they happen.
 * `for await (const e of release(opts)) …` and `await release(opts)` both work on the same run.
 */
export class ReleaseRun implements PromiseLike<ReleaseResult>, AsyncIterable<ReleaseEvent> {
  readonly result: Promise<ReleaseResult>;
  constructor(
    private readonly hub: EventHub,
    work: (hub: EventHub) => Promise<ReleaseResult>,
  ) {
    this.result = work(hub).finally(() => hub.close());
    // The iterator side must not turn a rejection into an unhandled one.
    this.result.catch(() => {});
  }
  // biome-ignore lint/suspicious/noThenProperty: a ReleaseRun is deliberately awaitable.
  then<A = ReleaseResult, B = never>(
    ok?: ((r: ReleaseResult) => A | PromiseLike<A>) | null,
    fail?: ((e: unknown) => B | PromiseLike<B>) | null,
  ) {
    return this.result.then(ok, fail);
  }
  [Symbol.asyncIterator](): AsyncIterator<ReleaseEvent> {
    return this.hub[Symbol.asyncIterator]();
  }
}

interface Session {
  config?: KdeployConfig;
  app: string;
  namespace: string;
  cluster: Cluster;
  records: RecordStore;
  clock: Clock;
}

async function readConfig(config: string | object, to?: string, namespace?: string) {
  const sections = await strategySections();
  return typeof config === 'string'
    ? loadConfig({ file: config, to, namespace, sections })
    : parseConfig(JSON.stringify(config), { file: '<config object>', to, namespace, sections });
}

function connect(
  opts: ConnectionOptions,
  config: KdeployConfig | undefined,
  namespace: string | undefined,
): Promise<Cluster> {
  return connectCluster({
    kubeConfig: typeof opts.kubeconfig === 'object' ? opts.kubeconfig : undefined,
    transport: opts.transport,
    kubeconfig: typeof opts.kubeconfig === 'string' ? opts.kubeconfig : config?.cluster.kubeconfig,
    context: opts.context ?? config?.cluster.context,
    namespace,
    configNamespace: config?.namespace,
    eks: config?.cluster.eks,
  });
}

async function session(opts: AppOptions): Promise<Session> {
  const loaded =
    opts.config !== undefined ? await readConfig(opts.config, undefined, opts.namespace) : undefined;
  const app = opts.app ?? loaded?.config.app;
  if (!app)
    throw new KdeployError(
      'name the app (kdeploy resume <app>) or pass its kdeploy.yaml with -f',
      ExitCode.BadInput,
    );
  const cluster = await connect(opts, loaded?.config, opts.namespace);
  const namespace = loaded?.config.namespace ?? cluster.namespace;
  return {
    config: loaded?.config,
    app,
    namespace,
    cluster,
    records: new ConfigMapRecordStore(cluster, app, namespace),
    clock: opts.clock ?? new RealClock(),
  };
}

const newReleaseId = (now: number) =>
  `${new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${randomBytes(2).toString('hex')}`;

/** True when the holder ran on this host and its process is gone: no need to wait for its lease to expire. */
function holderIsGone(holder: string): boolean {
  const h = parseHolder(holder);
  if (!h || h.host !== hostname() || h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function makeLock(s: Session, opts: RunOptions, releaseId: string, hub: EventHub) {
  return new LeaseLock(s.cluster, {
    app: s.app,
    namespace: s.namespace,
    identity: opts.identity ?? `${hostname()}/${process.pid}/${releaseId}`,
    ttlSeconds: opts.leaseSeconds ?? 15,
    clock: s.clock,
    isHolderGone: holderIsGone,
    onTakeOver: (previousHolder, expiredAgoMs) =>
      hub.emit({
        type: 'lock-taken-over',
        previousHolder,
        expiredAgoMs,
        at: s.clock.now(),
        app: s.app,
        releaseId,
      }),
  });
}

/**
 * Takes the lock. When it is held for the same release by another process (one that crashed, or runs on
 * another machine), waits once for that lease to run out: a dead holder loses it then, while a live one has
 * renewed it meanwhile, and resuming next to a live holder is refused (exit 6) like any other lock conflict.
 */
async function acquire(
  lock: LeaseLock,
  s: Session,
  releaseId: string | undefined,
  hub: EventHub,
  signal?: AbortSignal,
): Promise<void> {
  try {
    return await lock.acquire();
  } catch (err) {
    if (!(err instanceof LockedError) || !releaseId || parseHolder(err.holder)?.releaseId !== releaseId)
      throw err;
    hub.emit({
      type: 'lock-waiting',
      holder: err.holder,
      waitMs: err.expiresInMs,
      at: s.clock.now(),
      app: s.app,
      releaseId,
    });
    await s.clock.sleep(err.expiresInMs + 250, signal);
  }
  return lock.acquire();
}

/** A release's plan, built before the lock is taken (see `planFor`). */
interface Planned {
  releaseId: string;
  plan: Plan;
}

/**
 * Loads the release's strategy and builds its plan. Callers do this before they take the lock or write the
 * record: a strategy that can't be loaded (a half-written bundle, a broken plugin) or a stored config its plan
 * rejects then changes nothing, instead of taking the lease over, stamping the record and leaving both behind.
 */
async function planFor(release: ReleaseState): Promise<Planned> {
  const strategy = await loadStrategy(release.strategy);
  return { releaseId: release.id, plan: strategy.plan(release.config as KdeployConfig, release) };
}

/** Runs the planned release with the lock held; releases the lock whatever happens. */
async function runLocked(
  s: Session,
  opts: RunOptions,
  hub: EventHub,
  lock: LeaseLock,
  resumed: boolean,
  planned: Planned,
): Promise<ReleaseResult> {
  const lockLost = new AbortController();
  lock.startRenewing(() => lockLost.abort());
  let result: DriveResult;
  try {
    const current = (await s.records.read()).current;
    if (!current) throw new KdeployError(`app ${s.app} has no release to run`, ExitCode.BadInput);
    if (current.id !== planned.releaseId)
      throw new KdeployError(
        `release ${planned.releaseId} of ${s.app} was replaced by release ${current.id} meanwhile`,
        ExitCode.Locked,
      );
    await s.records.update((r) =>
      r.current?.id === current.id ? patchCurrent(r, { holder: lock.identity }, s.clock.now()) : undefined,
    );
    result = await drive(
      {
        cluster: s.cluster,
        records: s.records,
        clock: s.clock,
        reporter: hub,
        router: opts.router,
        metrics: opts.metrics,
        tuning: opts.tuning,
      },
      planned.plan,
      { until: opts.until, deadline: opts.deadline, signal: opts.signal, lockLost: lockLost.signal, resumed },
    );
  } finally {
    await lock.release().catch(() => {
      // Unreachable cluster: the lease expires by itself after its TTL.
    });
  }
  return toResult(result.release, result.outcome, result.reason, hub);
}

function toResult(
  release: ReleaseState,
  outcome: Outcome,
  reason: string | undefined,
  hub: EventHub,
): ReleaseResult {
  const version = outcome === 'completed' ? release.to.version : (release.from?.version ?? '');
  const { config: _config, ...visible } = release;
  return {
    releaseId: release.id,
    app: release.app,
    outcome,
    exitCode: OUTCOME_EXIT[outcome],
    version,
    reason,
    release: visible,
    events: hub.events,
  };
}

/** The record entry for a new release; `config` is kept so resume/abort/rollback need no kdeploy.yaml. */
function newRelease(
  config: KdeployConfig,
  strategy: StrategyKind,
  to: { version: string; image: string },
  id: string,
  now: number,
  kind: ReleaseState['kind'],
): ReleaseState {
  const at = new Date(now).toISOString();
  return {
    id,
    app: config.app,
    namespace: config.namespace,
    strategy,
    kind,
    from: null,
    to,
    phase: 'running',
    step: 0,
    stepState: 'pending',
    steps: [],
    rollbackSteps: [],
    startedAt: at,
    updatedAt: at,
    requests: {},
    measurements: [],
    data: {},
    config,
  };
}

/** Starts a new release in the record (with the lock held) and runs it. */
async function start(
  s: Session & { config: KdeployConfig },
  opts: RunOptions,
  hub: EventHub,
  strategyName: StrategyKind,
  to: { version: string; image: string },
  kind: ReleaseState['kind'],
): Promise<ReleaseResult> {
  const release = newRelease(s.config, strategyName, to, newReleaseId(s.clock.now()), s.clock.now(), kind);
  const planned = await planFor(release);
  release.steps = planned.plan.steps.map((st) => st.name);
  release.rollbackSteps = planned.plan.rollback.map((st) => st.name);
  const lock = makeLock(s, opts, release.id, hub);
  await lock.acquire();
  try {
    const record = await s.records.read();
    const unfinished = record.current && !isTerminal(record.current.phase) ? record.current : undefined;
    if (unfinished) {
      throw new KdeployError(
        `app ${s.app} has an unfinished release ${unfinished.id} (${unfinished.phase}, step ${unfinished.step + 1}); run \`kdeploy resume ${s.app}\` to finish it or \`kdeploy abort ${s.app}\` to roll it back`,
        ExitCode.Locked,
      );
    }
    await s.records.update((r) => startRelease(stripConfigs(r), release, s.config.historyLimit));
  } catch (err) {
    await lock.release().catch(() => {});
    throw err;
  }
  return runLocked(s, opts, hub, lock, false, planned);
}

/** History entries keep no config snapshot: only the current release needs one. */
function stripConfigs(r: { current: ReleaseState | null; history: ReleaseState[] }) {
  const strip = (x: ReleaseState) => {
    const { config: _c, ...rest } = x;
    return rest as ReleaseState;
  };
  return { current: r.current && strip(r.current), history: r.history.map(strip) };
}

/** `kdeploy rolling|canary|bluegreen --to`: validates, locks, records and runs a new release. */
export function release(opts: ReleaseOptions): ReleaseRun {
  const hub = new EventHub(opts.onEvent);
  return new ReleaseRun(hub, async () => {
    const loaded = await readConfig(opts.config, opts.to, opts.namespace);
    if (opts.templates) loaded.config.templates = resolvePath(opts.templates);
    if (!loaded.image) throw new KdeployError('--to: the version to release is required', ExitCode.BadInput);
    const cluster = await connect(opts, loaded.config, opts.namespace);
    const config = loaded.config;
    const s = {
      config,
      app: config.app,
      namespace: config.namespace,
      cluster,
      records: new ConfigMapRecordStore(cluster, config.app, config.namespace),
      clock: opts.clock ?? new RealClock(),
    };
    return start(
      s,
      opts,
      hub,
      opts.strategy,
      { version: loaded.image.version, image: loaded.image.image },
      'release',
    );
  });
}

/** `kdeploy resume`: continues the app's current release from the step it reached (also after a crash). */
export function resume(opts: AppOptions): ReleaseRun {
  const hub = new EventHub(opts.onEvent);
  return new ReleaseRun(hub, async () => {
    const s = await session(opts);
    const current = (await s.records.read()).current;
    if (!current)
      throw new KdeployError(`app ${s.app} has no release in namespace ${s.namespace}`, ExitCode.BadInput);
    const planned = await planFor(current);
    const lock = makeLock(s, opts, current.id, hub);
    await acquire(lock, s, current.id, hub, opts.signal);
    return runLocked(s, opts, hub, lock, true, planned);
  });
}

/**
 * `kdeploy abort`: asks the running release to roll back (it notices through its record watch and exits 4).
 * When no process is running it, this call performs the rollback itself. Resolves once the app is back.
 */
export function abort(opts: AppOptions): ReleaseRun {
  const hub = new EventHub(opts.onEvent);
  return new ReleaseRun(hub, async () => {
    const s = await session(opts);
    const current = (await s.records.read()).current;
    if (!current)
      throw new KdeployError(`app ${s.app} has no release in namespace ${s.namespace}`, ExitCode.BadInput);
    if (isTerminal(current.phase))
      return toResult(
        current,
        current.phase as Outcome,
        `nothing to abort: release ${current.id} already ${current.phase}`,
        hub,
      );
    const planned = await planFor(current);
    const by = opts.identity ?? `${hostname()}/${process.pid}`;
    await s.records.update((r) =>
      r.current?.id === current.id && !isTerminal(r.current.phase) && !r.current.requests.abort
        ? patchCurrent(
            r,
            { requests: { ...r.current.requests, abort: { at: new Date(s.clock.now()).toISOString(), by } } },
            s.clock.now(),
          )
        : undefined,
    );
    const lock = makeLock(s, opts, current.id, hub);
    for (;;) {
      try {
        await lock.acquire();
        break;
      } catch (err) {
        if (!(err instanceof LockedError)) throw err;
        // Another process runs the release and rolls it back: follow the record. Should that process die,
        // its lease expires and the next round takes over and finishes the rollback here.
        const lapse = new AbortController();
        s.clock.sleep(err.expiresInMs + 1000, lapse.signal).then(
          () => lapse.abort(),
          () => {},
        );
        const end = await waitFor(
          s,
          current.id,
          (r) => isTerminal(r.phase),
          opts.signal ? AbortSignal.any([opts.signal, lapse.signal]) : lapse.signal,
        );
        lapse.abort();
        if (end) return toResult(end, end.phase as Outcome, end.reason, hub);
        if (opts.signal?.aborted)
          throw new KdeployError(
            `stopped waiting for release ${current.id} to roll back; it goes on in ${err.holder}`,
            ExitCode.Paused,
          );
      }
    }
    return runLocked(s, opts, hub, lock, true, planned);
  });
}

/** Follows the record until the release satisfies `done`; undefined when the signal stopped the wait first. */
async function waitFor(
  s: Session,
  id: string,
  done: (r: ReleaseState) => boolean,
  signal?: AbortSignal,
): Promise<ReleaseState | undefined> {
  const stop = new AbortController();
  let end: ReleaseState | undefined;
  await s.records.watch(
    (r) => {
      if (r.current?.id === id && done(r.current)) {
        end = r.current;
        stop.abort();
      }
    },
    signal ? AbortSignal.any([signal, stop.signal]) : stop.signal,
  );
  return end;
}

export interface PromoteOptions extends AppOptions {
  /** Skip every remaining waiting step (setWeight, pause, analysis) and promote now. */
  full?: boolean;
}

/**
 * `kdeploy promote`: the paused release goes on; a running one skips the waiting step it is in (a canary
 * pause, setWeight or analysis); `full` skips all remaining waiting steps. When no process runs the release,
 * this call runs it on itself; otherwise it follows the record. Either way it resolves when the release
 * ends or pauses again, with that outcome.
 */
export function promote(opts: PromoteOptions): ReleaseRun {
  return request(opts, 'promote', (at, by) => ({
    promote: { at, by, ...(opts.full ? { full: true } : {}) },
  }));
}

/**
 * `kdeploy pause`: the running release holds at its current waiting step (or the next step boundary) until
 * `kdeploy promote`. Resolves once it is paused (or has ended meanwhile).
 */
export function pause(opts: AppOptions): ReleaseRun {
  return request(opts, 'pause', (at, by) => ({ pause: { at, by } }));
}

function request(
  opts: AppOptions,
  what: 'promote' | 'pause',
  make: (at: string, by: string) => ReleaseRequests,
): ReleaseRun {
  const hub = new EventHub(opts.onEvent);
  return new ReleaseRun(hub, async () => {
    const s = await session(opts);
    const current = (await s.records.read()).current;
    if (!current)
      throw new KdeployError(`app ${s.app} has no release in namespace ${s.namespace}`, ExitCode.BadInput);
    if (current.phase !== 'running' && current.phase !== 'paused') {
      throw new KdeployError(
        `nothing to ${what}: release ${current.id} of ${s.app} is ${current.phase}`,
        ExitCode.BadInput,
      );
    }
    if (what === 'pause' && current.phase === 'paused')
      return toResult(current, 'paused', 'already paused', hub);
    const planned = await planFor(current);
    const now = s.clock.now();
    const by = opts.identity ?? `${hostname()}/${process.pid}`;
    await s.records.update((r) =>
      r.current?.id === current.id && (r.current.phase === 'running' || r.current.phase === 'paused')
        ? patchCurrent(
            r,
            { requests: { ...r.current.requests, ...make(new Date(now).toISOString(), by) } },
            now,
          )
        : undefined,
    );
    const lock = makeLock(s, opts, current.id, hub);
    try {
      await lock.acquire();
    } catch (err) {
      if (!(err instanceof LockedError)) throw err;
      // Another process runs the release and acts on the request: follow the record.
      const settled = (r: ReleaseState) =>
        isTerminal(r.phase) || (r.phase === 'paused' && !r.requests.promote);
      const end = await waitFor(s, current.id, settled, opts.signal);
      if (!end)
        throw new KdeployError(
          `stopped following release ${current.id}; it goes on in ${err.holder}`,
          ExitCode.Paused,
        );
      return toResult(end, isTerminal(end.phase) ? (end.phase as Outcome) : 'paused', end.reason, hub);
    }
    // Nobody runs it: run it here (a pause request only needs it brought to its pause).
    return runLocked(s, what === 'pause' ? { ...opts, until: 'paused' } : opts, hub, lock, true, planned);
  });
}

/**
 * `kdeploy rollback`: a new release back to the version of the previous successful release: rolling (a canary
 * app's stable Deployment is an ordinary Deployment), or blue/green for a blue/green app (its idle colour still
 * holds the old template: scaled up, then the flip; no analysis, no wait for promote).
 */
export function rollback(opts: AppOptions): ReleaseRun {
  const hub = new EventHub(opts.onEvent);
  return new ReleaseRun(hub, async () => {
    const s = await session(opts);
    const record = await s.records.read();
    const current = record.current;
    if (!current)
      throw new KdeployError(
        `app ${s.app} has no release history in namespace ${s.namespace}`,
        ExitCode.BadInput,
      );
    if (!isTerminal(current.phase)) {
      throw new KdeployError(
        `release ${current.id} is still ${current.phase}: use \`kdeploy abort ${s.app}\` to roll it back`,
        ExitCode.Locked,
      );
    }
    const target = rollbackTarget(current, record.history);
    if (!target)
      throw new KdeployError(
        `app ${s.app} has no earlier successful release to roll back to`,
        ExitCode.BadInput,
      );
    const config = (s.config ?? current.config) as KdeployConfig | undefined;
    if (!config)
      throw new KdeployError(
        `the release record of ${s.app} has no config; pass kdeploy.yaml with -f`,
        ExitCode.BadInput,
      );
    return start(
      { ...s, config },
      opts,
      hub,
      current.strategy === 'bluegreen' ? 'bluegreen' : 'rolling',
      target,
      'rollback',
    );
  });
}

/** Pure: the newest successful release whose version differs from what the app runs now. */
export function rollbackTarget(
  current: ReleaseState,
  history: readonly ReleaseState[],
): { version: string; image: string } | undefined {
  const running = current.phase === 'completed' ? current.to : current.from;
  const found = [current, ...history].find(
    (r) => r.phase === 'completed' && r.to.version !== running?.version,
  );
  return found?.to;
}

export interface PodSummary {
  name: string;
  version: string;
  phase: string;
  ready: boolean;
  restarts: number;
  /** Why it isn't healthy, when the diagnosis names something. */
  problem?: string;
}

export interface StatusReport {
  app: string;
  namespace: string;
  release: ReleaseState | null;
  history: Pick<
    ReleaseState,
    'id' | 'phase' | 'from' | 'to' | 'startedAt' | 'finishedAt' | 'reason' | 'kind'
  >[];
  deployment: {
    name: string;
    version: string;
    image: string;
    desired: number;
    updated: number;
    ready: number;
    available: number;
  } | null;
  pods: PodSummary[];
  lock: { holder: string; renewTime?: string; expired: boolean } | null;
  events: { at: string; type: string; reason: string; object: string; message: string }[];
}

interface KubeEvent {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string };
  lastTimestamp?: string;
  eventTime?: string;
  metadata?: { creationTimestamp?: string };
}

/** `kdeploy status`: the record, the Deployment, its pods, the lock and the app's recent Kubernetes events. */
export async function status(opts: AppOptions): Promise<StatusReport> {
  return statusOf(await session(opts));
}

/** The Deployment serving the app: `<app>`, else (blue/green) the colour the active Service selects. */
async function servingDeployment(s: Session): Promise<{ name: string; dep: DeploymentLike | undefined }> {
  const get = (name: string) =>
    s.cluster.get<DeploymentLike>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name,
      namespace: s.namespace,
    });
  const plain = await get(s.app);
  if (plain) return { name: s.app, dep: plain };
  const svc = await s.cluster.get<DeploymentLike>({
    apiVersion: 'v1',
    kind: 'Service',
    name: s.app,
    namespace: s.namespace,
  });
  const color = (svc?.spec as { selector?: Record<string, string> } | undefined)?.selector?.[
    'kdeploy.dev/color'
  ];
  return color
    ? { name: `${s.app}-${color}`, dep: await get(`${s.app}-${color}`) }
    : { name: s.app, dep: undefined };
}

async function statusOf(s: Session): Promise<StatusReport> {
  const [record, { name, dep }, lease, events] = await Promise.all([
    s.records.read(),
    servingDeployment(s),
    s.cluster.get<LeaseObject>({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      name: `kdeploy-${s.app}`,
      namespace: s.namespace,
    }),
    s.cluster.list('v1', 'Event', { namespace: s.namespace }).then((l) => l.items as KubeEvent[]),
  ]);
  const selector = Object.entries(dep?.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const pods =
    dep && selector
      ? (await s.cluster.list<PodObject>('v1', 'Pod', { namespace: s.namespace, labelSelector: selector }))
          .items
      : [];
  const now = s.clock.now();
  const current = record.current ? (({ config: _c, ...rest }) => rest as ReleaseState)(record.current) : null;
  const lockDecision = lease?.spec?.holderIdentity ? decideLock(lease.spec, '', now) : undefined;
  const at = (e: KubeEvent) => e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '';
  return {
    app: s.app,
    namespace: s.namespace,
    release: current,
    history: record.history.map(({ id, phase, from, to, startedAt, finishedAt, reason, kind }) => ({
      id,
      phase,
      from,
      to,
      startedAt,
      finishedAt,
      reason,
      kind,
    })),
    deployment: dep
      ? {
          name,
          ...versionOfTemplate(dep.spec?.template, s.app),
          desired: dep.spec?.replicas ?? 0,
          updated: dep.status?.updatedReplicas ?? 0,
          ready: dep.status?.readyReplicas ?? 0,
          available: dep.status?.availableReplicas ?? 0,
        }
      : null,
    pods: pods.map((p) => summarizePod(p, now)),
    lock: lease?.spec?.holderIdentity
      ? {
          holder: lease.spec.holderIdentity,
          renewTime: String(lease.spec.renewTime ?? ''),
          expired: lockDecision?.kind === 'take-over',
        }
      : null,
    events: events
      .filter((e) => e.involvedObject?.name?.startsWith(s.app))
      .sort((a, b) => at(a).localeCompare(at(b)))
      .slice(-10)
      .map((e) => ({
        at: at(e),
        type: e.type ?? '',
        reason: e.reason ?? '',
        object: `${e.involvedObject?.kind}/${e.involvedObject?.name}`,
        message: e.message ?? '',
      })),
  };
}

function summarizePod(p: PodObject, now: number): PodSummary {
  const statuses = p.status?.containerStatuses ?? [];
  return {
    name: p.metadata?.name ?? '',
    version:
      (p.metadata as { labels?: Record<string, string> } | undefined)?.labels?.['kdeploy.dev/version'] ?? '',
    phase: p.metadata?.deletionTimestamp ? 'Terminating' : (p.status?.phase ?? 'Unknown'),
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    restarts: statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    problem: diagnosePods([p], { now, readinessTimeoutMs: 30_000 })?.reason,
  };
}

/**
 * `kdeploy status --watch`: calls `onReport` with a fresh report whenever the record, the Deployment or its
 * pods change (watches, coalesced), until the signal aborts.
 */
export async function watchStatus(
  opts: AppOptions,
  onReport: (r: StatusReport) => void,
  signal: AbortSignal,
): Promise<void> {
  const s = await session(opts);
  let pending: Promise<void> | undefined;
  let again = false;
  const refresh = () => {
    if (pending) {
      again = true;
      return;
    }
    pending = statusOf(s)
      .then((r) => {
        if (!signal.aborted) onReport(r);
      })
      .finally(() => {
        pending = undefined;
        if (again && !signal.aborted) {
          again = false;
          refresh();
        }
      });
  };
  const ns = s.namespace;
  await Promise.all([
    s.records.watch(refresh, signal),
    s.cluster.watch(
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, fieldSelector: `metadata.name=${s.app}` },
      refresh,
      signal,
    ),
    s.cluster.watch({ apiVersion: 'v1', kind: 'Pod', namespace: ns }, refresh, signal),
  ]);
}
