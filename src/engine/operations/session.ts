// The one path every operation on an app opens with: the session (config, cluster, record store, clock), the
// current release, its plan, the lock, and the run with the lock held that ends in a result.
import { hostname } from 'node:os';
import { loadConfig, parseConfig } from '../../config/load.js';
import type { KdeployConfig } from '../../config/schema.js';
import { RealClock } from '../../core/clock.js';
import type { Cluster } from '../../core/cluster.js';
import { KdeployError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { Clock, RecordStore } from '../../core/ports.js';
import type { ReleaseState } from '../../core/release.js';
import { connectCluster } from '../../kube/connect.js';
import { LeaseLock, parseHolder } from '../lock.js';
import { type DriveResult, drive } from '../reconciler.js';
import { ConfigMapRecordStore, patchCurrent } from '../record.js';
import type { EventHub } from '../reporter.js';
import { loadStrategy, type Plan, strategySections } from '../strategy.js';
import type { AppOptions, ConnectionOptions, RunOptions } from './options.js';
import { type ReleaseResult, toResult } from './run.js';
export interface Session {
  config?: KdeployConfig;
  app: string;
  namespace: string;
  cluster: Cluster;
  records: RecordStore;
  clock: Clock;
}

export async function readConfig(config: string | object, to?: string, namespace?: string) {
  const sections = await strategySections();
  return typeof config === 'string'
    ? loadConfig({ file: config, to, namespace, sections })
    : parseConfig(JSON.stringify(config), { file: '<config object>', to, namespace, sections });
}

export function connect(
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

/** The session of `app` in `namespace` on a connected cluster, without its config. */
export function sessionOn(
  opts: RunOptions,
  cluster: Cluster,
  app: string,
  namespace: string,
): Omit<Session, 'config'> {
  return {
    app,
    namespace,
    cluster,
    records: new ConfigMapRecordStore(cluster, app, namespace),
    clock: opts.clock ?? new RealClock(),
  };
}

/** The session of the app named by `opts` (directly or by its config). */
export async function openSession(opts: AppOptions): Promise<Session> {
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
  return { config: loaded?.config, ...sessionOn(opts, cluster, app, namespace) };
}

/** An app's session with the release its record holds now. */
export interface Current {
  s: Session;
  current: ReleaseState;
  history: ReleaseState[];
}

/** Opens the app's session and reads its current release; `none` names what is missing when there is none. */
export async function openCurrent(opts: AppOptions, none = 'release'): Promise<Current> {
  const s = await openSession(opts);
  const { current, history } = await s.records.read();
  if (!current)
    throw new KdeployError(`app ${s.app} has no ${none} in namespace ${s.namespace}`, ExitCode.BadInput);
  return { s, current, history };
}

/** A release's plan, built before the lock is taken (see `planFor`). */
export interface Planned {
  releaseId: string;
  plan: Plan;
}

/**
 * Loads the release's strategy and builds its plan. Callers do this before they take the lock or write the
 * record: a strategy that can't be loaded (a half-written bundle, a broken plugin) or a stored config its plan
 * rejects then changes nothing, instead of taking the lease over, stamping the record and leaving both behind.
 */
export async function planFor(release: ReleaseState): Promise<Planned> {
  const strategy = await loadStrategy(release.strategy);
  return { releaseId: release.id, plan: strategy.plan(release.config as KdeployConfig, release) };
}

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

export function makeLock(s: Session, opts: RunOptions, releaseId: string, hub: EventHub) {
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

/** How an operation on the current release comes to hold the lock, once it accepted that release. */
export interface Proceed {
  /** Writes what the operation asks of the release into its record, before the lock is tried. */
  ask?: () => Promise<void>;
  /** Takes the lock (undefined), or follows the process that holds it and gives the result it ended with. */
  take: (lock: LeaseLock) => Promise<ReleaseResult | undefined>;
}

/** Plans the current release (before anything changes), asks, takes the lock and runs it here if it got it. */
export async function runCurrent(
  { s, current }: Current,
  opts: RunOptions,
  hub: EventHub,
  how: Proceed,
): Promise<ReleaseResult> {
  const planned = await planFor(current);
  await how.ask?.();
  const lock = makeLock(s, opts, current.id, hub);
  return (await how.take(lock)) ?? runLocked(s, opts, hub, lock, true, planned);
}

/** Runs the planned release with the lock held; releases the lock whatever happens. */
export async function runLocked(
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
