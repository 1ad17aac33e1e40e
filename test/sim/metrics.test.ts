// The Prometheus-compatible endpoint: per-version scenario metrics derived from Ready pods, changes at a
// virtual time, the query subset, Prometheus' JSON shapes and errors.
import { afterEach, describe, expect, test } from 'vitest';
import { evaluate, type Sample } from '../../src/sim/promql.js';
import { eventually, quiet } from '../support/eventually.js';
import { cluster, deployment, START, type TestCluster } from '../support/sim-cluster.js';

let t: TestCluster;
afterEach(async () => {
  await t?.sim.close();
});

// biome-ignore lint/suspicious/noExplicitAny: Prometheus JSON answers are inspected field by field.
type Json = any;

async function query(
  q: string,
  extra: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; body: Json }> {
  const params = new URLSearchParams({ query: q, ...extra });
  const res =
    method === 'GET'
      ? await fetch(`${t.sim.url}/api/v1/query?${params}`)
      : await fetch(`${t.sim.url}/api/v1/query`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: params,
        });
  return { status: res.status, body: await res.json() };
}

async function twoVersions() {
  t = await cluster('canary-errors');
  await t.apps.createNamespacedDeployment({
    namespace: 'default',
    body: deployment('checkout', 'shop/checkout:v1', { replicas: 3 }),
  });
  const canary = deployment('checkout-canary', 'shop/checkout:v2', {
    replicas: 1,
    labels: { app: 'checkout', track: 'canary' },
  });
  canary.spec!.selector = { matchLabels: { app: 'checkout', track: 'canary' } };
  await t.apps.createNamespacedDeployment({ namespace: 'default', body: canary });
  await quiet();
  await eventually(
    async () =>
      (await t.core.listNamespacedPod({ namespace: 'default' })).items.every((p) =>
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ),
    { clock: t.clock },
  );
}

describe('scenario metrics', () => {
  test('per-version series exist only for versions with Ready pods; request share follows pod count', async () => {
    t = await cluster('canary-errors');
    expect((await query('kdeploy_error_rate')).body).toEqual({
      status: 'success',
      data: { resultType: 'vector', result: [] },
    });
    await t.sim.close();
    await twoVersions();
    const rate = await query('kdeploy_requests_per_second{app="checkout"}');
    const byVersion = Object.fromEntries(
      rate.body.data.result.map((r: { metric: { version: string }; value: [number, string] }) => [
        r.metric.version,
        Number(r.value[1]),
      ]),
    );
    expect(byVersion).toEqual({ v1: 150, v2: 50 });
    const err = await query('kdeploy_error_rate{app="checkout",version="v2"}');
    expect(err.body.data.result).toEqual([
      {
        metric: {
          __name__: 'kdeploy_error_rate',
          namespace: 'default',
          app: 'checkout',
          version: 'v2',
          track: 'canary',
        },
        value: [t.clock.now() / 1000, '0.08'],
      },
    ]);
    expect((await query('kdeploy_latency_p99_seconds{version="v1"}')).body.data.result[0].value[1]).toBe(
      '0.15',
    );
  });

  test('scenario changes apply from their virtual time; `time=` evaluates at another instant', async () => {
    await twoVersions();
    const at = (minutes: number) => String((START + minutes * 60_000) / 1000);
    expect(
      (await query('kdeploy_error_rate{version="v2"}', { time: at(4) })).body.data.result[0].value[1],
    ).toBe('0.08');
    expect(
      (await query('kdeploy_error_rate{version="v2"}', { time: at(6) }, 'POST')).body.data.result[0].value[1],
    ).toBe('0.2');
  });

  test('aggregations, range functions and arithmetic give the weighted error ratio', async () => {
    await twoVersions();
    const q =
      'sum(rate(kdeploy_error_rate{app="checkout"}[1m]) * kdeploy_requests_per_second{app="checkout"}) / sum(kdeploy_requests_per_second{app="checkout"})';
    const r = await query(q);
    expect(r.body.data.result).toHaveLength(1);
    expect(Number(r.body.data.result[0].value[1])).toBeCloseTo((150 * 0.002 + 50 * 0.08) / 200, 10);
    const by = await query('max by (version) (kdeploy_latency_p99_seconds)');
    expect(
      by.body.data.result
        .map((s: { metric: object }) => s.metric)
        .sort((a: { version: string }, b: { version: string }) => a.version.localeCompare(b.version)),
    ).toEqual([{ version: 'v1' }, { version: 'v2' }]);
    expect((await query('2 * 3')).body.data).toEqual({
      resultType: 'scalar',
      result: [t.clock.now() / 1000, '6'],
    });
  });

  test('query_range returns a matrix with the change inside the window', async () => {
    await twoVersions();
    const params = new URLSearchParams({
      query: 'kdeploy_error_rate{version="v2"}',
      start: String(START / 1000 + 240),
      end: String(START / 1000 + 360),
      step: '60s',
    });
    const body = (await (await fetch(`${t.sim.url}/api/v1/query_range?${params}`)).json()) as {
      data: { resultType: string; result: { values: [number, string][] }[] };
    };
    expect(body.data.resultType).toBe('matrix');
    expect(body.data.result[0]!.values.map((v) => v[1])).toEqual(['0.08', '0.2', '0.2']);
  });

  test('bad queries answer 400 bad_data like Prometheus', async () => {
    t = await cluster();
    for (const q of ['sum(', 'histogram_quantile(0.9, x)', 'x{a=b}']) {
      const r = await query(q);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ status: 'error', errorType: 'bad_data' });
    }
    expect((await query('up', { time: 'yesterday' })).body.error).toContain('cannot parse "yesterday"');
  });
});

describe('free-form series', () => {
  test('scenario series with changes, regex matchers and one-to-one vector arithmetic', () => {
    const series = [
      { metric: { __name__: 'errors', svc: 'a' }, value: 5 },
      { metric: { __name__: 'errors', svc: 'b' }, value: 1 },
      { metric: { __name__: 'requests', svc: 'a' }, value: 50 },
    ];
    expect(evaluate('errors / requests', series)).toEqual({
      kind: 'vector',
      samples: [{ metric: { svc: 'a' }, value: 0.1 }],
    });
    expect(evaluate('count(errors{svc=~"a|b"})', series)).toEqual({
      kind: 'vector',
      samples: [{ metric: {}, value: 2 }],
    });
    expect(evaluate('errors{svc!~"a"}', series)).toEqual({ kind: 'vector', samples: [series[1]] });
  });

  test('a scenario series changes at its virtual time', async () => {
    t = await cluster({
      metrics: {
        series: [
          { name: 'queue_depth', labels: { queue: 'orders' }, value: 3, changes: [{ at: '10m', value: 40 }] },
        ],
      },
    });
    expect((await query('queue_depth')).body.data.result[0].value[1]).toBe('3');
    await t.clock.advance(10 * 60_000);
    expect((await query('queue_depth{queue="orders"}')).body.data.result[0].value[1]).toBe('40');
  });
});

describe('PromQL string literals', () => {
  test('label values unescape as Prometheus does (\\x22, \\u, octal, \\n)', () => {
    const series: Sample[] = [{ metric: { __name__: 'm', v: 'a"b\'c\n' }, value: 1 }];
    for (const literal of ['"a\\x22b\\x27c\\n"', '"a\\u0022b\\047c\\n"', "'a\"b\\'c\\n'"]) {
      const out = evaluate(`m{v=${literal}}`, series);
      expect(out.kind === 'vector' && out.samples.length, literal).toBe(1);
    }
  });
});
