import { KdeployError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

/**
 * A provider could not take a measurement. `retryable` says whether asking again can help (a timeout, a 503,
 * a dropped connection) or not (a PromQL syntax error, 403). Either way the measurement ends in the `error`
 * phase, which counts against consecutiveErrorLimit and never as a failed measurement.
 */
export class ProviderError extends KdeployError {
  override name = 'ProviderError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, ExitCode.Unreachable, { kind: 'provider', cause: options?.cause });
  }
}

/** HTTP statuses worth another try: throttling and server-side trouble. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Whether an error from a provider is worth a retry; unknown errors (network failures) are. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ProviderError) return err.retryable;
  return (err as Error | undefined)?.name !== 'AbortError';
}

/** A failed HTTP answer: the status and the start of the body. */
export function httpFailure(what: string, status: number, body: string): ProviderError {
  const excerpt = body.replace(/\s+/g, ' ').trim().slice(0, 200);
  return new ProviderError(
    `${what}: HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`,
    retryableStatus(status),
  );
}

/** A failed fetch (no answer at all): timed out, refused, reset. */
export function fetchFailure(what: string, err: unknown): ProviderError {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const detail =
    e.name === 'TimeoutError'
      ? 'timed out'
      : e.cause?.code
        ? `${e.cause.code} ${e.cause.message ?? ''}`.trim()
        : e.message;
  return new ProviderError(`${what}: ${detail}`, true, { cause: err });
}
