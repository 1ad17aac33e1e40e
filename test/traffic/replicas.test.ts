import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/core/cluster.js';
import { ReplicasRouter } from '../../src/traffic/replicas.js';

/** An in-memory cluster of two Deployments whose pods become ready when `awaitReady` is called. */
function fake(stable: number, canary: number) {
  const deps: Record<string, { replicas: number; ready: number }> = {
    web: { replicas: stable, ready: stable },
    'web-canary': { replicas: canary, ready: canary },
  };
  const log: string[] = [];
  const cluster = {
    get: async (ref: { kind: string; name: string }) => {
      if (ref.kind === 'Service') return { spec: { selector: { 'kdeploy.dev/app': 'web' } } };
      const d = deps[ref.name];
      return (
        d && {
          spec: { replicas: d.replicas, template: { metadata: { labels: { 'kdeploy.dev/app': 'web' } } } },
          status: { readyReplicas: d.ready },
        }
      );
    },
    patch: async (ref: { name: string }, body: { spec: { replicas: number } }) => {
      const d = deps[ref.name]!;
      log.push(`scale ${ref.name} ${d.replicas}→${body.spec.replicas}`);
      d.replicas = body.spec.replicas;
      // Scaling down takes pods away at once; new pods are ready only once someone waited for them.
      d.ready = Math.min(d.ready, d.replicas);
      return {};
    },
  } as unknown as Pick<Cluster, 'get' | 'patch'>;
  const router = new ReplicasRouter({
    cluster,
    app: 'web',
    namespace: 'default',
    replicas: 4,
    awaitReady: async (_side, name) => {
      log.push(`await ${name}`);
      deps[name]!.ready = deps[name]!.replicas;
    },
  });
  return { router, log, deps };
}

describe('the replicas router', () => {
  it('grows the canary and waits for it before it shrinks stable, and reports the pod ratio', async () => {
    const { router, log } = fake(4, 0);
    expect(await router.setWeight(20)).toEqual({
      requested: 20,
      achieved: 25,
      verified: true,
      detail: '1 canary + 3 stable pods (pod ratio 25 %)',
    });
    expect(log).toEqual(['scale web-canary 0→1', 'await web-canary', 'scale web 4→3']);
    expect(await router.getWeights()).toEqual({ stable: 75, canary: 25 });
  });

  it('at weight 0 withdraws the canary first when that leaves at most a quarter of the pods out', async () => {
    const { router, log, deps } = fake(3, 1);
    expect(await router.setWeight(0)).toMatchObject({ achieved: 0, verified: true });
    expect(log).toEqual(['scale web-canary 1→0', 'scale web 3→4', 'await web']);
    expect(deps.web).toEqual({ replicas: 4, ready: 4 });
  });

  it('at weight 0 grows stable first when the canary had more pods, then removes canary pods', async () => {
    const { router, log } = fake(2, 2);
    expect((await router.setWeight(0)).achieved).toBe(0);
    expect(log).toEqual(['scale web 2→4', 'await web', 'scale web-canary 2→0']);
  });

  it('counts only ready stable pods when deciding to withdraw the canary first', async () => {
    const { router, log, deps } = fake(3, 1);
    deps.web!.ready = 2;
    await router.setWeight(0);
    expect(log[0]).toBe('scale web 3→4');
  });

  it('reports what ready pods give, not what was asked, when pods are missing', async () => {
    const { router, deps } = fake(3, 1);
    deps['web-canary']!.ready = 0;
    expect(await router.getWeights()).toEqual({ stable: 100, canary: 0 });
  });

  it('describes its calls in the order it makes them', () => {
    const { router } = fake(4, 0);
    expect(router.describe(50)).toEqual([
      'scale Deployment default/web-canary to 2 and wait until ready',
      'scale Deployment default/web to 2',
      'canary weight ≈ 50 % (pod ratio 2:2)',
    ]);
    expect(router.describe(0)).toEqual([
      'scale Deployment default/web to 4',
      'scale Deployment default/web-canary to 0 (first, when default/web already has 3 ready pods)',
      'canary weight ≈ 0 % (pod ratio 0:4)',
    ]);
    expect(router.capabilities).toEqual({ granularity: 25, readBack: true, partialWeights: true });
  });
});
