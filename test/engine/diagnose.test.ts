import { describe, expect, it } from 'vitest';
import {
  diagnoseDeployment,
  diagnosePods,
  type PodLike,
  readinessTimeoutFor,
} from '../../src/engine/diagnose.js';

const NOW = Date.parse('2026-01-01T00:01:00Z');
const opts = { now: NOW, readinessTimeoutMs: 30_000 };

function pod(name: string, status: PodLike['status'], deleting = false): PodLike {
  return { metadata: { name, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) }, status };
}
const container = (extra: object) => ({ name: 'app', ready: false, restartCount: 3, ...extra });

describe('diagnosePods', () => {
  it('names CrashLoopBackOff with the last exit code', () => {
    const d = diagnosePods(
      [
        pod('a', {
          phase: 'Running',
          containerStatuses: [
            container({
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: { terminated: { exitCode: 2, reason: 'Error', finishedAt: '2026-01-01T00:00:50Z' } },
            }),
          ],
        }),
      ],
      opts,
    );
    expect(d).toMatchObject({
      reason: 'CrashLoopBackOff',
      pod: 'a',
      container: 'app',
      since: Date.parse('2026-01-01T00:00:50Z'),
    });
    expect(d?.message).toContain('last exit code 2 (Error), 3 restarts');
  });

  it('tells OOMKilled apart from other crashes', () => {
    const d = diagnosePods(
      [
        pod('a', {
          phase: 'Running',
          containerStatuses: [
            container({
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
            }),
          ],
        }),
      ],
      opts,
    );
    expect(d?.reason).toBe('OOMKilled');
  });

  it.each(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName'])(
    'names %s with the kubelet message',
    (reason) => {
      const d = diagnosePods(
        [
          pod('a', {
            phase: 'Pending',
            containerStatuses: [container({ state: { waiting: { reason, message: 'manifest unknown' } } })],
          }),
        ],
        opts,
      );
      expect(d).toMatchObject({ reason, message: expect.stringContaining('manifest unknown') });
    },
  );

  it("quotes the scheduler's message for an unschedulable pod", () => {
    const msg = '0/3 nodes are available: 3 Insufficient memory.';
    const d = diagnosePods(
      [
        pod('a', {
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: msg }],
        }),
      ],
      opts,
    );
    expect(d).toMatchObject({ reason: 'Unschedulable', message: expect.stringContaining(msg) });
  });

  it('flags readiness only after the budget, counted from the container start', () => {
    const running = (startedAt: string) =>
      pod('a', {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [container({ state: { running: { startedAt } } })],
      });
    expect(diagnosePods([running('2026-01-01T00:00:31Z')], opts)).toBeUndefined();
    expect(diagnosePods([running('2026-01-01T00:00:30Z')], opts)).toMatchObject({
      reason: 'ReadinessFailing',
      pod: 'a',
    });
  });

  it('ignores healthy, pending and terminating pods, and prefers a hard failure', () => {
    const healthy = pod('a', {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        container({ ready: true, state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }),
      ],
    });
    const pending = pod('b', { phase: 'Pending' });
    const dying = pod(
      'c',
      {
        phase: 'Running',
        containerStatuses: [container({ state: { waiting: { reason: 'CrashLoopBackOff' } } })],
      },
      true,
    );
    expect(diagnosePods([healthy, pending, dying], opts)).toBeUndefined();
    const slow = pod('a', {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [container({ state: { running: { startedAt: '2026-01-01T00:00:00Z' } } })],
    });
    const pull = pod('z', {
      phase: 'Pending',
      containerStatuses: [container({ state: { waiting: { reason: 'ErrImagePull' } } })],
    });
    expect(diagnosePods([slow, pull], opts)?.reason).toBe('ErrImagePull');
  });
});

describe('diagnoseDeployment', () => {
  it('reports ProgressDeadlineExceeded and nothing else', () => {
    expect(
      diagnoseDeployment([
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "x" has timed out progressing.',
        },
      ]),
    ).toMatchObject({
      reason: 'ProgressDeadlineExceeded',
      message: 'ReplicaSet "x" has timed out progressing.',
    });
    expect(
      diagnoseDeployment([{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }]),
    ).toBeUndefined();
  });
});

describe('readinessTimeoutFor', () => {
  it('uses Kubernetes probe defaults and the configured probe', () => {
    expect(readinessTimeoutFor(undefined)).toBe(30_000);
    expect(readinessTimeoutFor({ initialDelaySeconds: 5, periodSeconds: 2, failureThreshold: 5 })).toBe(
      15_000,
    );
  });
});
