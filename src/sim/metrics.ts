// Scenario metrics served Prometheus-style. For every (namespace, app, version, track) with Ready pods the
// simulated cluster exposes three gauges, labelled {namespace, app, version, track}:
//
//   kdeploy_requests_per_second   the app's scenario request rate, shared by Ready pod count (so with the
//                                 `replicas` router a canary's share follows its pod ratio)
//   kdeploy_error_rate            fraction of requests failing, 0..1
//   kdeploy_latency_p99_seconds   99th percentile latency
//
// `app` is the pod label `app` (or `app.kubernetes.io/name`); `version` is the image tag of the pod's first
// container; `track` is the pod label `kdeploy.dev/track` (`canary`, `baseline`; or `track`), `stable` for
// pods without one, so a canary's baseline (same version as stable) is measured apart from the stable pods.
// Values come from the scenario: changes at a virtual time, per-version settings (tag globs), per-track
// settings, then the default; plus free-form `series`. A version with no Ready pods has no series: queries
// return an empty result. Range queries evaluate the scenario at each step against the pods present now.

import { LABELS } from '../core/labels.js';
import type { SimApi } from './api.js';
import { isPodReady } from './controllers/util.js';
import { evaluate, PromQLError, type Sample } from './promql.js';
import { resourceByName } from './resources.js';
import { globMatch, imageTag, type Scenario } from './scenario.js';
import type { PromResponse } from './server.js';

const PODS = resourceByName('pods');
const BUILTIN_DEFAULTS = { errorRate: 0.001, latencyP99: 0.12 };

type Field = 'errorRate' | 'latencyP99';

export class ScenarioMetrics {
  constructor(
    private readonly api: SimApi,
    private readonly scenario: Scenario,
    /** Virtual time the cluster started; `changes[].at` counts from here. */
    private readonly startedAt: number,
    private readonly now: () => number,
  ) {}

  private value(version: string, track: string, field: Field, at: number): number {
    const { metrics } = this.scenario;
    const elapsed = at - this.startedAt;
    const changed = metrics.changes
      .filter((c) => c.at <= elapsed && c[field] !== undefined && globMatch(c.version, version))
      .sort((a, b) => a.at - b.at)
      .pop();
    if (changed) return changed[field]!;
    const perVersion = Object.entries(metrics.versions).find(
      ([glob, v]) => globMatch(glob, version) && v[field] !== undefined,
    );
    return (
      perVersion?.[1][field] ??
      metrics.tracks[track]?.[field] ??
      metrics.default[field] ??
      BUILTIN_DEFAULTS[field]
    );
  }

  /** All series at virtual time `at`. */
  series(at: number): Sample[] {
    const ready = new Map<
      string,
      { namespace: string; app: string; version: string; track: string; pods: number }
    >();
    const perApp = new Map<string, number>();
    for (const pod of this.api.scan(PODS)) {
      const app = pod.metadata.labels?.app ?? pod.metadata.labels?.['app.kubernetes.io/name'];
      if (!app || !isPodReady(pod)) continue;
      const version = imageTag(pod.spec?.containers?.[0]?.image ?? '');
      const track = pod.metadata.labels?.[LABELS.track] ?? pod.metadata.labels?.track ?? 'stable';
      const key = JSON.stringify([pod.metadata.namespace, app, version, track]);
      const entry = ready.get(key) ?? { namespace: pod.metadata.namespace!, app, version, track, pods: 0 };
      entry.pods++;
      ready.set(key, entry);
      const appKey = JSON.stringify([pod.metadata.namespace, app]);
      perApp.set(appKey, (perApp.get(appKey) ?? 0) + 1);
    }
    const out: Sample[] = [];
    for (const { namespace, app, version, track, pods } of ready.values()) {
      const labels = { namespace, app, version, track };
      const share = pods / perApp.get(JSON.stringify([namespace, app]))!;
      out.push({
        metric: { __name__: 'kdeploy_requests_per_second', ...labels },
        value: this.scenario.metrics.requestRate * share,
      });
      out.push({
        metric: { __name__: 'kdeploy_error_rate', ...labels },
        value: this.value(version, track, 'errorRate', at),
      });
      out.push({
        metric: { __name__: 'kdeploy_latency_p99_seconds', ...labels },
        value: this.value(version, track, 'latencyP99', at),
      });
    }
    for (const s of this.scenario.metrics.series) {
      const elapsed = at - this.startedAt;
      const changed = s.changes
        .filter((c) => c.at <= elapsed)
        .sort((a, b) => a.at - b.at)
        .pop();
      out.push({ metric: { __name__: s.name, ...s.labels }, value: changed?.value ?? s.value });
    }
    return out;
  }

  /** `/api/v1/query` and `/api/v1/query_range`, answering in Prometheus' JSON shapes. */
  handle(path: 'query' | 'query_range', params: URLSearchParams): PromResponse {
    const query = params.get('query');
    try {
      if (!query) throw new PromQLError('invalid parameter "query": missing');
      if (path === 'query') {
        const at = timeParam(params.get('time'), 'time') ?? this.now();
        const v = evaluate(query, this.series(at));
        const ts = at / 1000;
        if (v.kind === 'scalar') return success({ resultType: 'scalar', result: [ts, String(v.value)] });
        return success({
          resultType: 'vector',
          result: v.samples.map((s) => ({ metric: s.metric, value: [ts, formatValue(s.value)] })),
        });
      }
      const start = timeParam(params.get('start'), 'start');
      const end = timeParam(params.get('end'), 'end');
      const step = stepParam(params.get('step'));
      if (start === undefined || end === undefined)
        throw new PromQLError('invalid parameter "start"/"end": missing');
      if (end < start)
        throw new PromQLError('invalid parameter "end": end timestamp must not be before start time');
      if ((end - start) / step > 11000)
        throw new PromQLError(
          'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
        );
      const matrix = new Map<string, { metric: Record<string, string>; values: [number, string][] }>();
      for (let at = start; at <= end; at += step) {
        const v = evaluate(query, this.series(at));
        const samples = v.kind === 'scalar' ? [{ metric: {}, value: v.value }] : v.samples;
        for (const s of samples) {
          const key = JSON.stringify(Object.entries(s.metric).sort());
          const row = matrix.get(key) ?? { metric: s.metric, values: [] };
          row.values.push([at / 1000, formatValue(s.value)]);
          matrix.set(key, row);
        }
      }
      return success({ resultType: 'matrix', result: [...matrix.values()] });
    } catch (err) {
      if (err instanceof PromQLError)
        return { status: 400, body: { status: 'error', errorType: 'bad_data', error: err.message } };
      throw err;
    }
  }
}

function success(data: unknown): PromResponse {
  return { status: 200, body: { status: 'success', data } };
}

/** Prometheus formats sample values as strings; special values as +Inf/-Inf/NaN. */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** Unix seconds (fractional) or RFC 3339, to milliseconds. */
function timeParam(text: string | null, name: string): number | undefined {
  if (text === null || text === '') return undefined;
  const n = Number(text);
  if (!Number.isNaN(n)) return n * 1000;
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw new PromQLError(`invalid parameter "${name}": cannot parse "${text}" to a valid timestamp`);
  return t;
}

function stepParam(text: string | null): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text ?? '');
  if (!m) throw new PromQLError(`invalid parameter "step": cannot parse "${text ?? ''}" to a valid duration`);
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  if (ms <= 0)
    throw new PromQLError(
      'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
    );
  return ms;
}
