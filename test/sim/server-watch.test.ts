// Watches: initial ADDED events, label-selector transitions, resumption, 410 Expired, bookmarks,
// timeoutSeconds in clock time, and client-node's informer recovering from a dropped watch and a 410.
import { makeInformer, type V1ConfigMap, Watch } from '@kubernetes/client-node';
import { afterEach, describe, expect, test } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { type SimulatedCluster, startSimulatedCluster } from '../../src/sim/index.js';
import { eventually } from '../support/eventually.js';
import { cluster, START, type TestCluster } from '../support/sim-cluster.js';

let t: TestCluster | undefined;
let extra: SimulatedCluster | undefined;
afterEach(async () => {
  await t?.sim.close();
  await extra?.close();
  t = extra = undefined;
});
const ns = 'default';
const path = `/api/v1/namespaces/${ns}/configmaps`;

function record(kc: ReturnType<SimulatedCluster['kubeConfig']>, query: Record<string, string>) {
  const events: string[] = [];
  const state = { closed: false };
  const started = new Watch(kc).watch(
    path,
    query,
    (type, obj: { metadata?: { name?: string; resourceVersion?: string }; code?: number; reason?: string }) =>
      events.push(
        type === 'ERROR'
          ? `ERROR ${obj.code} ${obj.reason}`
          : type === 'BOOKMARK'
            ? 'BOOKMARK'
            : `${type} ${obj.metadata?.name}`,
      ),
    () => {
      state.closed = true;
    },
  );
  return { events, state, started };
}

describe('watch', () => {
  test('without a resourceVersion, current objects arrive as ADDED; label changes move objects in and out', async () => {
    t = await cluster();
    const kc = t.sim.kubeConfig();
    await t.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'a', labels: { app: 'web' } } },
    });
    const w = record(kc, { labelSelector: 'app=web' });
    await w.started;
    await eventually(() => expect(w.events.length === 1, 'the initial ADDED').toBe(true));
    const relabel = (app: string) =>
      t!.core.patchNamespacedConfigMap({
        name: 'a',
        namespace: ns,
        body: [{ op: 'replace', path: '/metadata/labels/app', value: app }],
      });
    await relabel('api');
    await relabel('web');
    await t.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'other', labels: { app: 'api' } } },
    });
    await t.core.deleteNamespacedConfigMap({ name: 'a', namespace: ns });
    await eventually(() => expect(w.events.length === 4, 'four events').toBe(true));
    expect(w.events).toEqual(['ADDED a', 'DELETED a', 'ADDED a', 'DELETED a']);
    (await w.started).abort();
  });

  test('a resourceVersion older than the history answers ERROR 410 Expired and closes', async () => {
    t = await cluster();
    const list = await t.core.listNamespacedConfigMap({ namespace: ns });
    await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'a' } } });
    t.sim.compactHistory();
    const w = record(t.sim.kubeConfig(), { resourceVersion: list.metadata!.resourceVersion! });
    await w.started;
    await eventually(() => expect(w.state.closed, 'the stream close').toBe(true));
    expect(w.events).toEqual(['ERROR 410 Expired']);
  });

  test('bookmarks when allowed; timeoutSeconds ends the stream in clock time', async () => {
    const clock = new VirtualClock({ start: START });
    extra = await startSimulatedCluster({ clock, bookmarkIntervalMs: 10 });
    const kc = extra.kubeConfig();
    const list = await fetch(`${extra.url}${path}`).then(
      (r) => r.json() as Promise<{ metadata: { resourceVersion: string } }>,
    );
    const w = record(kc, {
      resourceVersion: list.metadata.resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: '60',
    });
    await w.started;
    await eventually(() => expect(w.events.includes('BOOKMARK'), 'a bookmark').toBe(true));
    expect(w.state.closed).toBe(false);
    await clock.advance(60_000);
    await eventually(() => expect(w.state.closed, 'the timeout').toBe(true));
  });

  test("client-node's informer survives a dropped watch and a 410 by re-listing", async () => {
    t = await cluster();
    const kc = t.sim.kubeConfig();
    const informer = makeInformer<V1ConfigMap>(kc, path, () =>
      t!.core.listNamespacedConfigMap({ namespace: ns }),
    );
    const seen = new Set<string>();
    informer.on('add', (cm) => seen.add(cm.metadata!.name!));
    await informer.start();
    await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'one' } } });
    await eventually(() => expect(seen.has('one'), 'one').toBe(true));
    // The server forgets history and cuts the stream: the informer's re-watch gets 410 and re-lists.
    t.sim.compactHistory();
    await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'two' } } });
    t.sim.faults.dropWatches('configmaps');
    await eventually(() => expect(seen.has('two'), 'two after the re-list').toBe(true));
    await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'three' } } });
    await eventually(() => expect(seen.has('three'), 'three on the new watch').toBe(true));
    await informer.stop();
  });
});
