import type { CloudWatchClient, MetricDataQuery, MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { Measurement, MetricProvider, MetricVars } from '../../core/ports.js';
import { ProviderError, retryableStatus } from '../errors.js';
import { type BoundProvider, type ProviderContext, systemClock } from '../registry.js';
import { renderTemplate, verbatim } from '../template.js';

// CloudWatch GetMetricData (ALB HTTPCode_Target_5XX_Count, TargetResponseTime … by TargetGroup). The query is
// the MetricDataQueries list; every string in it is a template ({{app}}, {{canaryVersion}}), rendered leaf by
// leaf so a value can't change the request's structure. The query that returns data (ReturnData, default
// true) gives the values, newest first: `result` is the latest datapoint in the window. ALB metrics exist
// only while requests flow, so an empty window is no data, not zero errors.
//
// The client is pinned to the AWS JSON 1.0 protocol: CloudWatch also speaks Smithy RPCv2 CBOR, which newer
// SDKs may default to and which emulators such as moto don't implement; JSON 1.0 works with both.

export interface CloudWatchOptions {
  region?: string;
  endpoint?: string;
  /** How far back a live measurement looks. */
  window: number;
  queries: Record<string, unknown>[];
}

export async function createCloudWatch(
  options: CloudWatchOptions,
  context: ProviderContext,
): Promise<BoundProvider> {
  return { provider: new CloudWatchProvider(options, context), query: JSON.stringify(options.queries) };
}

export class CloudWatchProvider implements MetricProvider {
  readonly name = 'cloudwatch';
  private client?: Promise<{
    client: CloudWatchClient;
    GetMetricDataCommand: typeof import('@aws-sdk/client-cloudwatch').GetMetricDataCommand;
  }>;

  constructor(
    private readonly options: Omit<CloudWatchOptions, 'queries'>,
    private readonly context: ProviderContext = {},
  ) {}

  /** `query` is the MetricDataQueries list as JSON. */
  async measure(query: string, vars: MetricVars, signal?: AbortSignal): Promise<Measurement> {
    const now = (this.context.clock ?? systemClock).now();
    const m = await this.measureRange(query, vars, now - this.options.window, now, 0, signal);
    const newestFirst = [...(m.points ?? [])].reverse();
    return { values: newestFirst.flatMap((p) => p.values), at: newestFirst[0]?.at ?? now, raw: m.raw };
  }

  /** Datapoints in [from, to]; their spacing is each MetricStat's Period, so `stepMs` is not used. */
  async measureRange(
    query: string,
    vars: MetricVars,
    from: number,
    to: number,
    _stepMs: number,
    signal?: AbortSignal,
  ): Promise<Measurement> {
    const queries = renderLeaves(JSON.parse(query), vars) as MetricDataQuery[];
    // CloudWatch rounds a recent StartTime down to the minute, so periods start on whole minutes; say so
    // explicitly (emulators bin periods from StartTime as given). EndTime is exclusive; the window includes `to`.
    const start = new Date(Math.floor(from / 60_000) * 60_000);
    const results = await this.getMetricData(queries, start, new Date(to + 1), signal);
    const byTime = new Map<number, number[]>();
    for (const r of results) {
      (r.Timestamps ?? []).forEach((ts, i) => {
        const at = ts.getTime();
        byTime.set(at, [...(byTime.get(at) ?? []), r.Values?.[i] ?? Number.NaN]);
      });
    }
    const points = [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([at, values]) => ({ at, values }));
    return { values: points.flatMap((p) => p.values), at: points.at(-1)?.at ?? to, points, raw: results };
  }

  private async getMetricData(queries: MetricDataQuery[], start: Date, end: Date, signal?: AbortSignal) {
    const { client, GetMetricDataCommand } = await this.sdk();
    const byId = new Map<string, MetricDataResult>();
    let nextToken: string | undefined;
    do {
      let out: import('@aws-sdk/client-cloudwatch').GetMetricDataCommandOutput;
      try {
        out = await client.send(
          new GetMetricDataCommand({
            MetricDataQueries: queries,
            StartTime: start,
            EndTime: end,
            ScanBy: 'TimestampAscending',
            NextToken: nextToken,
          }),
          { abortSignal: signal },
        );
      } catch (err) {
        if (signal?.aborted) throw err;
        throw sdkFailure(err);
      }
      for (const r of out.MetricDataResults ?? []) {
        if (r.StatusCode === 'Forbidden')
          throw new ProviderError(`cloudwatch ${r.Id}: forbidden ${messages(r)}`, false);
        if (r.StatusCode === 'InternalError')
          throw new ProviderError(`cloudwatch ${r.Id}: internal error ${messages(r)}`, true);
        const seen = byId.get(r.Id ?? '');
        if (seen) {
          seen.Timestamps = [...(seen.Timestamps ?? []), ...(r.Timestamps ?? [])];
          seen.Values = [...(seen.Values ?? []), ...(r.Values ?? [])];
        } else byId.set(r.Id ?? '', { ...r });
      }
      nextToken = out.NextToken;
    } while (nextToken);
    return [...byId.values()];
  }

  private sdk() {
    this.client ??= (async () => {
      const [{ CloudWatchClient, GetMetricDataCommand }, { AwsJson1_0Protocol }] = await Promise.all([
        import('@aws-sdk/client-cloudwatch'),
        import('@aws-sdk/core/protocols'),
      ]);
      const client = new CloudWatchClient({
        region: this.options.region,
        endpoint: this.options.endpoint,
        credentials: this.context.awsCredentials,
        protocol: AwsJson1_0Protocol,
      });
      return { client, GetMetricDataCommand };
    })();
    return this.client;
  }
}

/** Renders every string in a JSON value as a template; keys and structure stay as written. */
function renderLeaves(value: unknown, vars: MetricVars): unknown {
  if (typeof value === 'string') return renderTemplate(value, vars, verbatim);
  if (Array.isArray(value)) return value.map((v) => renderLeaves(v, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderLeaves(v, vars)]));
  }
  return value;
}

function messages(r: MetricDataResult): string {
  return (r.Messages ?? []).map((m) => `${m.Code}: ${m.Value}`).join('; ');
}

function sdkFailure(err: unknown): ProviderError {
  const e = err as Error & { $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e.$metadata?.httpStatusCode;
  const retryable = e.$retryable !== undefined || status === undefined || retryableStatus(status);
  return new ProviderError(`cloudwatch GetMetricData: ${e.name}: ${e.message}`, retryable, { cause: err });
}
