// `kdeploy rollback`: a new release back to the version the app ran before its last successful one.
import type { KdeployConfig } from '../../config/schema.js';
import { KdeployError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { isTerminal, type ReleaseState } from '../../core/release.js';
import { EventHub } from '../reporter.js';
import type { AppOptions } from './options.js';
import { start } from './release.js';
import { ReleaseRun } from './run.js';
import { openCurrent } from './session.js';
/**
 * `kdeploy rollback`: a new release back to the version of the previous successful release: rolling (a canary
 * app's stable Deployment is an ordinary Deployment), or blue/green for a blue/green app (its idle colour still
 * holds the old template: scaled up, then the flip; no analysis, no wait for promote).
 */
export function rollback(opts: AppOptions): ReleaseRun {
  const hub = new EventHub(opts.onEvent);
  return new ReleaseRun(hub, async () => {
    const { s, current, history } = await openCurrent(opts, 'release history');
    if (!isTerminal(current.phase)) {
      throw new KdeployError(
        `release ${current.id} is still ${current.phase}: use \`kdeploy abort ${s.app}\` to roll it back`,
        ExitCode.Locked,
      );
    }
    const target = rollbackTarget(current, history);
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
