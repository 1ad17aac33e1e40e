// The simulated apiserver through the real client: discovery, CRUD, optimistic concurrency, validation,
// subresources, the four patch types, selectors, pagination and garbage collection.
import {
  ApiException,
  CoordinationV1Api,
  KubernetesObjectApi,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  VersionApi,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { quiet } from '../support/eventually.js';
import { cluster, deployment, type TestCluster } from '../support/sim-cluster.js';

let t: TestCluster;
beforeEach(async () => {
  t = await cluster();
});
afterEach(async () => {
  await t.sim.close();
});

const ns = 'default';
const failure = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(ApiException);
  return { code: (err as ApiException<string>).code, body: JSON.parse((err as ApiException<string>).body) };
};
const raw = (path: string, init: RequestInit = {}) => fetch(`${t.sim.url}${path}`, init);
// biome-ignore lint/suspicious/noExplicitAny: raw JSON answers are inspected field by field.
const json = async (path: string): Promise<any> => (await raw(path)).json();

describe('discovery', () => {
  test('version, /api, /apis and resource lists serve KubernetesObjectApi', async () => {
    const kc = t.sim.kubeConfig();
    expect((await kc.makeApiClient(VersionApi).getCode()).major).toBe('1');
    const groups = await json('/apis');
    expect(groups.groups.map((g: { name: string }) => g.name).sort()).toEqual([
      'apps',
      'coordination.k8s.io',
      'networking.k8s.io',
    ]);
    const objects = KubernetesObjectApi.makeApiClient(kc);
    await objects.create({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'lock', namespace: ns },
      spec: { holderIdentity: 'me', leaseDurationSeconds: 15 },
    });
    await objects.create({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: ns },
      spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } } },
    });
    const lease = await kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: 'lock', namespace: ns });
    expect(lease.spec?.holderIdentity).toBe('me');
    const ing = await kc.makeApiClient(NetworkingV1Api).readNamespacedIngress({ name: 'web', namespace: ns });
    expect(ing.metadata?.generation).toBe(1);
    const nsList = await json('/api/v1');
    expect(nsList.resources.find((r: { name: string }) => r.name === 'namespaces')).toMatchObject({
      namespaced: false,
      kind: 'Namespace',
    });
    expect(nsList.resources.find((r: { name: string }) => r.name === 'pods/log')).toBeDefined();
  });
});

describe('create, read, update', () => {
  test('create fills server fields and defaults; duplicates and unknown namespaces fail like the apiserver', async () => {
    const d = await t.apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 'web:v1') });
    expect(d.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(d.metadata?.generation).toBe(1);
    expect(d.metadata?.creationTimestamp?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(d.spec?.revisionHistoryLimit).toBe(10);
    expect(d.spec?.progressDeadlineSeconds).toBe(600);
    expect(d.spec?.template.spec?.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
    expect(d.spec?.template.spec?.restartPolicy).toBe('Always');
    const dup = await failure(
      t.apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 'web:v1') }),
    );
    expect(dup).toMatchObject({
      code: 409,
      body: { reason: 'AlreadyExists', message: 'deployments.apps "web" already exists' },
    });
    const nons = await failure(
      t.core.createNamespacedConfigMap({ namespace: 'nope', body: { metadata: { name: 'x' } } }),
    );
    expect(nons).toMatchObject({
      code: 404,
      body: { reason: 'NotFound', message: 'namespaces "nope" not found' },
    });
  });

  test('invalid objects get 422 naming the field, and nothing is stored', async () => {
    const bad = deployment('web', 'web:v1');
    bad.spec!.template.metadata!.labels = { app: 'other' };
    bad.spec!.template.spec!.containers[0]!.image = '';
    const err = await failure(t.apps.createNamespacedDeployment({ namespace: ns, body: bad }));
    expect(err.code).toBe(422);
    expect(err.body.reason).toBe('Invalid');
    expect(err.body.details.causes.map((c: { field: string }) => c.field)).toEqual([
      'spec.template.metadata.labels',
      'spec.template.spec.containers[0].image',
    ]);
    expect((await failure(t.apps.readNamespacedDeployment({ name: 'web', namespace: ns }))).code).toBe(404);
    const name = await failure(
      t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'Bad_Name' } } }),
    );
    expect(name.body.message).toContain('metadata.name: Invalid value: "Bad_Name"');
    const zero = deployment('z', 'z:v1', { maxSurge: 0, maxUnavailable: 0 });
    expect(
      (await failure(t.apps.createNamespacedDeployment({ namespace: ns, body: zero }))).body.message,
    ).toContain('may not be 0 when `maxSurge` is 0');
  });

  test('update: stale resourceVersion conflicts; generation moves only with the spec; status is its own subresource', async () => {
    // The controllers write status in the background, so every write starts from a fresh read.
    const read = async () => {
      await quiet();
      return t.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    };
    const d = await t.apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 'web:v1') });
    let cur = await read();
    const labelled = await t.apps.replaceNamespacedDeployment({
      name: 'web',
      namespace: ns,
      body: { ...cur, metadata: { ...cur.metadata, labels: { team: 'a' } } },
    });
    expect(labelled.metadata?.generation).toBe(1);
    const stale = await failure(
      t.apps.replaceNamespacedDeployment({
        name: 'web',
        namespace: ns,
        body: { ...d, spec: { ...d.spec!, replicas: 5 } },
      }),
    );
    expect(stale).toMatchObject({ code: 409, body: { reason: 'Conflict' } });
    cur = await read();
    const scaled = await t.apps.replaceNamespacedDeployment({
      name: 'web',
      namespace: ns,
      body: { ...cur, spec: { ...cur.spec!, replicas: 5 }, status: { replicas: 99 } },
    });
    expect(scaled.metadata?.generation).toBe(2);
    expect(scaled.status?.replicas).toBe(cur.status?.replicas);
    cur = await read();
    const st = await t.apps.replaceNamespacedDeploymentStatus({
      name: 'web',
      namespace: ns,
      body: { ...cur, spec: { ...cur.spec!, replicas: 1 }, status: { replicas: 7 } },
    });
    expect(st.status?.replicas).toBe(7);
    expect(st.spec?.replicas).toBe(5);
    expect(st.metadata?.generation).toBe(2);
    cur = await read();
    const selector = await failure(
      t.apps.replaceNamespacedDeployment({
        name: 'web',
        namespace: ns,
        body: { ...cur, spec: { ...cur.spec!, selector: { matchLabels: { app: 'web', x: 'y' } } } },
      }),
    );
    expect(selector.code).toBe(422);
    expect(selector.body.message).toContain('spec.selector');
  });

  test('scale subresource reads and writes spec.replicas', async () => {
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 'web:v1') });
    const scale = await t.apps.readNamespacedDeploymentScale({ name: 'web', namespace: ns });
    expect(scale.spec?.replicas).toBe(3);
    expect(scale.status?.selector).toBe('app=web');
    await t.apps.replaceNamespacedDeploymentScale({
      name: 'web',
      namespace: ns,
      body: { ...scale, spec: { replicas: 4 } },
    });
    await t.apps.patchNamespacedDeploymentScale(
      { name: 'web', namespace: ns, body: { spec: { replicas: 6 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect((await t.apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec?.replicas).toBe(6);
  });
});

describe('patch', () => {
  test('strategic merge merges containers by name and ports by containerPort; merge patch replaces lists', async () => {
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 'web:v1') });
    const smp = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
    const patched = await t.apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: ns,
        body: {
          metadata: { labels: { team: 'pay' } },
          spec: {
            template: {
              spec: {
                containers: [
                  { name: 'sidecar', image: 'envoy:1' },
                  { name: 'app', image: 'web:v2', ports: [{ containerPort: 9090, name: 'metrics' }] },
                ],
              },
            },
          },
        },
      },
      smp,
    );
    const containers = patched.spec!.template.spec!.containers;
    expect(containers.map((c) => `${c.name}=${c.image}`)).toEqual(['app=web:v2', 'sidecar=envoy:1']);
    expect(containers[0]!.ports!.map((p) => p.containerPort)).toEqual([8080, 9090]);
    expect(patched.metadata?.generation).toBe(2);
    const deleted = await t.apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: ns,
        body: { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } },
      },
      smp,
    );
    expect(deleted.spec!.template.spec!.containers.map((c) => c.name)).toEqual(['app']);
    const merged = await t.apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: ns,
        body: {
          metadata: { labels: { team: null } },
          spec: { template: { spec: { containers: [{ name: 'only', image: 'x:1' }] } } },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merged.metadata?.labels?.team).toBeUndefined();
    expect(merged.spec!.template.spec!.containers.map((c) => c.name)).toEqual(['only']);
  });

  test('JSON patch (the client default), its Go-style error for an object body, and a stale resourceVersion precondition', async () => {
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 'web:v1') });
    const p = await t.apps.patchNamespacedDeployment({
      name: 'web',
      namespace: ns,
      body: [{ op: 'replace', path: '/spec/replicas', value: 2 }],
    });
    expect(p.spec?.replicas).toBe(2);
    const obj = await failure(
      t.apps.patchNamespacedDeployment({ name: 'web', namespace: ns, body: { spec: { replicas: 1 } } }),
    );
    expect(obj.code).toBe(400);
    expect(obj.body.message).toContain(
      'cannot unmarshal object into Go value of type []handlers.jsonPatchOp',
    );
    const test = await failure(
      t.apps.patchNamespacedDeployment({
        name: 'web',
        namespace: ns,
        body: [{ op: 'test', path: '/spec/replicas', value: 9 }],
      }),
    );
    expect(test.code).toBe(422);
    const stale = await failure(
      t.apps.patchNamespacedDeployment(
        { name: 'web', namespace: ns, body: { metadata: { resourceVersion: '1' }, spec: { replicas: 1 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(stale.code).toBe(409);
  });

  test('apply-patch+yaml creates then merges; unknown content types get 415', async () => {
    const apply = (body: string) =>
      raw(`/api/v1/namespaces/${ns}/configmaps/cfg?fieldManager=kdeploy`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/apply-patch+yaml' },
        body,
      });
    expect(
      (await apply('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: "1"\n')).status,
    ).toBe(201 - 1);
    await apply('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  b: "2"\n');
    expect((await t.core.readNamespacedConfigMap({ name: 'cfg', namespace: ns })).data).toEqual({
      a: '1',
      b: '2',
    });
    const res = await raw(`/api/v1/namespaces/${ns}/configmaps/cfg`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'text/plain' },
      body: '{}',
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { reason: string }).reason).toBe('UnsupportedMediaType');
  });
});

describe('list', () => {
  test('label selectors (equality and set-based), field selectors and pagination', async () => {
    const make = (name: string, labels: Record<string, string>) =>
      t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, labels } } });
    await make('a', { app: 'web', tier: 'front' });
    await make('b', { app: 'web', tier: 'back', canary: 'true' });
    await make('c', { app: 'api' });
    const names = async (labelSelector?: string, fieldSelector?: string) =>
      (await t.core.listNamespacedConfigMap({ namespace: ns, labelSelector, fieldSelector })).items.map(
        (i) => i.metadata?.name,
      );
    expect(await names('app=web')).toEqual(['a', 'b']);
    expect(await names('app in (web, api),!canary')).toEqual(['a', 'c']);
    expect(await names('tier notin (back)')).toEqual(['a', 'c']);
    expect(await names('tier')).toEqual(['a', 'b']);
    expect(await names('app!=web')).toEqual(['c']);
    expect(await names(undefined, 'metadata.name=b')).toEqual(['b']);
    expect(
      (await failure(t.core.listNamespacedConfigMap({ namespace: ns, fieldSelector: 'data.x=1' }))).body
        .message,
    ).toBe('field label not supported: data.x');
    expect(
      (await failure(t.core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'app in (a' }))).code,
    ).toBe(400);
    const page1 = await t.core.listNamespacedConfigMap({ namespace: ns, limit: 2 });
    expect(page1.items.map((i) => i.metadata?.name)).toEqual(['a', 'b']);
    const page2 = await t.core.listNamespacedConfigMap({
      namespace: ns,
      limit: 2,
      _continue: page1.metadata?._continue,
    });
    expect(page2.items.map((i) => i.metadata?.name)).toEqual(['c']);
    expect(page2.metadata?._continue).toBeUndefined();
    const all = await json('/api/v1/configmaps');
    expect(all.kind).toBe('ConfigMapList');
    expect(all.items[0].kind).toBeUndefined();
  });
});

describe('pod logs', () => {
  test('tailLines, and a container name is required when a pod has several', async () => {
    await t.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'two' },
        spec: {
          containers: [
            { name: 'a', image: 'x:v1' },
            { name: 'b', image: 'y:v1' },
          ],
        },
      },
    });
    await t.clock.advance(2000);
    expect(
      await t.core.readNamespacedPodLog({ name: 'two', namespace: ns, container: 'b', tailLines: 1 }),
    ).toBe('ready to serve requests\n');
    const err = await failure(t.core.readNamespacedPodLog({ name: 'two', namespace: ns }));
    expect(err).toMatchObject({
      code: 400,
      body: { message: 'a container name must be specified for pod two, choose one of: [a b]' },
    });
    expect(
      (await failure(t.core.readNamespacedPodLog({ name: 'two', namespace: ns, container: 'c' }))).body
        .message,
    ).toBe('container c is not valid for pod two');
  });
});

describe('delete and garbage collection', () => {
  test('background deletion removes ReplicaSets and pods; Orphan keeps them without owner', async () => {
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 'web:v1') });
    await t.clock.advance(100);
    expect((await t.core.listNamespacedPod({ namespace: ns })).items).toHaveLength(3);
    const status = await t.apps.deleteNamespacedDeployment({ name: 'web', namespace: ns });
    expect(status).toMatchObject({ status: 'Success', details: { name: 'web', kind: 'deployments' } });
    await t.clock.advance(100);
    expect((await t.apps.listNamespacedReplicaSet({ namespace: ns })).items).toHaveLength(0);
    expect((await t.core.listNamespacedPod({ namespace: ns })).items).toHaveLength(0);

    await t.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment('api', 'api:v1', { replicas: 1 }),
    });
    await t.clock.advance(100);
    await t.apps.deleteNamespacedDeployment({ name: 'api', namespace: ns, propagationPolicy: 'Orphan' });
    await t.clock.advance(100);
    const [rs] = (await t.apps.listNamespacedReplicaSet({ namespace: ns })).items;
    expect(rs?.metadata?.ownerReferences).toBeUndefined();
    expect((await t.core.listNamespacedPod({ namespace: ns })).items).toHaveLength(1);
    const pod = (await t.core.listNamespacedPod({ namespace: ns })).items[0]!;
    const deletedPod = await t.core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace: ns });
    expect(deletedPod.kind).toBe('Pod');
  });

  test('Foreground deletion removes dependents first; deletecollection honours the label selector', async () => {
    await t.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment('web', 'web:v1', { replicas: 2 }),
    });
    await quiet();
    const order: string[] = [];
    const stop = t.sim.api.store.subscribe((e) => {
      if (e.type === 'DELETED') order.push(e.object.kind!);
    });
    await t.apps.deleteNamespacedDeployment({ name: 'web', namespace: ns, propagationPolicy: 'Foreground' });
    stop();
    expect(order).toEqual(['Pod', 'Pod', 'ReplicaSet', 'Deployment']);
    for (const [name, app] of [
      ['a', 'x'],
      ['b', 'x'],
      ['c', 'y'],
    ]) {
      await t.core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name, labels: { app: app! } } },
      });
    }
    await t.core.deleteCollectionNamespacedConfigMap({ namespace: ns, labelSelector: 'app=x' });
    expect(
      (await t.core.listNamespacedConfigMap({ namespace: ns })).items.map((c) => c.metadata?.name),
    ).toEqual(['c']);
  });

  test('deleting a namespace deletes its contents', async () => {
    await t.core.createNamespace({ body: { metadata: { name: 'tmp' } } });
    await t.core.createNamespacedConfigMap({ namespace: 'tmp', body: { metadata: { name: 'x' } } });
    await t.core.deleteNamespace({ name: 'tmp' });
    expect((await failure(t.core.readNamespace({ name: 'tmp' }))).code).toBe(404);
    expect(
      (await t.core.listConfigMapForAllNamespaces()).items.filter((c) => c.metadata?.namespace === 'tmp'),
    ).toHaveLength(0);
  });
});
