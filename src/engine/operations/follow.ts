// A person's request reaches the process that runs a release through the release's record; the asker then
// follows that record until the release answers.
import { hostname } from 'node:os';
import type { ReleaseRequests, ReleaseState } from '../../core/release.js';
import { patchCurrent } from '../record.js';
import type { Current, Session } from './session.js';

/**
 * Writes a request (promote, pause, abort) into the current release's record, unless the release meanwhile
 * was replaced or no longer `takes` it.
 */
export async function fileRequest(
  { s, current }: Current,
  identity: string | undefined,
  takes: (r: ReleaseState) => boolean,
  make: (at: string, by: string) => ReleaseRequests,
): Promise<void> {
  const now = s.clock.now();
  const by = identity ?? `${hostname()}/${process.pid}`;
  await s.records.update((r) =>
    r.current?.id === current.id && takes(r.current)
      ? patchCurrent(
          r,
          { requests: { ...r.current.requests, ...make(new Date(now).toISOString(), by) } },
          now,
        )
      : undefined,
  );
}

/** Follows the record until the release satisfies `done`; undefined when the signal stopped the wait first. */
export async function waitFor(
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
