// `kdeploy resume`: the current release goes on from the step it reached, here.
import { type LeaseLock, LockedError, parseHolder } from '../lock.js';
import { EventHub } from '../reporter.js';
import type { AppOptions } from './options.js';
import { ReleaseRun } from './run.js';
import { openCurrent, runCurrent, type Session } from './session.js';

/**
 * Takes the lock. When it is held for the same release by another process (one that crashed, or runs on
 * another machine), waits once for that lease to run out: a dead holder loses it then, while a live one has
 * renewed it meanwhile, and resuming next to a live holder is refused (exit 6) like any other lock conflict.
 */
async function acquire(
  lock: LeaseLock,
  s: Session,
  releaseId: string,
  hub: EventHub,
  signal?: AbortSignal,
): Promise<void> {
  try {
    return await lock.acquire();
  } catch (err) {
    if (!(err instanceof LockedError) || parseHolder(err.holder)?.releaseId !== releaseId) throw err;
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

/** `kdeploy resume`: continues the app's current release from the step it reached (also after a crash). */
export function resume(opts: AppOptions): ReleaseRun {
  const hub = new EventHub(opts.onEvent);
  return new ReleaseRun(hub, async () => {
    const c = await openCurrent(opts);
    return runCurrent(c, opts, hub, {
      take: async (lock) => {
        await acquire(lock, c.s, c.current.id, hub, opts.signal);
        return undefined;
      },
    });
  });
}
