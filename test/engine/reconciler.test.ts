import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import type { Cluster } from '../../src/core/cluster.js';
import type { ReleaseState } from '../../src/core/release.js';
import { decide, drive } from '../../src/engine/reconciler.js';
import { InMemoryRecordStore, patchCurrent, startRelease } from '../../src/engine/record.js';
import { EventHub } from '../../src/engine/reporter.js';
import { type Plan, type Step, StepFailure } from '../../src/engine/strategy.js';
import { eventually, quiet } from '../support/eventually.js';

function release(patch: Partial<ReleaseState> = {}): ReleaseState {
  return {
    id: 'r1',
    app: 'web',
    namespace: 'default',
    strategy: 'rolling',
    kind: 'release',
    from: { version: 'v1', image: 'web:v1' },
    to: { version: 'v2', image: 'web:v2' },
    phase: 'running',
    step: 0,
    stepState: 'pending',
    steps: ['a', 'b'],
    rollbackSteps: ['undo'],
    startedAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    requests: {},
    measurements: [],
    data: {},
    config: {},
    ...patch,
  };
}
const counts = { steps: 2, rollback: 1 };

describe('decide', () => {
  it('walks the steps, then completes', () => {
    expect(decide(release(), counts)).toEqual({ kind: 'run', list: 'steps', index: 0 });
    expect(decide(release({ step: 1, stepState: 'started' }), counts)).toEqual({
      kind: 'run',
      list: 'steps',
      index: 1,
    });
    expect(decide(release({ step: 2 }), counts)).toEqual({ kind: 'finish', phase: 'completed' });
    expect(decide(release({ phase: 'completed' }), counts)).toEqual({ kind: 'done' });
  });

  it('turns an abort request into a rollback, except while already rolling back', () => {
    const abort = { at: '2026-01-01T00:01:00Z', by: 'alice' };
    expect(decide(release({ step: 1, requests: { abort } }), counts)).toMatchObject({
      kind: 'start-rollback',
      outcome: 'aborted',
      reason: expect.stringContaining('alice'),
    });
    expect(decide(release({ phase: 'paused', requests: { abort } }), counts)).toMatchObject({
      kind: 'start-rollback',
    });
    expect(
      decide(release({ phase: 'rolling-back', outcome: 'aborted', requests: { abort } }), counts),
    ).toEqual({ kind: 'run', list: 'rollback', index: 0 });
  });

  it('finishes a rollback with the outcome chosen when it started', () => {
    expect(decide(release({ phase: 'rolling-back', step: 1, outcome: 'failed' }), counts)).toEqual({
      kind: 'finish',
      phase: 'failed',
    });
    expect(decide(release({ phase: 'rolling-back', step: 1, outcome: 'aborted' }), counts)).toEqual({
      kind: 'finish',
      phase: 'aborted',
    });
  });

  it('waits in a pause until promoted', () => {
    expect(decide(release({ phase: 'paused' }), counts)).toEqual({ kind: 'wait-promote' });
    expect(
      decide(release({ phase: 'paused', requests: { promote: { at: 'x', by: 'bob' } } }), counts),
    ).toEqual({ kind: 'promote' });
  });
});

/** Steps that log what ran; `fail` makes a step throw StepFailure, `block` makes it wait for its signal. */
function harness(opts: { fail?: string; block?: string; pause?: string } = {}) {
  const ran: string[] = [];
  const step = (name: string): Step => ({
    name,
    async run(ctx) {
      ran.push(name);
      if (name === opts.fail)
        throw new StepFailure(`${name} broke`, { reason: 'CrashLoopBackOff', message: `${name} broke` });
      if (name === opts.block)
        await new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
        );
      if (name === opts.pause) return { pause: 'waiting for promote' };
    },
  });
  const plan: Plan = { steps: [step('a'), step('b'), step('c')], rollback: [step('undo')] };
  const records = new InMemoryRecordStore();
  const clock = new VirtualClock({ start: Date.parse('2026-01-01T00:00:00Z') });
  const hub = new EventHub();
  const deps = { cluster: {} as Cluster, records, clock, reporter: hub };
  const seed = (patch: Partial<ReleaseState> = {}) =>
    records.update((r) => startRelease(r, release({ steps: ['a', 'b', 'c'], ...patch }), 10));
  return { ran, plan, records, clock, hub, deps, seed };
}

describe('drive', () => {
  it('runs every step, recording intent and result, and completes', async () => {
    const h = harness();
    await h.seed();
    const states: string[] = [];
    h.records.watch(
      (r) => r.current && states.push(`${r.current.phase}:${r.current.step}:${r.current.stepState}`),
      new AbortController().signal,
    );
    const result = await drive(h.deps, h.plan);
    expect(result.outcome).toBe('completed');
    expect(h.ran).toEqual(['a', 'b', 'c']);
    // The intent (started) is persisted before each step acts.
    expect(states).toEqual([
      'running:0:pending',
      'running:0:started',
      'running:1:pending',
      'running:1:started',
      'running:2:pending',
      'running:2:started',
      'running:3:pending',
      'completed:3:pending',
    ]);
    expect(h.hub.events.map((e) => e.type)).toEqual([
      'release-started',
      'step-started',
      'step-completed',
      'step-started',
      'step-completed',
      'step-started',
      'step-completed',
      'completed',
    ]);
  });

  it('resumes at the started step after a crash', async () => {
    const h = harness();
    await h.seed({ step: 1, stepState: 'started' });
    expect((await drive(h.deps, h.plan, { resumed: true })).outcome).toBe('completed');
    expect(h.ran).toEqual(['b', 'c']);
  });

  it('rolls back on a step failure and records the diagnosis', async () => {
    const h = harness({ fail: 'b' });
    await h.seed();
    const result = await drive(h.deps, h.plan);
    expect(result.outcome).toBe('failed');
    expect(result.reason).toBe('b broke');
    expect(h.ran).toEqual(['a', 'b', 'undo']);
    const current = (await h.records.read()).current!;
    expect(current).toMatchObject({
      phase: 'failed',
      outcome: 'failed',
      diagnosis: { reason: 'CrashLoopBackOff' },
    });
    expect(h.hub.events.map((e) => e.type)).toContain('failure-diagnosed');
  });

  it('stops, resumable, when a rollback step fails too', async () => {
    const h = harness({ fail: 'undo' });
    await h.seed({ phase: 'rolling-back', outcome: 'failed', reason: 'b broke' });
    const result = await drive(h.deps, h.plan);
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(/^b broke; then the rollback step undo failed: undo broke/);
    expect((await h.records.read()).current).toMatchObject({
      phase: 'rolling-back',
      step: 0,
      stepState: 'started',
    });
  });

  it('stops a running step when another process requests an abort, then rolls back', async () => {
    const h = harness({ block: 'b' });
    await h.seed();
    const run = drive(h.deps, h.plan);
    await eventually(() => h.ran.includes('b'));
    await h.records.update((r) => patchCurrent(r, { requests: { abort: { at: 'now', by: 'alice' } } }, 0));
    const result = await run;
    expect(result.outcome).toBe('aborted');
    expect(h.ran).toEqual(['a', 'b', 'undo']);
    expect(h.hub.events.at(-1)).toMatchObject({ type: 'aborted', version: 'v1' });
  });

  it('suspends at the deadline, leaving the step to re-run', async () => {
    const h = harness({ block: 'b' });
    await h.seed();
    const run = drive(h.deps, h.plan, { deadline: h.clock.now() + 60_000 });
    await h.clock.advance(60_000);
    const result = await run;
    expect(result.outcome).toBe('suspended');
    expect((await h.records.read()).current).toMatchObject({
      phase: 'running',
      step: 1,
      stepState: 'started',
    });
  });

  it('returns paused with until=paused, and continues after promote', async () => {
    const h = harness({ pause: 'a' });
    await h.seed();
    expect((await drive(h.deps, h.plan, { until: 'paused' })).outcome).toBe('paused');
    expect((await h.records.read()).current).toMatchObject({ phase: 'paused', step: 1 });
    const run = drive(h.deps, h.plan);
    await quiet(); // the run reaches its wait for a promote (it reports nothing while waiting)
    await h.records.update((r) => patchCurrent(r, { requests: { promote: { at: 'now', by: 'bob' } } }, 0));
    expect((await run).outcome).toBe('completed');
    expect(h.ran).toEqual(['a', 'b', 'c']);
  });

  it('throws a lost lock as exit 6 without touching the record', async () => {
    const h = harness({ block: 'b' });
    await h.seed();
    const lost = new AbortController();
    const run = drive(h.deps, h.plan, { lockLost: lost.signal });
    await eventually(() => h.ran.includes('b'));
    lost.abort();
    await expect(run).rejects.toMatchObject({ exitCode: 6 });
    expect((await h.records.read()).current).toMatchObject({ phase: 'running', step: 1 });
  });
});
