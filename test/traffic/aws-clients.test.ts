import { describe, expect, it } from 'vitest';
import { isRetryableAwsError } from '../../src/aws/errors.js';
import {
  AwsRouterError,
  awsCall,
  backoffMs,
  pollUntil,
  type RetryPolicy,
  toAwsRouterError,
  withAwsRetry,
} from '../../src/traffic/aws-clients.js';
import { SteppingClock } from '../support/stepping-clock.js';

const awsError = (name: string, status: number) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

const policy: RetryPolicy = { retries: 3, baseMs: 100, maxMs: 250, random: () => 0.999 };

describe('isRetryableAwsError', () => {
  it('retries throttling, PriorRequestNotComplete, 5xx and dropped connections; not input errors', () => {
    expect(isRetryableAwsError(awsError('Throttling', 400))).toBe(true);
    expect(isRetryableAwsError(awsError('PriorRequestNotComplete', 400))).toBe(true);
    expect(isRetryableAwsError(awsError('InternalFailure', 500))).toBe(true);
    expect(isRetryableAwsError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryableAwsError(awsError('ValidationError', 400))).toBe(false);
    expect(isRetryableAwsError(awsError('AccessDenied', 403))).toBe(false);
    expect(isRetryableAwsError('nope')).toBe(false);
  });
});

describe('withAwsRetry', () => {
  it('backs off exponentially with full jitter, capped, on the injected clock', async () => {
    const clock = new SteppingClock();
    let calls = 0;
    const result = await withAwsRetry(
      async () => {
        if (++calls <= 3) throw awsError('Throttling', 400);
        return 'ok';
      },
      clock,
      undefined,
      policy,
    );
    expect(result).toBe('ok');
    expect(calls).toBe(4);
    expect(clock.sleeps).toEqual([99, 199, 249]); // 0.999 × min(250, 100·2^(n-1))
    expect(backoffMs(10, { ...policy, random: () => 0 })).toBe(0);
  });

  it('surfaces a non-retryable error at once', async () => {
    const clock = new SteppingClock();
    let calls = 0;
    await expect(
      withAwsRetry(
        async () => {
          calls++;
          throw awsError('ValidationError', 400);
        },
        clock,
        undefined,
        policy,
      ),
    ).rejects.toThrow('ValidationError happened');
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });
});

describe('toAwsRouterError', () => {
  it('maps errors onto exit codes with the call named', () => {
    const denied = toAwsRouterError(awsError('AccessDenied', 403), 'elbv2:ModifyListener arn:x');
    expect(denied).toBeInstanceOf(AwsRouterError);
    expect(denied).toMatchObject({
      exitCode: 5,
      message: expect.stringMatching(/^elbv2:ModifyListener arn:x: AccessDenied.*IAM policy/),
    });
    expect(toAwsRouterError(awsError('ListenerNotFound', 400), 'x')).toMatchObject({ exitCode: 2 });
    expect(toAwsRouterError(awsError('InvalidLoadBalancerAction', 400), 'x')).toMatchObject({ exitCode: 1 });
  });

  it('awsCall wraps what the retries gave up on', async () => {
    await expect(
      awsCall(
        'route53:GetChange C1',
        () => Promise.reject(awsError('Throttling', 400)),
        new SteppingClock(),
        undefined,
        policy,
      ),
    ).rejects.toMatchObject({
      exitCode: 5,
      message: expect.stringMatching(/route53:GetChange C1: Throttling.*gave up/),
    });
  });
});

describe('pollUntil', () => {
  it('polls on the clock and gives up at the deadline', async () => {
    const clock = new SteppingClock();
    let checks = 0;
    const value = await pollUntil(async () => (++checks === 3 ? 'done' : undefined), {
      clock,
      timeoutMs: 60_000,
      intervalMs: 5_000,
    });
    expect(value).toBe('done');
    expect(clock.sleeps).toEqual([5_000, 5_000]);
    const none = await pollUntil(async () => undefined, { clock, timeoutMs: 12_000, intervalMs: 5_000 });
    expect(none).toBeUndefined();
    expect(clock.sleeps.slice(2)).toEqual([5_000, 5_000, 2_000]);
  });
});
