import { describe, expect, it } from 'vitest';
import type { ReleaseState } from '../../src/core/release.js';
import { decide } from '../../src/engine/reconciler.js';

// The engine's policy for promote, promote --full and pause (canary/blue-green waiting steps are skippable).
function release(patch: Partial<ReleaseState> = {}): ReleaseState {
  return {
    id: 'r1',
    app: 'web',
    namespace: 'default',
    strategy: 'canary',
    kind: 'release',
    from: { version: 'v1', image: 'web:v1' },
    to: { version: 'v2', image: 'web:v2' },
    phase: 'running',
    step: 0,
    stepState: 'pending',
    steps: [],
    rollbackSteps: [],
    startedAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    requests: {},
    measurements: [],
    data: {},
    ...patch,
  };
}
// create-canary, set-weight-20, pause-1m, set-weight-50, pause, promote-stable, remove-canary
const plan = { steps: 7, rollback: 2, skippable: [false, true, true, true, true, false, false] };
const promote = (full = false) => ({ promote: { at: 't', by: 'bob', ...(full ? { full } : {}) } });

describe('promote and pause decisions', () => {
  it('promote of a paused release continues where it paused; --full skips the waiting steps', () => {
    expect(decide(release({ phase: 'paused', step: 3, requests: promote() }), plan)).toEqual({
      kind: 'promote',
    });
    expect(decide(release({ phase: 'paused', step: 3, requests: promote(true) }), plan)).toEqual({
      kind: 'promote',
      skipTo: 5,
    });
    // Paused at a step promote doesn't skip: --full has nothing to skip.
    expect(decide(release({ phase: 'paused', step: 5, requests: promote(true) }), plan)).toEqual({
      kind: 'promote',
    });
  });

  it('promote of a running waiting step skips it; of another step, waits for the next waiting step', () => {
    expect(decide(release({ step: 2, stepState: 'started', requests: promote() }), plan)).toEqual({
      kind: 'promote',
      skipTo: 3,
    });
    expect(decide(release({ step: 1, requests: promote(true) }), plan)).toEqual({
      kind: 'promote',
      skipTo: 5,
    });
    expect(decide(release({ step: 0, requests: promote(true) }), plan)).toEqual({
      kind: 'run',
      list: 'steps',
      index: 0,
    });
    expect(decide(release({ step: 5, requests: promote() }), plan)).toEqual({
      kind: 'run',
      list: 'steps',
      index: 5,
    });
  });

  it('pause holds a running release; abort wins over both', () => {
    const pause = { at: 't', by: 'carol' };
    expect(decide(release({ step: 2, requests: { pause } }), plan)).toEqual({ kind: 'pause', by: 'carol' });
    expect(decide(release({ step: 2, requests: { pause, abort: pause } }), plan)).toMatchObject({
      kind: 'start-rollback',
      outcome: 'aborted',
    });
    expect(
      decide(release({ phase: 'paused', step: 2, requests: { ...promote(), abort: pause } }), plan),
    ).toMatchObject({ kind: 'start-rollback' });
    // A plan without skippable steps (rolling) ignores promote while running.
    expect(decide(release({ step: 1, requests: promote() }), { steps: 2, rollback: 1 })).toEqual({
      kind: 'run',
      list: 'steps',
      index: 1,
    });
  });
});
