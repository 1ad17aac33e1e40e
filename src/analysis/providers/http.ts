import { JSONPath } from 'jsonpath-plus';
import type { Measurement, MetricProvider, MetricVars } from '../../core/ports.js';
import { fetchFailure, httpFailure, ProviderError } from '../errors.js';
import { type BoundProvider, type ProviderContext, systemClock } from '../registry.js';
import { renderTemplate, urlComponent, verbatim } from '../template.js';

// GET a JSON endpoint (a health or stats page of the app, a vendor API) and pick values with JSONPath.
// Every match is a value: `$.errorRate` gives one, `$.pods[*].errors` one per pod. No match is no data.

export interface HttpOptions {
  url: string;
  headers?: Record<string, string>;
  jsonPath: string;
  timeout?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export async function createHttp(options: HttpOptions, context: ProviderContext): Promise<BoundProvider> {
  return { provider: new HttpProvider(options, context), query: options.url };
}

export class HttpProvider implements MetricProvider {
  readonly name = 'http';
  private readonly fetch: typeof fetch;

  constructor(
    private readonly options: Omit<HttpOptions, 'url'>,
    private readonly context: ProviderContext = {},
  ) {
    this.fetch = context.fetch ?? fetch;
  }

  /** `query` is the URL template; variables are URL-encoded where they land. */
  async measure(query: string, vars: MetricVars, signal?: AbortSignal): Promise<Measurement> {
    const url = renderTemplate(query, vars, urlComponent);
    const headers: Record<string, string> = { accept: 'application/json' };
    for (const [k, v] of Object.entries(this.options.headers ?? {}))
      headers[k] = renderTemplate(v, vars, verbatim);
    const timeout = AbortSignal.timeout(this.options.timeout ?? DEFAULT_TIMEOUT_MS);
    const what = `GET ${redact(url)}`;
    let res: Response;
    try {
      res = await this.fetch(url, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw fetchFailure(what, err);
    }
    const text = await res.text();
    if (!res.ok) throw httpFailure(what, res.status, text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ProviderError(`${what}: the answer is not JSON: ${text.slice(0, 120)}`, false);
    }
    // eval 'safe': filter expressions ([?(@.x > 1)]) run in jsonpath-plus's own interpreter, never as JS.
    const matches = JSONPath({
      path: this.options.jsonPath,
      json: json as object,
      wrap: true,
      eval: 'safe',
    }) as unknown[];
    const values = matches.map((m) => toNumber(m, this.options.jsonPath, what));
    return { values, at: (this.context.clock ?? systemClock).now(), raw: json };
  }
}

function toNumber(value: unknown, path: string, what: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  throw new ProviderError(
    `${what}: ${path} matched ${JSON.stringify(value)?.slice(0, 60)}, not a number`,
    false,
  );
}

/** The URL without credentials or query string, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url.split('?')[0]!;
  }
}
