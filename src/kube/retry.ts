import pRetry from 'p-retry';
import { networkCodeOf, type RequestTarget, statusOf, toKubeError } from './errors.js';

export interface RetryOptions {
  /** Attempts after the first one. */
  retries?: number;
  minTimeoutMs?: number;
  maxTimeoutMs?: number;
  signal?: AbortSignal;
}

const DEFAULTS = { retries: 5, minTimeoutMs: 200, maxTimeoutMs: 5_000 };

/** Transient failures worth another try: throttling, server errors, dropped connections. */
export function isTransient(err: unknown): boolean {
  const status = statusOf(err);
  if (status === undefined) return networkCodeOf(err) !== undefined;
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** The wait a 429/503 asked for with Retry-After, in ms (capped). */
function retryAfterMs(err: unknown): number {
  const headers = (err as { headers?: Record<string, string> })?.headers;
  const seconds = Number(headers?.['retry-after'] ?? headers?.['Retry-After']);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, 30_000) : 0;
}

/**
 * Runs a request with exponential backoff and jitter on 429/5xx/connection resets. Anything else
 * (404, 409, 403, 422) is final at once: retrying cannot change the answer. Failures come out as KubeError.
 */
export async function withRetry<T>(
  fn: () => Promise<T>,
  target: RequestTarget,
  options: RetryOptions = {},
  server?: string,
): Promise<T> {
  const o = { ...DEFAULTS, ...options };
  try {
    return await pRetry(fn, {
      retries: o.retries,
      minTimeout: o.minTimeoutMs,
      maxTimeout: o.maxTimeoutMs,
      factor: 2,
      randomize: true,
      signal: o.signal,
      shouldRetry: ({ error }) => isTransient(error),
      onFailedAttempt: async ({ error }) => {
        const wait = retryAfterMs(error);
        if (wait) await new Promise((resolve) => setTimeout(resolve, wait));
      },
    });
  } catch (err) {
    throw toKubeError(err, target, server);
  }
}
