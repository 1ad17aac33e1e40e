// What an operation gives back: a run that is both awaitable and iterable, and the result it ends with.
import { ExitCode } from '../../core/exit-codes.js';
import type { Outcome, ReleaseEvent, ReleaseState } from '../../core/release.js';
import type { EventHub } from '../reporter.js';

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

/** The result of a release that ended (or paused) with `outcome`; its config snapshot stays out of it. */
export function toResult(
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
