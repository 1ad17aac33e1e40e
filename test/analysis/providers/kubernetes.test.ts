import { describe, expect, it } from 'vitest';
import { countCheck, KubernetesProvider } from '../../../src/analysis/providers/kubernetes.js';
import type { PodLike, PodLister } from '../../../src/analysis/registry.js';
import { vars } from '../../support/metric-vars.js';

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
