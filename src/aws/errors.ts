// AWS SDK failures in DESIGN.md's terms, for every layer that calls AWS (EKS auth, routers, CloudWatch):
// which are worth a retry, and which exit code a failure means.
import { KdeployError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

// Error names AWS uses for "slow down" and "the previous change to this zone is still in flight".
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'PriorRequestNotComplete',
]);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'TimeoutError']);

/** Whether an AWS call is worth repeating: throttling, a 5xx, or a dropped connection. Never 4xx input errors. */
export function isRetryableAwsError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (THROTTLING.has(e.name) || e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  return NETWORK.has(e.code ?? e.name);
}

/** An AWS-side failure with DESIGN.md's exit code: 2 config doesn't match AWS, 5 unreachable/forbidden, 1 failed. */
export class AwsError extends KdeployError {
  override name = 'AwsError';
  constructor(message: string, exitCode: 1 | 2 | 5, options?: { cause?: unknown }) {
    super(message, exitCode as ExitCode, { kind: 'cloud', cause: options?.cause });
  }
}

const FORBIDDEN =
  /AccessDenied|UnauthorizedOperation|InvalidClientTokenId|ExpiredToken|SignatureDoesNotMatch|UnrecognizedClient/;
const NOT_FOUND = /NotFound|NoSuch/;

/** Maps an SDK error onto an AwsError (or a subclass) whose message says which call failed and why. */
export function toAwsError(
  err: unknown,
  what: string,
  As: new (message: string, exitCode: 1 | 2 | 5, options?: { cause?: unknown }) => AwsError = AwsError,
): Error {
  if (err instanceof AwsError || (err as Error)?.name === 'AbortError') return err as Error;
  const e = err as Error & { $metadata?: { httpStatusCode?: number } };
  const msg = `${what}: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
  if (FORBIDDEN.test(e?.name ?? '') || e?.name === 'CredentialsProviderError') {
    return new As(`${msg} (check the AWS credentials and the IAM policy)`, ExitCode.Unreachable, {
      cause: err,
    });
  }
  if (NOT_FOUND.test(e?.name ?? '')) return new As(msg, ExitCode.BadInput, { cause: err });
  if (isRetryableAwsError(err))
    return new As(`${msg} (gave up after retries)`, ExitCode.Unreachable, { cause: err });
  return new As(msg, ExitCode.Failed, { cause: err });
}
