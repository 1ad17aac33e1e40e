import type { Measurement, MetricProvider, MetricVars } from '../../core/ports.js';
import { fetchFailure, httpFailure, ProviderError, retryableStatus } from '../errors.js';
import { type AwsCredentials, type BoundProvider, type ProviderContext, systemClock } from '../registry.js';
import { promqlString, renderTemplate } from '../template.js';

// Prometheus HTTP API (/api/v1/query, /api/v1/query_range), also Amazon Managed Prometheus (SigV4), Thanos,
// Mimir and the simulator's endpoint. Queries are POSTed form-encoded so long PromQL never hits URL limits.
// Sample values arrive as strings ("0.01", "NaN", "+Inf"): Go's float formatting, which Number() reads except
// for the infinities.

export interface PrometheusOptions {
  address: string;
  query: string;
  /** Measure with a range query over the last `window` instead of an instant query. */
  range?: { window: number; step: number };
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  sigv4?: { region: string; service?: string };
  headers?: Record<string, string>;
  timeout?: number;
}

type Sample = [number, string];
interface Series {
  metric: Record<string, string>;
  value?: Sample;
  values?: Sample[];
}
interface ApiAnswer {
  status: 'success' | 'error';
  data?: { resultType: 'vector' | 'matrix' | 'scalar' | 'string'; result: Series[] | Sample };
  errorType?: string;
  error?: string;
  warnings?: string[];
}

const DEFAULT_TIMEOUT_MS = 30_000;
// errorTypes of the API that a second attempt can fix; bad_data/execution/not_found cannot.
const RETRYABLE_ERROR_TYPES = new Set(['timeout', 'canceled', 'internal', 'unavailable']);

export async function createPrometheus(
  options: PrometheusOptions,
  context: ProviderContext,
): Promise<BoundProvider> {
  return { provider: new PrometheusProvider(options, context), query: options.query };
}

export class PrometheusProvider implements MetricProvider {
  readonly name = 'prometheus';
  private readonly fetch: typeof fetch;

  constructor(
    private readonly options: Omit<PrometheusOptions, 'query'>,
    private readonly context: ProviderContext = {},
  ) {
    this.fetch = context.fetch ?? fetch;
  }

  async measure(query: string, vars: MetricVars, signal?: AbortSignal): Promise<Measurement> {
    if (this.options.range) {
      const now = (this.context.clock ?? systemClock).now();
      const m = await this.measureRange(
        query,
        vars,
        now - this.options.range.window,
        now,
        this.options.range.step,
        signal,
      );
      return { values: m.values, at: m.at, raw: m.raw };
    }
    const data = await this.call('query', { query: renderTemplate(query, vars, promqlString) }, signal);
    return this.toMeasurement(data);
  }

  async measureRange(
    query: string,
    vars: MetricVars,
    from: number,
    to: number,
    stepMs: number,
    signal?: AbortSignal,
  ): Promise<Measurement> {
    const params = {
      query: renderTemplate(query, vars, promqlString),
      start: (from / 1000).toFixed(3),
      end: (to / 1000).toFixed(3),
      step: `${Math.max(stepMs, 1) / 1000}s`,
    };
    return this.toMeasurement(await this.call('query_range', params, signal));
  }

  private toMeasurement(data: NonNullable<ApiAnswer['data']>): Measurement {
    const now = (this.context.clock ?? systemClock).now();
    if (data.resultType === 'scalar') {
      const [ts, v] = data.result as Sample;
      return { values: [sampleValue(v)], at: ts * 1000, raw: data };
    }
    if (data.resultType === 'string')
      throw new ProviderError('the query returned a string, not a number', false);
    const series = data.result as Series[];
    if (data.resultType === 'vector') {
      const values = series.map((s) => sampleValue(s.value![1]));
      const at = series.length ? Math.max(...series.map((s) => s.value![0] * 1000)) : now;
      return { values, at, raw: data };
    }
    // matrix: every sample of every series; points group them by timestamp for replay.
    const byTime = new Map<number, number[]>();
    for (const s of series) {
      for (const [ts, v] of s.values ?? []) {
        const at = Math.round(ts * 1000);
        byTime.set(at, [...(byTime.get(at) ?? []), sampleValue(v)]);
      }
    }
    const points = [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([at, values]) => ({ at, values }));
    return { values: points.flatMap((p) => p.values), at: points.at(-1)?.at ?? now, points, raw: data };
  }

  private async call(api: 'query' | 'query_range', params: Record<string, string>, signal?: AbortSignal) {
    const base = this.options.address.endsWith('/') ? this.options.address : `${this.options.address}/`;
    const url = new URL(`api/v1/${api}`, base);
    const body = new URLSearchParams(params).toString();
    const headers = await this.headers(url, body);
    const timeout = AbortSignal.timeout(this.options.timeout ?? DEFAULT_TIMEOUT_MS);
    let res: Response;
    try {
      res = await this.fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw fetchFailure(`prometheus ${url.origin}`, err);
    }
    const what = `prometheus ${api} at ${url.origin}`;
    const text = await res.text();
    let answer: ApiAnswer | undefined;
    try {
      answer = JSON.parse(text) as ApiAnswer;
    } catch {
      // Not JSON: a proxy's error page, or not Prometheus at all.
    }
    if (answer?.status === 'error') {
      throw new ProviderError(
        `${what}: ${answer.errorType ?? 'error'}: ${answer.error ?? 'no message'}`,
        RETRYABLE_ERROR_TYPES.has(answer.errorType ?? '') || retryableStatus(res.status),
      );
    }
    if (!res.ok) throw httpFailure(what, res.status, text);
    if (answer?.status !== 'success' || !answer.data) {
      throw new ProviderError(`${what}: not a Prometheus API answer: ${text.slice(0, 120)}`, false);
    }
    return answer.data;
  }

  private async headers(url: URL, body: string): Promise<Record<string, string>> {
    const o = this.options;
    const headers: Record<string, string> = {
      ...o.headers,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (o.bearerToken) headers.authorization = `Bearer ${o.bearerToken}`;
    if (o.basicAuth) {
      headers.authorization = `Basic ${Buffer.from(`${o.basicAuth.username}:${o.basicAuth.password}`).toString('base64')}`;
    }
    if (o.sigv4) return signSigV4(url, body, headers, o.sigv4, this.context.awsCredentials);
    return headers;
  }
}

/** Signs a POST for Amazon Managed Prometheus (service `aps`); the signer and credentials load lazily. */
async function signSigV4(
  url: URL,
  body: string,
  headers: Record<string, string>,
  sigv4: { region: string; service?: string },
  credentials?: AwsCredentials,
): Promise<Record<string, string>> {
  const [{ SignatureV4 }, { Sha256 }] = await Promise.all([
    import('@smithy/signature-v4'),
    import('@aws-crypto/sha256-js'),
  ]);
  const signer = new SignatureV4({
    service: sigv4.service ?? 'aps',
    region: sigv4.region,
    sha256: Sha256,
    credentials: credentials ?? (await import('@aws-sdk/credential-providers')).fromNodeProviderChain(),
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query: {},
    headers: { ...headers, host: url.host },
    body,
  });
  // fetch sets Host itself from the URL (the same value that was signed).
  const { host: _host, ...rest } = signed.headers;
  return rest;
}

function sampleValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}
