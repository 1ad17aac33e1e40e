import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/core/cluster.js';
import { UnsupportedError } from '../../src/core/ports.js';
import { ServiceRouter } from '../../src/traffic/service.js';

function fake() {
  const svc = {
    spec: { selector: { 'kdeploy.dev/app': 'web', 'kdeploy.dev/color': 'blue' } as Record<string, string> },
  };
  const patches: unknown[] = [];
  const cluster = {
    get: async () => structuredClone(svc),
    patch: async (_ref: unknown, body: { spec: { selector: Record<string, string> } }) => {
      patches.push(body);
      Object.assign(svc.spec.selector, body.spec.selector);
      return structuredClone(svc);
    },
  } as unknown as Pick<Cluster, 'get' | 'patch'>;
  const router = new ServiceRouter({
    cluster,
    namespace: 'default',
    service: 'web',
    label: 'kdeploy.dev/color',
    values: { stable: 'blue', canary: 'green' },
  });
  return { router, patches, svc };
}

describe('the service router', () => {
  it('flips one selector label and reads the flip back', async () => {
    const { router, patches, svc } = fake();
    expect(await router.setWeight(100)).toEqual({
      requested: 100,
      achieved: 100,
      verified: true,
      detail: 'kdeploy.dev/color=green',
    });
    // A merge patch of the one key: the app label stays.
    expect(patches).toEqual([{ spec: { selector: { 'kdeploy.dev/color': 'green' } } }]);
    expect(svc.spec.selector).toEqual({ 'kdeploy.dev/app': 'web', 'kdeploy.dev/color': 'green' });
    expect(await router.getWeights()).toEqual({ stable: 0, canary: 100 });
    expect(router.describe(0)).toEqual(['patch Service default/web spec.selector kdeploy.dev/color=blue']);
  });

  it('refuses a partial weight instead of rounding it', async () => {
    const { router, patches } = fake();
    await expect(router.setWeight(30)).rejects.toBeInstanceOf(UnsupportedError);
    expect(patches).toEqual([]);
    expect(router.capabilities.partialWeights).toBe(false);
  });
});
