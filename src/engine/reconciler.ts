// The reconciler: from the release record it decides the next action (a pure function, `decide`), records
// the intent, runs the step, and records the result. Because the step index is persisted before a step acts
// and steps are idempotent, a process killed at any instant is continued by `resume` from the same step.
import type { KdeployConfig } from '../config/schema.js';
import type { Cluster } from '../core/cluster.js';
import type { Clock, MetricProvider, RecordStore, Reporter, Router } from '../core/ports.js';
import { isTerminal, type Outcome, type ReleaseState, type TerminalPhase } from '../core/release.js';
import { LockLostError } from './lock.js';
import { patchCurrent } from './record.js';
import { type EngineTuning, type Plan, type StepContext, type StepEvent, StepFailure } from './strategy.js';
export type Decision =
  | { kind: 'run'; list: 'steps' | 'rollback'; index: number }
  | { kind: 'start-rollback'; outcome: 'failed' | 'aborted'; reason: string }
  | { kind: 'finish'; phase: TerminalPhase }
  | { kind: 'wait-promote' }
  /** Go on running; `skipTo`: continue at that step, skipping the (skippable) ones before it. */
  | { kind: 'promote'; skipTo?: number }
  | { kind: 'pause'; by: string }
  | { kind: 'done' };

export interface PlanShape {
  steps: number;
  rollback: number;
  /** Per forward step: whether promote skips it (Step.skippable). */
  skippable?: readonly boolean[];
}

/** The first step at or after `from` that promote --full doesn't skip. */
function afterSkippable(from: number, plan: PlanShape): number {
  let i = from;
  while (i < plan.steps && plan.skippable?.[i]) i++;
  return i;
}

/** What to do next for this release and plan. Pure: the whole policy of the engine's main loop. */
export function decide(release: ReleaseState, plan: PlanShape): Decision {
  if (isTerminal(release.phase)) return { kind: 'done' };
  const { abort, promote, pause } = release.requests;
  if (release.phase === 'running' || release.phase === 'paused') {
    if (abort)
      return { kind: 'start-rollback', outcome: 'aborted', reason: `aborted by ${abort.by} at ${abort.at}` };
  }
  if (release.phase === 'paused') {
    if (!promote) return { kind: 'wait-promote' };
    const skipTo = promote.full ? afterSkippable(release.step, plan) : release.step;
    return skipTo === release.step ? { kind: 'promote' } : { kind: 'promote', skipTo };
  }
  if (release.phase === 'running') {
    if (pause) return { kind: 'pause', by: pause.by };
    // Promote while a waiting step runs (or is next) skips it, like Argo's promote of a running canary.
    if (promote && plan.skippable?.[release.step]) {
      return {
        kind: 'promote',
        skipTo: promote.full ? afterSkippable(release.step, plan) : release.step + 1,
      };
    }
    return release.step < plan.steps
      ? { kind: 'run', list: 'steps', index: release.step }
      : { kind: 'finish', phase: 'completed' };
  }
  // rolling-back
  return release.step < plan.rollback
    ? { kind: 'run', list: 'rollback', index: release.step }
    : { kind: 'finish', phase: release.outcome === 'aborted' ? 'aborted' : 'failed' };
}

export interface EngineDeps {
  cluster: Cluster;
  records: RecordStore;
  clock: Clock;
  reporter: Reporter;
  router?: Router;
  metrics?: Record<string, MetricProvider>;
  tuning?: EngineTuning;
}

export interface DriveOptions {
  /** `paused`: return as soon as the release waits for promote (exit 3) instead of waiting. */
  until?: 'completed' | 'paused';
  /** Epoch ms: stop before it and return `suspended`; `resume` continues from the same step. */
  deadline?: number;
  /** Stops the work like a deadline (the release stays resumable). */
  signal?: AbortSignal;
  /** Aborted when the lock was lost: stop acting at once. */
  lockLost?: AbortSignal;
  /** The release was started by an earlier process. */
  resumed?: boolean;
}

export interface DriveResult {
  outcome: Outcome;
  release: ReleaseState;
  reason?: string;
}

/** Why the work stopped before the release ended. */
export class Interrupt extends Error {
  override name = 'Interrupt';
  constructor(
    readonly why:
      | 'abort-requested'
      | 'promote-requested'
      | 'pause-requested'
      | 'deadline'
      | 'signal'
      | 'lock-lost',
  ) {
    super(
      {
        'abort-requested': 'abort requested',
        'promote-requested': 'promote requested',
        'pause-requested': 'pause requested',
        deadline: 'deadline reached',
        signal: 'interrupted',
        'lock-lost': 'the lock was taken over by another process',
      }[why],
    );
  }
}

/** Runs the current release of the record to its end (or until paused/suspended). The caller holds the lock. */
export async function drive(deps: EngineDeps, plan: Plan, options: DriveOptions = {}): Promise<DriveResult> {
  const { records, clock, reporter } = deps;
  let release = requireCurrent((await records.read()).current);
  const id = release.id;
  const config = release.config as KdeployConfig;
  const emit = (e: StepEvent) =>
    reporter.emit({ ...e, at: clock.now(), app: release.app, releaseId: id } as never);
  const counts: PlanShape = {
    steps: plan.steps.length,
    rollback: plan.rollback.length,
    skippable: plan.steps.map((s) => !!s.skippable),
  };

  // One controller for the whole run; a step's controller also stops on an abort request.
  const work = new AbortController();
  const stopWork = (cause: Interrupt['why']) => () => work.abort(new Interrupt(cause));
  options.signal?.addEventListener('abort', stopWork('signal'), { once: true });
  options.lockLost?.addEventListener('abort', stopWork('lock-lost'), { once: true });
  if (options.signal?.aborted) work.abort(new Interrupt('signal'));
  if (options.lockLost?.aborted) work.abort(new Interrupt('lock-lost'));
  if (options.deadline !== undefined) {
    clock
      .sleep(Math.max(0, options.deadline - clock.now()), work.signal)
      .then(stopWork('deadline'), () => {});
  }

  let step: AbortController | undefined;
  let onRecord: ((r: ReleaseState) => void) | undefined;
  const watching = new AbortController();
  const watch = records
    .watch((record) => {
      const current = record.current;
      if (!current || current.id !== id) return;
      if (current.requests.abort && current.phase !== 'rolling-back')
        step?.abort(new Interrupt('abort-requested'));
      // Promote and pause interrupt only a waiting step; any other step finishes first (next boundary).
      else if (current.phase === 'running' && counts.skippable?.[current.step]) {
        if (current.requests.pause) step?.abort(new Interrupt('pause-requested'));
        else if (current.requests.promote) step?.abort(new Interrupt('promote-requested'));
      }
      onRecord?.(current);
    }, watching.signal)
    .catch(() => {
      // A record watch that dies only delays abort requests until the next step boundary.
    });

  const update = async (patch: Partial<ReleaseState>) => {
    const next = await records.update((r) =>
      r.current?.id === id ? patchCurrent(r, patch, clock.now()) : undefined,
    );
    if (next.current?.id !== id)
      throw new Error(`release ${id} is no longer the current release of ${release.app}`);
    release = next.current;
    return release;
  };

  emit({
    type: 'release-started',
    strategy: release.strategy,
    from: release.from,
    to: release.to,
    steps: release.steps,
    resumed: !!options.resumed,
  });
  try {
    for (;;) {
      const d = decide(release, counts);
      switch (d.kind) {
        case 'done':
          return { outcome: release.phase as TerminalPhase, release, reason: release.reason };
        case 'start-rollback':
          await update({
            phase: 'rolling-back',
            step: 0,
            stepState: 'pending',
            outcome: d.outcome,
            reason: release.reason ?? d.reason,
          });
          emit({
            type: 'rollback-started',
            reason: release.reason ?? d.reason,
            aborted: d.outcome === 'aborted',
          });
          continue;
        case 'finish': {
          await update({ phase: d.phase, outcome: d.phase, finishedAt: new Date(clock.now()).toISOString() });
          const version = d.phase === 'completed' ? release.to.version : (release.from?.version ?? '');
          if (d.phase === 'completed')
            emit({ type: 'completed', version, durationMs: clock.now() - Date.parse(release.startedAt) });
          else emit({ type: d.phase, reason: release.reason ?? d.phase, version });
          return { outcome: d.phase, release, reason: release.reason };
        }
        case 'promote': {
          const by = release.requests.promote?.by ?? 'someone';
          await update({
            phase: 'running',
            requests: { ...release.requests, promote: undefined },
            ...(d.skipTo !== undefined ? { step: d.skipTo, stepState: 'pending' as const } : {}),
          });
          if (d.skipTo !== undefined)
            emit({ type: 'info', message: `promoted by ${by}: continuing at step ${d.skipTo + 1}` });
          continue;
        }
        case 'pause':
          await update({ phase: 'paused', requests: { ...release.requests, pause: undefined } });
          emit({ type: 'paused', reason: `paused by ${d.by}` });
          continue;
        case 'wait-promote': {
          if (options.until === 'paused')
            return { outcome: 'paused', release, reason: 'waiting for promote' };
          interruptible(work.signal);
          await new Promise<void>((resolve, reject) => {
            onRecord = (r) => {
              if (r.requests.promote || r.requests.abort) resolve();
            };
            work.signal.addEventListener('abort', () => reject(work.signal.reason), { once: true });
          }).finally(() => {
            onRecord = undefined;
          });
          release = requireCurrent((await records.read()).current);
          continue;
        }
        case 'run': {
          interruptible(work.signal);
          const list = d.list === 'steps' ? plan.steps : plan.rollback;
          const s = list[d.index];
          if (!s) throw new Error(`plan has no step ${d.index}`);
          await update({ stepState: 'started', stepStartedAt: new Date(clock.now()).toISOString() });
          const started = clock.now();
          emit({
            type: 'step-started',
            index: d.index,
            step: s.name,
            total: list.length,
            rollback: d.list === 'rollback',
          });
          step = new AbortController();
          const stepSignal = AbortSignal.any([work.signal, step.signal]);
          // An abort request that arrived before this step started (or between watch events).
          if (d.list === 'steps' && release.requests.abort) step.abort(new Interrupt('abort-requested'));
          let result: Awaited<ReturnType<typeof s.run>>;
          try {
            result = await s.run(contextFor(deps, release, config, stepSignal, emit, update));
            if (stepSignal.aborted) throw stepSignal.reason;
          } catch (err) {
            const interrupt = stepSignal.aborted ? asInterrupt(stepSignal.reason) : undefined;
            // A request arrived during a waiting step: decide again from the fresh record.
            if (
              interrupt?.why === 'abort-requested' ||
              interrupt?.why === 'promote-requested' ||
              interrupt?.why === 'pause-requested'
            ) {
              release = requireCurrent((await records.read()).current);
              continue;
            }
            if (interrupt) throw interrupt;
            if (err instanceof StepFailure && d.list === 'steps') {
              if (err.diagnosis) emit({ type: 'failure-diagnosed', diagnosis: err.diagnosis });
              await update({
                phase: 'rolling-back',
                step: 0,
                stepState: 'pending',
                outcome: 'failed',
                reason: err.message,
                diagnosis: err.diagnosis,
              });
              emit({ type: 'rollback-started', reason: err.message, aborted: false });
              continue;
            }
            if (err instanceof StepFailure) {
              // The old version doesn't come back either: stop here, resumable, and say so. The record stays
              // rolling-back, so no new release starts on top of it until someone resumes or fixes it.
              const reason = `${release.reason ?? 'release failed'}; then the rollback step ${s.name} failed: ${err.message}. Fix the cause and run kdeploy resume ${release.app}`;
              if (err.diagnosis) emit({ type: 'failure-diagnosed', diagnosis: err.diagnosis });
              emit({ type: 'failed', reason, version: release.from?.version ?? '' });
              return { outcome: 'failed', release, reason };
            }
            throw err;
          } finally {
            step = undefined;
          }
          const paused = result && 'pause' in result ? result.pause : undefined;
          await update({
            step: d.index + 1,
            stepState: 'pending',
            ...(paused ? { phase: 'paused' as const } : {}),
          });
          emit({
            type: 'step-completed',
            index: d.index,
            step: s.name,
            total: list.length,
            rollback: d.list === 'rollback',
            durationMs: clock.now() - started,
          });
          if (paused) emit({ type: 'paused', reason: paused });
          continue;
        }
      }
    }
  } catch (err) {
    const interrupt = asInterrupt(err) ?? (work.signal.aborted ? asInterrupt(work.signal.reason) : undefined);
    if (interrupt?.why === 'lock-lost') throw new LockLostError(interrupt.message);
    if (interrupt) {
      emit({ type: 'suspended', reason: interrupt.message });
      return { outcome: 'suspended', release, reason: interrupt.message };
    }
    throw err;
  } finally {
    work.abort(new Interrupt('signal'));
    watching.abort();
    await watch;
  }
}

function contextFor(
  deps: EngineDeps,
  release: ReleaseState,
  config: KdeployConfig,
  signal: AbortSignal,
  emit: (e: StepEvent) => void,
  update: (patch: Partial<ReleaseState>) => Promise<ReleaseState>,
): StepContext {
  return {
    release,
    config,
    cluster: deps.cluster,
    clock: deps.clock,
    signal,
    router: deps.router,
    metrics: deps.metrics ?? {},
    tuning: deps.tuning ?? {},
    emit,
    save: update,
  };
}

function interruptible(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason;
}

function asInterrupt(err: unknown): Interrupt | undefined {
  return err instanceof Interrupt ? err : undefined;
}

function requireCurrent(current: ReleaseState | null): ReleaseState {
  if (!current) throw new Error('the release record has no current release');
  return current;
}
