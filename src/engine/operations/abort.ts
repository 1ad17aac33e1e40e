// `kdeploy abort`: the current release rolls back, run by whichever process holds it or else by this one.

import { KdeployError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { isTerminal, type Outcome } from '../../core/release.js';
import { type LeaseLock, LockedError } from '../lock.js';
import { EventHub } from '../reporter.js';
import { fileRequest, waitFor } from './follow.js';
import type { AppOptions } from './options.js';
import { type ReleaseResult, ReleaseRun, toResult } from './run.js';
import { type Current, openCurrent, runCurrent } from './session.js';
/**
 * `kdeploy abort`: asks the running release to roll back (it notices through its record watch and exits 4).
 * When no process is running it, this call performs the rollback itself. Resolves once the app is back.
 */
export function abort(opts: AppOptions): ReleaseRun {
  const hub = new EventHub(opts.onEvent);
  return new ReleaseRun(hub, async () => {
    const c = await openCurrent(opts);
    const { current } = c;
    if (isTerminal(current.phase))
      return toResult(
        current,
        current.phase as Outcome,
        `nothing to abort: release ${current.id} already ${current.phase}`,
        hub,
      );
    return runCurrent(c, opts, hub, {
      ask: () =>
        fileRequest(
          c,
          opts.identity,
          (r) => !isTerminal(r.phase) && !r.requests.abort,
          (at, by) => ({ abort: { at, by } }),
        ),
      take: (lock) => takeOrFollow(lock, c, hub, opts.signal),
    });
  });
}

/** Takes the lock, or follows its holder's rollback to the end; takes over when that holder's lease lapses. */
async function takeOrFollow(
  lock: LeaseLock,
  { s, current }: Current,
  hub: EventHub,
  signal?: AbortSignal,
): Promise<ReleaseResult | undefined> {
  for (;;) {
    try {
      await lock.acquire();
      return undefined;
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
        signal ? AbortSignal.any([signal, lapse.signal]) : lapse.signal,
      );
      lapse.abort();
      if (end) return toResult(end, end.phase as Outcome, end.reason, hub);
      if (signal?.aborted)
        throw new KdeployError(
          `stopped waiting for release ${current.id} to roll back; it goes on in ${err.holder}`,
          ExitCode.Paused,
        );
    }
  }
}
