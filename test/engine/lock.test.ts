import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import type { ReleaseState } from '../../src/core/release.js';
import { rollbackTarget } from '../../src/engine/api.js';
import {
  decideLock,
  LeaseLock,
  type LeaseObject,
  LockLostError,
  microTime,
  parseHolder,
} from '../../src/engine/lock.js';

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

describe('LeaseLock renewal', () => {
  /** A lease held by `me` behind a stand-in Cluster whose next writes fail with the given errors. */
  function renewing(failures: Error[]) {
    const clock = new VirtualClock({ start: NOW });
    const lease: LeaseObject = {
      metadata: { name: 'kdeploy-web', namespace: 'ns' },
      spec: { holderIdentity: 'me', renewTime: microTime(NOW), leaseDurationSeconds: 15 },
    };
    const cluster = {
      async mutate(_ref: unknown, change: (l: LeaseObject) => LeaseObject | undefined) {
        const failure = failures.shift();
        if (failure) throw failure;
        Object.assign(lease, change(structuredClone(lease)));
        return lease;
      },
    };
    const lock = new LeaseLock(cluster as never, {
      app: 'web',
      namespace: 'ns',
      identity: 'me',
      ttlSeconds: 15,
      clock,
    });
    const lost: Error[] = [];
    lock.startRenewing((err) => lost.push(err));
    return { clock, lease, lost };
  }

  it('rides out a failed renewal (the lease is still ours), and gives up at once when another holder has it', async () => {
    const { clock, lease, lost } = renewing([new Error('HTTP 503')]);
    await clock.advance(5000);
    expect(lost).toEqual([]);
    await clock.advance(5000);
    expect(lease.spec?.renewTime).toBe(microTime(NOW + 10_000));
    expect(lost).toEqual([]);
    lease.spec = { ...lease.spec, holderIdentity: 'someone-else' };
    await clock.advance(5000);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(LockLostError);
  });

  it('reports the lock lost when renewals keep failing until the lease would lapse', async () => {
    const failures = [new Error('HTTP 503'), new Error('HTTP 503')];
    const { clock, lost } = renewing(failures);
    await clock.advance(5000);
    expect(lost).toEqual([]);
    // Renewed at 0 s, failed at 5 s and 10 s: the next try (15 s) would come after the lease lapsed.
    await clock.advance(5000);
    expect(lost.map((e) => e.message)).toEqual(['HTTP 503']);
  });
});
