import { describe, expect, it } from 'vitest';
import { rollbackTarget } from '../../src/engine/api.js';
import { decideLock, microTime, parseHolder } from '../../src/engine/lock.js';
import type { ReleaseState } from '../../src/engine/types.js';

const NOW = Date.parse('2026-01-01T00:00:30Z');

describe('decideLock', () => {
  it('acquires a free lease and renews its own', () => {
    expect(decideLock(undefined, 'me', NOW)).toEqual({ kind: 'acquire' });
    expect(decideLock({ holderIdentity: null }, 'me', NOW)).toEqual({ kind: 'acquire' });
    expect(
      decideLock(
        { holderIdentity: 'me', renewTime: '2026-01-01T00:00:29.000000Z', leaseDurationSeconds: 15 },
        'me',
        NOW,
      ),
    ).toEqual({ kind: 'renew' });
  });

  it('refuses a live lease, naming the holder and when it expires', () => {
    expect(
      decideLock(
        { holderIdentity: 'h/1/r', renewTime: '2026-01-01T00:00:20.000000Z', leaseDurationSeconds: 15 },
        'me',
        NOW,
      ),
    ).toEqual({ kind: 'held', holder: 'h/1/r', expiresInMs: 5000 });
  });

  it('takes over a lease not renewed for its TTL, or whose holder is known dead', () => {
    expect(
      decideLock(
        { holderIdentity: 'h/1/r', renewTime: '2026-01-01T00:00:10.000000Z', leaseDurationSeconds: 15 },
        'me',
        NOW,
      ),
    ).toEqual({ kind: 'take-over', previousHolder: 'h/1/r', expiredAgoMs: 5000 });
    expect(
      decideLock(
        { holderIdentity: 'h/1/r', renewTime: '2026-01-01T00:00:29.000000Z', leaseDurationSeconds: 15 },
        'me',
        NOW,
        true,
      ),
    ).toMatchObject({ kind: 'take-over' });
  });
});

describe('lease formats', () => {
  it('writes MicroTime with six fractional digits', () => {
    expect(microTime(Date.parse('2026-01-02T15:04:05.123Z'))).toBe('2026-01-02T15:04:05.123000Z');
  });
  it('parses holder identities', () => {
    expect(parseHolder('ci-runner-7/4242/20260101-000000-ab12')).toEqual({
      host: 'ci-runner-7',
      pid: 4242,
      releaseId: '20260101-000000-ab12',
    });
    expect(parseHolder('someone else')).toBeUndefined();
  });
});

describe('rollbackTarget', () => {
  const r = (id: string, version: string, phase: ReleaseState['phase'], from?: string) =>
    ({
      id,
      phase,
      to: { version, image: `web:${version}` },
      from: from ? { version: from, image: `web:${from}` } : null,
    }) as ReleaseState;
  it('goes back to the newest successful version other than the running one', () => {
    expect(
      rollbackTarget(r('3', 'v3', 'completed', 'v2'), [r('2', 'v2', 'completed'), r('1', 'v1', 'completed')]),
    ).toEqual({ version: 'v2', image: 'web:v2' });
    // v3 failed, so the app runs v2: go to v1.
    expect(
      rollbackTarget(r('3', 'v3', 'failed', 'v2'), [r('2', 'v2', 'completed'), r('1', 'v1', 'completed')]),
    ).toEqual({ version: 'v1', image: 'web:v1' });
    expect(rollbackTarget(r('1', 'v1', 'completed'), [])).toBeUndefined();
  });
});
