// Fault knobs: 409 / 429 (Retry-After) / 500 answers, connection resets and watch drops, for the next N
// matching requests or at a seeded rate.
import { ApiException, Watch } from '@kubernetes/client-node';
import { afterEach, describe, expect, test } from 'vitest';
import { eventually } from '../support/eventually.js';
import { cluster, deployment, type TestCluster } from '../support/sim-cluster.js';

let t: TestCluster;
afterEach(async () => {
  await t?.sim.close();
});
const ns = 'default';
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 200,
    (e) => (e instanceof ApiException ? e.code : 'network'),
  );
const getCm = () => codeOf(t.core.readNamespacedConfigMap({ name: 'cfg', namespace: ns }));

describe('status faults', () => {
  test('conflict for the next N matching requests only', async () => {
    t = await cluster();
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 'web:v1') });
    t.sim.faults.inject({ kind: 'conflict', verb: 'patch', resource: 'deployments', count: 2 });
    const patch = () =>
      codeOf(
        t.apps.patchNamespacedDeployment({
          name: 'web',
          namespace: ns,
          body: [{ op: 'replace', path: '/spec/replicas', value: 2 }],
        }),
      );
    expect(await codeOf(t.apps.readNamespacedDeployment({ name: 'web', namespace: ns }))).toBe(200);
    expect([await patch(), await patch(), await patch()]).toEqual([409, 409, 200]);
    expect(t.sim.faults.injected).toEqual([
      { verb: 'patch', resource: 'deployments', namespace: ns, name: 'web', kind: 'conflict' },
      { verb: 'patch', resource: 'deployments', namespace: ns, name: 'web', kind: 'conflict' },
    ]);
  });

  test('429 carries Retry-After and a TooManyRequests Status; 500 is an InternalError', async () => {
    t = await cluster();
    await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cfg' } } });
    t.sim.faults.inject({ kind: 'throttle', verb: 'get', resource: 'configmaps', retryAfterSeconds: 3 });
    const res = await fetch(`${t.sim.url}/api/v1/namespaces/${ns}/configmaps/cfg`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toMatchObject({
      kind: 'Status',
      reason: 'TooManyRequests',
      code: 429,
      details: { retryAfterSeconds: 3 },
    });
    t.sim.faults.inject({ kind: 'error', name: 'cfg' });
    const err = await t.core.readNamespacedConfigMap({ name: 'cfg', namespace: ns }).catch((e) => e);
    expect(err.code).toBe(500);
    expect(JSON.parse(err.body).reason).toBe('InternalError');
    expect(await getCm()).toBe(200);
  });

  test('connection reset: the request fails without an HTTP answer and nothing changes', async () => {
    t = await cluster();
    t.sim.faults.inject({ kind: 'reset', verb: 'create', resource: 'configmaps' });
    expect(
      await codeOf(t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cfg' } } })),
    ).toBe('network');
    expect(await getCm()).toBe(404);
    expect(
      await codeOf(t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cfg' } } })),
    ).toBe(200);
  });

  test('rates are drawn from the seed: the same seed repeats the same pattern', async () => {
    const pattern = async (seed: number) => {
      t = await cluster('happy', { seed });
      await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cfg' } } });
      t.sim.faults.inject({ kind: 'error', verb: 'get', rate: 0.5 });
      const codes: (number | string)[] = [];
      for (let i = 0; i < 24; i++) codes.push(await getCm());
      await t.sim.close();
      return codes.join(',');
    };
    const a = await pattern(7);
    expect(await pattern(7)).toBe(a);
    expect(a).toContain('500');
    expect(a).toContain('200');
    expect(await pattern(8)).not.toBe(a);
    t = await cluster();
  });

  test('bad rules are refused; clear() removes rules', async () => {
    t = await cluster();
    expect(() => t.sim.faults.inject({ kind: 'error', rate: 2 })).toThrow('fault rate must be within 0..1');
    expect(() => t.sim.faults.inject({ kind: 'error', count: 0 })).toThrow('positive integer');
    t.sim.faults.inject({ kind: 'error', rate: 1 });
    expect(await getCm()).toBe(500);
    t.sim.faults.clear();
    expect(await getCm()).toBe(404);
  });
});

describe('watch faults', () => {
  const watchConfigMaps = async (events: string[], done: { closed: boolean }) =>
    new Watch(t.sim.kubeConfig()).watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      {},
      (type, obj: { metadata?: { name?: string } }) => events.push(`${type} ${obj.metadata?.name}`),
      () => {
        done.closed = true;
      },
    );

  test('a watchDrop rule ends the stream after N events', async () => {
    t = await cluster();
    await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'a' } } });
    await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'b' } } });
    t.sim.faults.inject({ kind: 'watchDrop', resource: 'configmaps', afterEvents: 1 });
    const events: string[] = [];
    const done = { closed: false };
    await watchConfigMaps(events, done);
    await eventually(() => expect(done.closed).toBe(true));
    expect(events).toEqual(['ADDED a']);
  });

  test('dropWatches() ends every open watch of a resource; others stay open', async () => {
    t = await cluster();
    const cm = { closed: false };
    await watchConfigMaps([], cm);
    const pods = { closed: false };
    const podWatch = await new Watch(t.sim.kubeConfig()).watch(
      `/api/v1/namespaces/${ns}/pods`,
      {},
      () => {},
      () => {
        pods.closed = true;
      },
    );
    t.sim.faults.dropWatches('configmaps');
    await eventually(() => expect(cm.closed).toBe(true));
    expect(pods.closed).toBe(false);
    podWatch.abort();
  });
});
