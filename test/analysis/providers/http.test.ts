import { afterEach, describe, expect, it } from 'vitest';
import type { ProviderError } from '../../../src/analysis/errors.js';
import { HttpProvider } from '../../../src/analysis/providers/http.js';
import { startServer } from '../../support/http-server.js';
import { vars as release } from '../../support/metric-vars.js';

// A version with a space: the URL must carry it encoded.
const vars = { ...release, canaryVersion: 'v2 beta' };

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('http provider', () => {
  async function serve(body: unknown, status = 200) {
    const s = await startServer(() => ({ status, body }));
    close = s.close;
    return s;
  }

  it('GETs the URL with variables URL-encoded and picks every JSONPath match', async () => {
    const s = await serve({ pods: [{ errors: 1 }, { errors: '2.5' }, { errors: true }] });
    const p = new HttpProvider({ jsonPath: '$.pods[*].errors', headers: { 'x-app': '{{app}}' } });
    const m = await p.measure(`${s.url}/stats/{{canaryVersion}}?ns={{namespace}}`, vars);
    expect(m.values).toEqual([1, 2.5, 1]);
    expect(s.received[0]).toMatchObject({ method: 'GET', path: '/stats/v2%20beta' });
    expect(s.received[0]!.params.get('ns')).toBe('shop');
    expect(s.received[0]!.headers['x-app']).toBe('checkout');
  });

  it('supports filter expressions without running JavaScript', async () => {
    const s = await serve({
      versions: [
        { v: 'v1', rate: 0.1 },
        { v: 'v2', rate: 0.4 },
      ],
    });
    const p = new HttpProvider({ jsonPath: "$.versions[?(@.v == 'v2')].rate" });
    expect((await p.measure(`${s.url}/`, vars)).values).toEqual([0.4]);
  });

  it('gives no data when nothing matches, and an error for a value that is not a number', async () => {
    const s = await serve({ data: { errorRate: 'n/a' } });
    expect(
      (await new HttpProvider({ jsonPath: '$.data.latency' }).measure(`${s.url}/`, vars)).values,
    ).toEqual([]);
    await expect(
      new HttpProvider({ jsonPath: '$.data.errorRate' }).measure(`${s.url}/`, vars),
    ).rejects.toThrow(/\$\.data\.errorRate matched "n\/a", not a number/);
  });

  it('reports HTTP failures and non-JSON answers, retryable only when a retry can help', async () => {
    const s = await serve('oops', 503);
    const e = (await new HttpProvider({ jsonPath: '$.x' })
      .measure(`${s.url}/health?token=secret`, vars)
      .catch((x) => x)) as ProviderError;
    expect(e).toMatchObject({ retryable: true, message: `GET ${s.url}/health: HTTP 503: oops` });
    await close?.();
    const ok = await serve('<html>');
    const e2 = (await new HttpProvider({ jsonPath: '$.x' })
      .measure(`${ok.url}/`, vars)
      .catch((x) => x)) as ProviderError;
    expect(e2).toMatchObject({ retryable: false, message: expect.stringMatching(/not JSON/) });
  });
});
