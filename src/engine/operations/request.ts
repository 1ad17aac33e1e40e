// `kdeploy promote` and `kdeploy pause`: a request to the running release, acted on by whoever runs it.

import { KdeployError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { isTerminal, type Outcome, type ReleaseRequests, type ReleaseState } from '../../core/release.js';
import { type LeaseLock, LockedError } from '../lock.js';
import { EventHub } from '../reporter.js';
import { fileRequest, waitFor } from './follow.js';
import type { AppOptions } from './options.js';
import { type ReleaseResult, ReleaseRun, toResult } from './run.js';
import { type Current, openCurrent, runCurrent } from './session.js';
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

const takesRequests = (r: ReleaseState) => r.phase === 'running' || r.phase === 'paused';

function request(
  opts: AppOptions,
  what: 'promote' | 'pause',
  make: (at: string, by: string) => ReleaseRequests,
): ReleaseRun {
  const hub = new EventHub(opts.onEvent);
  return new ReleaseRun(hub, async () => {
    const c = await openCurrent(opts);
    const { s, current } = c;
    if (!takesRequests(current)) {
      throw new KdeployError(
        `nothing to ${what}: release ${current.id} of ${s.app} is ${current.phase}`,
        ExitCode.BadInput,
      );
    }
    if (what === 'pause' && current.phase === 'paused')
      return toResult(current, 'paused', 'already paused', hub);
    // When nobody runs it, it runs here (a pause request only needs it brought to its pause).
    return runCurrent(c, what === 'pause' ? { ...opts, until: 'paused' } : opts, hub, {
      ask: () => fileRequest(c, opts.identity, takesRequests, make),
      take: (lock) => takeOrFollow(lock, c, hub, opts.signal),
    });
  });
}

/** Takes the lock, or follows the process that runs the release until it acted on the request. */
async function takeOrFollow(
  lock: LeaseLock,
  { s, current }: Current,
  hub: EventHub,
  signal?: AbortSignal,
): Promise<ReleaseResult | undefined> {
  try {
    await lock.acquire();
    return undefined;
  } catch (err) {
    if (!(err instanceof LockedError)) throw err;
    // Another process runs the release and acts on the request: follow the record.
    const settled = (r: ReleaseState) => isTerminal(r.phase) || (r.phase === 'paused' && !r.requests.promote);
    const end = await waitFor(s, current.id, settled, signal);
    if (!end)
      throw new KdeployError(
        `stopped following release ${current.id}; it goes on in ${err.holder}`,
        ExitCode.Paused,
      );
    return toResult(end, isTerminal(end.phase) ? (end.phase as Outcome) : 'paused', end.reason, hub);
  }
}
