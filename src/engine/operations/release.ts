// `kdeploy rolling|canary|bluegreen --to`, and the start of any new release (rollback starts one too).
import { randomBytes } from 'node:crypto';
import { resolve as resolvePath } from 'node:path';
import type { KdeployConfig } from '../../config/schema.js';
import { KdeployError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { isTerminal, type ReleaseState, type StrategyKind } from '../../core/release.js';
import { newRelease, startRelease } from '../record.js';
import { EventHub } from '../reporter.js';
import type { ReleaseOptions, RunOptions } from './options.js';
import { type ReleaseResult, ReleaseRun } from './run.js';
import { connect, makeLock, planFor, readConfig, runLocked, type Session, sessionOn } from './session.js';

const newReleaseId = (now: number) =>
  `${new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${randomBytes(2).toString('hex')}`;

/** Starts a new release in the record (with the lock held) and runs it. */
export async function start(
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
    const s = { config, ...sessionOn(opts, cluster, config.app, config.namespace) };
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
