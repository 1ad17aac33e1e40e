import type * as Elbv2Sdk from '@aws-sdk/client-elastic-load-balancing-v2';
import type * as Route53Sdk from '@aws-sdk/client-route-53';
import pRetry from 'p-retry';
import { AwsError, isRetryableAwsError, toAwsError } from '../aws/errors.js';
import type { Clock } from '../core/ports.js';

// Shared AWS plumbing for the routers: SDK clients that are imported only when a router first needs them
// (the CLI's start-up never pays for the AWS SDK), an endpoint override (how tests reach moto), and one
// retry policy. The SDK's own retries are switched off (maxAttempts: 1) so that every retry is visible
// here and its back-off sleeps on the injected Clock: two stacked retry layers would multiply attempts.

/** Where and as whom to call AWS. Anything unset falls back to the SDK's default chains. */
export interface AwsAccess {
  region?: string;
  endpoint?: string;
  credentials?: Elbv2Sdk.ElasticLoadBalancingV2ClientConfig['credentials'];
}

// Return types are spelled out so declarations (dist/types) name only packages kdeploy depends on.
export function clientConfig(access: AwsAccess): AwsAccess & { maxAttempts: number } {
  return {
    ...(access.region ? { region: access.region } : {}),
    ...(access.endpoint ? { endpoint: access.endpoint } : {}),
    ...(access.credentials ? { credentials: access.credentials } : {}),
    maxAttempts: 1,
  };
}

/** The ELBv2 SDK module and a client, loaded on first use. */
export async function loadElbv2(
  access: AwsAccess,
): Promise<{ sdk: typeof Elbv2Sdk; client: Elbv2Sdk.ElasticLoadBalancingV2Client }> {
  const sdk = await import('@aws-sdk/client-elastic-load-balancing-v2');
  return { sdk, client: new sdk.ElasticLoadBalancingV2Client(clientConfig(access)) };
}
export type Elbv2 = Awaited<ReturnType<typeof loadElbv2>>;

/** The Route 53 SDK module and a client, loaded on first use. Route 53 is global; its API lives in us-east-1. */
export async function loadRoute53(
  access: AwsAccess,
): Promise<{ sdk: typeof Route53Sdk; client: Route53Sdk.Route53Client }> {
  const sdk = await import('@aws-sdk/client-route-53');
  return { sdk, client: new sdk.Route53Client(clientConfig({ region: 'us-east-1', ...access })) };
}
export type Route53 = Awaited<ReturnType<typeof loadRoute53>>;

/** Memoises an async factory, forgetting a failure so the next call tries again. */
export function lazy<T>(make: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= make().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

/** The region inside an ARN (`arn:aws:elasticloadbalancing:<region>:…`), if it has one. */
export function regionOfArn(arn: string): string | undefined {
  return arn.split(':')[3] || undefined;
}

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  baseMs: number;
  maxMs: number;
  /** Source of jitter in [0, 1); injectable so tests are deterministic. */
  random: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 6, baseMs: 250, maxMs: 20_000, random: Math.random };

/** "Full jitter" back-off (AWS Architecture Blog): a uniform delay in [0, min(max, base·2^(n-1))]. */
export function backoffMs(attempt: number, policy: RetryPolicy): number {
  return Math.floor(policy.random() * Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1)));
}

/**
 * Runs `call`, retrying throttling/transient AWS errors with jittered exponential back-off that sleeps on
 * `clock` (virtual in tests and `simulate`). Non-retryable errors surface at once.
 */
export function withAwsRetry<T>(
  call: () => Promise<T>,
  clock: Clock,
  signal?: AbortSignal,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<T> {
  return pRetry(call, {
    retries: policy.retries,
    minTimeout: 0, // p-retry's own timer is real time; the delay is taken on the Clock in onFailedAttempt
    signal,
    shouldRetry: ({ error }) => isRetryableAwsError(error),
    onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
      if (retriesLeft > 0 && isRetryableAwsError(error))
        await clock.sleep(backoffMs(attemptNumber, policy), signal);
    },
  });
}

/** An AWS-side failure of a router (the listener, rule, records or Ingress it was given). */
export class AwsRouterError extends AwsError {
  override name = 'AwsRouterError';
}

/** Maps an SDK error onto an AwsRouterError whose message says which call failed and why. */
export const toAwsRouterError = (err: unknown, what: string): Error => toAwsError(err, what, AwsRouterError);

/** One AWS call: retried per the policy, errors named after `what`. */
export async function awsCall<T>(
  what: string,
  call: () => Promise<T>,
  clock: Clock,
  signal?: AbortSignal,
  policy?: RetryPolicy,
): Promise<T> {
  try {
    return await withAwsRetry(call, clock, signal, policy);
  } catch (err) {
    throw toAwsRouterError(err, what);
  }
}

/** Polls `check` on the clock until it returns a value; undefined once `timeoutMs` has passed without one. */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  options: { clock: Clock; timeoutMs: number; intervalMs: number; signal?: AbortSignal },
): Promise<T | undefined> {
  const deadline = options.clock.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    const left = deadline - options.clock.now();
    if (left <= 0) return undefined;
    await options.clock.sleep(Math.min(options.intervalMs, left), options.signal);
  }
}
