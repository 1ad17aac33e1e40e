import { afterEach, describe, expect, it } from 'vitest';
import type { ProviderError } from '../../../src/analysis/errors.js';
import { HttpProvider } from '../../../src/analysis/providers/http.js';
import { countCheck, KubernetesProvider } from '../../../src/analysis/providers/kubernetes.js';
import type { PodLike, PodLister } from '../../../src/analysis/registry.js';
import type { MetricVars } from '../../../src/core/ports.js';
import { startServer } from '../../support/http-server.js';

const vars: MetricVars = {
  app: 'checkout',
  namespace: 'shop',
  stableVersion: 'v1',
  canaryVersion: 'v2 beta',
};

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

const pod = (over: {
  ready?: boolean;
  restarts?: number[];
  oom?: 'now' | 'last';
  deleting?: boolean;
  init?: number;
}): PodLike => ({
  metadata: { name: 'p', ...(over.deleting ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}) },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: over.ready === false ? 'False' : 'True' }],
    initContainerStatuses: over.init === undefined ? undefined : [{ name: 'init', restartCount: over.init }],
    containerStatuses: (over.restarts ?? [0]).map((n, i) => ({
      name: `c${i}`,
      restartCount: n,
      ...(over.oom === 'now' ? { state: { terminated: { reason: 'OOMKilled' } } } : {}),
      ...(over.oom === 'last' ? { lastState: { terminated: { reason: 'OOMKilled' } } } : {}),
    })),
  },
});

describe('kubernetes provider', () => {
  it('reads the canary pods by the kdeploy labels in the release namespace', async () => {
    const calls: unknown[] = [];
    const cluster: PodLister = {
      list: async (...args: unknown[]) => {
        calls.push(args);
        return { items: [pod({ restarts: [1, 2], init: 1 }), pod({ ready: false })] };
      },
    };
    const p = new KubernetesProvider(cluster);
    const v = { ...vars, canaryVersion: 'v2' };
    expect((await p.measure('restarts', v)).values).toEqual([4]);
    expect((await p.measure('notReady', v)).values).toEqual([1]);
    expect(calls[0]).toEqual([
      'v1',
      'Pod',
      { namespace: 'shop', labelSelector: 'kdeploy.dev/app=checkout,kdeploy.dev/version=v2' },
    ]);
    await expect(p.measure('cpu', v)).rejects.toThrow(/unknown kubernetes check "cpu"/);
  });

  it('has no data when the version has no pods', async () => {
    const p = new KubernetesProvider({ list: async () => ({ items: [] }) });
    expect((await p.measure('restarts', vars)).values).toEqual([]);
  });

  it('counts not-ready pods except terminating ones, and OOM kills now or last time', () => {
    const pods = [
      pod({ ready: false }),
      pod({ ready: false, deleting: true }),
      pod({ oom: 'now' }),
      pod({ oom: 'last', restarts: [1, 0] }),
    ];
    expect(countCheck('notReady', pods)).toBe(1);
    expect(countCheck('oomKilled', pods)).toBe(3);
    expect(countCheck('restarts', pods)).toBe(1);
  });
});
