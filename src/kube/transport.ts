// How an HTTP exchange reaches the API server, apart from what Cluster does with it (paths, retries, 409s,
// errors). Two implementations: transport-kubeconfig.ts (client-node's kubeconfig auth over undici: exec
// plugins, client certificates, proxies — the CLI and the library) and transport-node.ts (node:https with a
// CA and a bearer-token callback — the Lambda, which must not load client-node or undici).

export interface TransportRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  /** Without credentials: the transport adds its own. */
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface StreamResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as decoded text chunks (a chunk may end mid-line); aborting the request's signal ends it with an error. */
  chunks: AsyncIterable<string>;
}

export interface Transport {
  /** The API server's base URL, without a trailing slash. */
  readonly server: string;
  request(request: TransportRequest): Promise<TransportResponse>;
  /** Resolves once the headers arrive; the body streams (watches). */
  stream(request: TransportRequest): Promise<StreamResponse>;
}

/** An HTTP answer that wasn't 2xx, shaped like client-node's ApiException so errors.ts reads both. */
export class ApiStatusError extends Error {
  override name = 'ApiStatusError';
  constructor(
    readonly code: number,
    readonly body: unknown,
    readonly headers: Record<string, string>,
  ) {
    super(`HTTP ${code}: ${(body as { message?: string })?.message ?? JSON.stringify(body)}`);
  }
}

/** The error for a non-2xx answer; a JSON body (a Kubernetes Status) is parsed, anything else kept as text. */
export function statusError(status: number, text: string, headers: Record<string, string>): ApiStatusError {
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Non-JSON error bodies (proxies, load balancers) are kept as text.
  }
  return new ApiStatusError(status, body, headers);
}

export function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Splits streamed text into complete lines (watch events are newline-delimited JSON); a last partial line is kept for the next chunk. */
export async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of chunks) {
    rest += chunk;
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      const line = rest.slice(0, nl).trim();
      rest = rest.slice(nl + 1);
      if (line) yield line;
      nl = rest.indexOf('\n');
    }
  }
  if (rest.trim()) yield rest.trim();
}
