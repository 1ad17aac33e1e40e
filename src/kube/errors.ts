// Errors from cluster access, mapped to DESIGN.md's exit codes: 5 when the cluster is unreachable or a
// verb is forbidden (state left safe), 2 for bad input such as an unknown kubeconfig context.

import { KdeployError } from '../core/errors.js';
import type { ExitCode } from '../core/exit-codes.js';

/** What a request was doing, so an error can name the verb, resource and namespace. */
export interface RequestTarget {
  verb: string;
  resource: string;
  name?: string;
  namespace?: string;
}

export function describeTarget(t: RequestTarget): string {
  const what = t.name ? `${t.resource}/${t.name}` : t.resource;
  return `${t.verb} ${what}${t.namespace ? ` in namespace ${t.namespace}` : ''}`;
}

export class KubeError extends KdeployError {
  override name = 'KubeError';
  constructor(
    message: string,
    /** HTTP status, or 0 when no answer came (connection refused, reset, DNS, TLS). */
    readonly status: number,
    /** Kubernetes Status reason (NotFound, Conflict, AlreadyExists, Forbidden…), or the network error code. */
    readonly reason: string,
    exitCode: ExitCode,
    readonly target?: RequestTarget,
    options?: { cause?: unknown },
  ) {
    super(message, exitCode, { kind: 'kube', cause: options?.cause });
  }
}

export class KubeConfigError extends KubeError {
  override name = 'KubeConfigError';
  override readonly kind = 'input';
  constructor(message: string) {
    super(message, 0, 'BadKubeconfig', 2);
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** The HTTP status of a client-node error, or undefined when the request got no answer. */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof KubeError) return err.status || undefined;
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The network error code (ECONNRESET…) buried in a fetch error's cause chain. */
export function networkCodeOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    if (
      e instanceof Error &&
      /socket hang up|other side closed|fetch failed|terminated/i.test(e.message) &&
      depth > 0
    ) {
      return 'ECONNRESET';
    }
  }
  if (err instanceof Error && /fetch failed|socket hang up|other side closed/i.test(err.message))
    return 'ECONNRESET';
  return undefined;
}

function statusBody(err: unknown): { reason?: string; message?: string } {
  let body = (err as { body?: unknown })?.body;
  if (typeof body === 'string') {
    const text = body;
    try {
      body = JSON.parse(text);
    } catch {
      return { message: text };
    }
  }
  return (body as { reason?: string; message?: string }) ?? {};
}

/** Turns whatever client-node threw into a KubeError that says what failed and what to do. */
export function toKubeError(err: unknown, target: RequestTarget, server?: string): KubeError {
  if (err instanceof KubeError) return err;
  const status = statusOf(err);
  const where = describeTarget(target);
  if (status === undefined) {
    const code = networkCodeOf(err) ?? 'Unreachable';
    const msg = err instanceof Error ? err.message : String(err);
    return new KubeError(
      `cannot reach the cluster${server ? ` at ${server}` : ''} to ${where}: ${code === 'Unreachable' ? msg : `${code} (${msg})`}`,
      0,
      code,
      5,
      target,
      { cause: err },
    );
  }
  const body = statusBody(err);
  const reason = body.reason ?? String(status);
  const detail = body.message ?? (err instanceof Error ? err.message : '');
  if (status === 401) {
    return new KubeError(
      `not authenticated to ${where}: ${detail} (check the kubeconfig user or token)`,
      status,
      'Unauthorized',
      5,
      target,
      { cause: err },
    );
  }
  if (status === 403) {
    return new KubeError(
      `forbidden: kdeploy may not ${where}. Grant it with the Role from \`kdeploy rbac\`. (${detail})`,
      status,
      'Forbidden',
      5,
      target,
      { cause: err },
    );
  }
  const exitCode = status >= 500 || status === 429 ? 5 : 1;
  return new KubeError(`${where} failed: ${status} ${reason}: ${detail}`, status, reason, exitCode, target, {
    cause: err,
  });
}
