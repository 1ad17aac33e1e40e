import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/analysis/errors.js';
import { PrometheusProvider } from '../../../src/analysis/providers/prometheus.js';
import { startServer } from '../../support/http-server.js';

import { vars } from '../../support/metric-vars.js';

const vector = (...values: string[]) => ({
  status: 'success',
  data: {
    resultType: 'vector',
    result: values.map((v, i) => ({ metric: { pod: `p${i}` }, value: [1735689600.5, v] })),
  },
});

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});
async function server(answer: Parameters<typeof startServer>[0]) {
  const s = await startServer(answer);
  close = s.close;
  return s;
}

describe('prometheus provider', () => {
  it('POSTs an instant query with the variables escaped for PromQL strings, and parses string samples', async () => {
    const s = await server(() => ({ body: vector('0.0042', 'NaN', '+Inf') }));
    const p = new PrometheusProvider({ address: `${s.url}/prefix/` });
    const m = await p.measure(
      'sum(rate(http_requests_total{app="{{app}}",version=\'{{canaryVersion}}\'}[1m]))',
      { ...vars, canaryVersion: `v2"}or vector(1)#\\'` },
    );
    expect(m.values).toEqual([0.0042, Number.NaN, Number.POSITIVE_INFINITY]);
    expect(m.at).toBe(1735689600500);
    const req = s.received[0]!;
    expect(req).toMatchObject({ method: 'POST', path: '/prefix/api/v1/query' });
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.params.get('query')).toBe(
      'sum(rate(http_requests_total{app="checkout",version=\'v2\\x22}or vector(1)#\\\\\\x27\'}[1m]))',
    );
  });

  it('returns no values for an empty vector: no data, not zero', async () => {
    const s = await server(() => ({ body: vector() }));
    expect((await new PrometheusProvider({ address: s.url }).measure('up', vars)).values).toEqual([]);
  });

  it('reads scalars', async () => {
    const s = await server(() => ({
      body: { status: 'success', data: { resultType: 'scalar', result: [1700000000, '0.5'] } },
    }));
    expect(await new PrometheusProvider({ address: s.url }).measure('scalar(up)', vars)).toMatchObject({
      values: [0.5],
      at: 1700000000000,
    });
  });

  it('runs range queries and groups the samples of every series by time', async () => {
    const s = await server(() => ({
      body: {
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            {
              metric: { pod: 'a' },
              values: [
                [100, '1'],
                [130, '2'],
              ],
            },
            { metric: { pod: 'b' }, values: [[130, '3']] },
          ],
        },
      },
    }));
    const m = await new PrometheusProvider({ address: s.url }).measureRange(
      'up',
      vars,
      100_000,
      130_000,
      30_000,
    );
    expect(m.points).toEqual([
      { at: 100_000, values: [1] },
      { at: 130_000, values: [2, 3] },
    ]);
    expect(m.values).toEqual([1, 2, 3]);
    expect(Object.fromEntries(s.received[0]!.params)).toMatchObject({
      start: '100.000',
      end: '130.000',
      step: '30s',
    });
    expect(s.received[0]!.path).toBe('/api/v1/query_range');
  });

  it('measures over a window with a range query when configured to', async () => {
    const s = await server(() => ({
      body: { status: 'success', data: { resultType: 'matrix', result: [] } },
    }));
    const clock = { now: () => 1_000_000, sleep: async () => {} };
    const p = new PrometheusProvider({ address: s.url, range: { window: 300_000, step: 60_000 } }, { clock });
    expect((await p.measure('up', vars)).values).toEqual([]);
    expect(Object.fromEntries(s.received[0]!.params)).toMatchObject({
      start: '700.000',
      end: '1000.000',
      step: '60s',
    });
  });

  it('sends bearer and basic credentials and extra headers', async () => {
    const s = await server(() => ({ body: vector('1') }));
    await new PrometheusProvider({
      address: s.url,
      bearerToken: 't0ken',
      headers: { 'x-scope-orgid': 'team-a' },
    }).measure('up', vars);
    await new PrometheusProvider({ address: s.url, basicAuth: { username: 'u', password: 'p:w' } }).measure(
      'up',
      vars,
    );
    expect(s.received[0]!.headers.authorization).toBe('Bearer t0ken');
    expect(s.received[0]!.headers['x-scope-orgid']).toBe('team-a');
    expect(s.received[1]!.headers.authorization).toBe(`Basic ${Buffer.from('u:p:w').toString('base64')}`);
  });

  it('signs requests with SigV4 for Amazon Managed Prometheus', async () => {
    const s = await server(() => ({ body: vector('1') }));
    const p = new PrometheusProvider(
      { address: `${s.url}/workspaces/ws-1`, sigv4: { region: 'eu-west-1' } },
      { awsCredentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } },
    );
    await p.measure('up', vars);
    const h = s.received[0]!.headers;
    expect(h.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/aps\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(h['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(s.received[0]!.path).toBe('/workspaces/ws-1/api/v1/query');
  });

  it('turns API errors into provider errors that say whether a retry can help', async () => {
    const s = await server((r) => {
      const q = r.params.get('query');
      if (q === 'bad(')
        return { status: 400, body: { status: 'error', errorType: 'bad_data', error: '1:5: parse error' } };
      if (q === 'slow')
        return { status: 503, body: { status: 'error', errorType: 'timeout', error: 'query timed out' } };
      return { status: 502, body: '<html>Bad Gateway</html>' };
    });
    const p = new PrometheusProvider({ address: s.url });
    const err = (q: string) => p.measure(q, vars).catch((e: unknown) => e as ProviderError);
    expect(await err('bad(')).toMatchObject({
      retryable: false,
      message: expect.stringMatching(/bad_data: 1:5: parse error$/),
    });
    expect(await err('slow')).toMatchObject({
      retryable: true,
      message: expect.stringMatching(/timeout: query timed out/),
    });
    expect(await err('proxy')).toMatchObject({
      retryable: true,
      message: expect.stringMatching(/HTTP 502: <html>Bad Gateway/),
    });
  });

  it('reports an unreachable server as a retryable error', async () => {
    const s = await server(() => ({ body: vector() }));
    await s.close();
    close = undefined;
    const e = await new PrometheusProvider({ address: s.url }).measure('up', vars).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProviderError);
    expect(e).toMatchObject({ retryable: true, message: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('names a variable the release does not have', async () => {
    const p = new PrometheusProvider({ address: 'http://127.0.0.1:1' });
    await expect(p.measure('up{hash="{{canaryPodTemplateHash}}"}', vars)).rejects.toThrow(
      /\{\{canaryPodTemplateHash\}\} is not a variable of this release \(variables: app, namespace, stableVersion, canaryVersion\)/,
    );
  });
});
