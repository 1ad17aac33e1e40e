// Conformance scenarios: behaviour kdeploy relies on, written once against a `ConformanceTarget` and run
// against the simulated cluster (test/sim/conformance.test.ts) and the real control plane
// (test/e2e/conformance.test.ts). They talk to the cluster only through @kubernetes/client-node and assert
// observable sequences — conditions, ReplicaSet sizes, revisions — so any difference is a simulator bug.
//
// Timing is kept short and backend-neutral: progressDeadlineSeconds of a few seconds, pods that are Ready
// quickly (KWOK at once; the simulator after ~100 ms), waits in the target's own time (`target.sleep`).
// Failing pods use the test bed's KWOK conventions: image tag prefix `unready` never becomes Ready.
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1ReplicaSet,
  Watch,
} from '@kubernetes/client-node';
import { expect } from 'vitest';

export interface ConformanceTarget {
  kubeConfig: KubeConfig;
  /** A namespace that exists and is empty, for this scenario alone. */
  namespace: string;
  /** Waits in the target's time: real time on a real cluster, the simulator's clock otherwise. */
  sleep(ms: number): Promise<void>;
  /**
   * Drops the server's change history now, as etcd compaction plus watch-cache eviction do on a
   * long-lived cluster. A fresh real control plane can't be made to do that within a test (its watch cache
   * only evicts events older than 75 s once full), so only the simulator offers it.
   */
  expireHistory?(): Promise<void>;
}

export interface ConformanceScenario {
  name: string;
  run(target: ConformanceTarget): Promise<void>;
}

const REVISION = 'deployment.kubernetes.io/revision';

function deployment(
  name: string,
  image: string,
  extra: Partial<{ progressDeadlineSeconds: number }> = {},
): V1Deployment {
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      progressDeadlineSeconds: extra.progressDeadlineSeconds ?? 60,
      // One pod at a time, never below 3 available: the only order the controller can take.
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 1 as never, maxUnavailable: 0 as never },
      },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image, ports: [{ name: 'http', containerPort: 8080 }] }] },
      },
    },
  };
}

async function waitFor<T>(
  target: ConformanceTarget,
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  let last: unknown;
  for (let waited = 0; waited <= timeoutMs; waited += 100) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await target.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

function condition(d: V1Deployment, type: string) {
  return d.status?.conditions?.find((c) => c.type === type);
}

/** Complete the way `kubectl rollout status` judges it. */
function complete(d: V1Deployment): boolean {
  const s = d.status ?? {};
  const r = d.spec?.replicas ?? 1;
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    s.updatedReplicas === r &&
    s.replicas === r &&
    s.availableReplicas === r &&
    condition(d, 'Progressing')?.reason === 'NewReplicaSetAvailable'
  );
}

async function rolledOut(target: ConformanceTarget, apps: AppsV1Api, name: string): Promise<V1Deployment> {
  return waitFor(target, `deployment ${name} to complete`, async () => {
    const d = await apps.readNamespacedDeployment({ name, namespace: target.namespace });
    return complete(d) ? d : undefined;
  });
}

async function replicaSets(apps: AppsV1Api, namespace: string, app: string): Promise<V1ReplicaSet[]> {
  const list = await apps.listNamespacedReplicaSet({ namespace, labelSelector: `app=${app}` });
  return list.items;
}

function imageOf(rs: V1ReplicaSet): string | undefined {
  return rs.spec?.template?.spec?.containers?.[0]?.image;
}

/** Watches ReplicaSets and records each one's spec.replicas whenever it changes. */
async function recordReplicaSetSizes(kc: KubeConfig, namespace: string, app: string) {
  const sizes = new Map<string, number[]>();
  const watch = await new Watch(kc).watch(
    `/apis/apps/v1/namespaces/${namespace}/replicasets`,
    { labelSelector: `app=${app}` },
    (_type, obj: V1ReplicaSet) => {
      const name = obj.metadata!.name!;
      const seq = sizes.get(name) ?? [];
      const n = obj.spec?.replicas ?? 0;
      if (seq[seq.length - 1] !== n) seq.push(n);
      sizes.set(name, seq);
    },
    () => {},
  );
  return { sizes, stop: () => watch.abort() };
}

const setImage = (apps: AppsV1Api, namespace: string, name: string, image: string) =>
  apps.patchNamespacedDeployment(
    { name, namespace, body: { spec: { template: { spec: { containers: [{ name: 'app', image }] } } } } },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );

/** A raw watch from `resourceVersion`, collecting `TYPE name` lines and ERROR statuses. */
async function watchFrom(target: ConformanceTarget, path: string, resourceVersion: string) {
  const seen: string[] = [];
  const errors: { type: string; code?: number; reason?: string }[] = [];
  const controller = await new Watch(target.kubeConfig).watch(
    path,
    { resourceVersion },
    (type, obj: { code?: number; reason?: string; metadata?: { name?: string } }) => {
      seen.push(`${type} ${obj.metadata?.name ?? ''}`);
      if (type === 'ERROR') errors.push({ type, code: obj.code, reason: obj.reason });
    },
    () => {},
  );
  return { seen, errors, stop: () => controller.abort() };
}

export const scenarios: ConformanceScenario[] = [
  {
    name: 'rolling update progresses one pod at a time to a new revision',
    async run(target) {
      const apps = target.kubeConfig.makeApiClient(AppsV1Api);
      const ns = target.namespace;
      await apps.createNamespacedDeployment({
        namespace: ns,
        body: deployment('roll', 'registry.local/roll:v1'),
      });
      const first = await rolledOut(target, apps, 'roll');
      expect(first.metadata?.annotations?.[REVISION]).toBe('1');
      expect(first.metadata?.generation).toBe(1);
      expect(condition(first, 'Available')).toMatchObject({
        status: 'True',
        reason: 'MinimumReplicasAvailable',
      });
      const [oldRs] = await replicaSets(apps, ns, 'roll');
      const recorder = await recordReplicaSetSizes(target.kubeConfig, ns, 'roll');
      try {
        await setImage(apps, ns, 'roll', 'registry.local/roll:v2');
        const done = await rolledOut(target, apps, 'roll');
        await target.sleep(200); // let the last watch events arrive
        const all = await replicaSets(apps, ns, 'roll');
        const newRs = all.find((rs) => imageOf(rs) === 'registry.local/roll:v2')!;
        const hash = newRs.metadata!.labels!['pod-template-hash']!;
        expect(all).toHaveLength(2);
        expect(newRs.metadata!.name).toBe(`roll-${hash}`);
        expect(newRs.spec!.selector!.matchLabels!['pod-template-hash']).toBe(hash);
        expect(newRs.metadata!.annotations![REVISION]).toBe('2');
        expect(newRs.metadata!.ownerReferences?.[0]).toMatchObject({
          kind: 'Deployment',
          name: 'roll',
          controller: true,
        });
        expect(done.metadata?.annotations?.[REVISION]).toBe('2');
        expect(done.metadata?.generation).toBe(2);
        expect(done.status?.observedGeneration).toBe(2);
        expect(condition(done, 'Progressing')).toMatchObject({
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${newRs.metadata!.name}" has successfully progressed.`,
        });
        // maxSurge 1 / maxUnavailable 0 leaves the controller exactly one order of steps.
        expect(recorder.sizes.get(newRs.metadata!.name!)).toEqual([1, 2, 3]);
        expect(recorder.sizes.get(oldRs!.metadata!.name!)).toEqual([3, 2, 1, 0]);
      } finally {
        recorder.stop();
      }
    },
  },
  {
    name: 'a rollout whose pods never become Ready reaches ProgressDeadlineExceeded',
    async run(target) {
      const apps = target.kubeConfig.makeApiClient(AppsV1Api);
      const ns = target.namespace;
      await apps.createNamespacedDeployment({
        namespace: ns,
        body: deployment('stuck', 'registry.local/stuck:v1', { progressDeadlineSeconds: 3 }),
      });
      await rolledOut(target, apps, 'stuck');
      await setImage(apps, ns, 'stuck', 'registry.local/stuck:unready-v2');
      const progressing = await waitFor(target, 'Progressing to become ReplicaSetUpdated', async () => {
        const d = await apps.readNamespacedDeployment({ name: 'stuck', namespace: ns });
        const c = condition(d, 'Progressing');
        return c?.reason === 'ReplicaSetUpdated' || c?.reason === 'NewReplicaSetCreated' ? c : undefined;
      });
      expect(progressing.status).toBe('True');
      const timedOut = await waitFor(target, 'ProgressDeadlineExceeded', async () => {
        const d = await apps.readNamespacedDeployment({ name: 'stuck', namespace: ns });
        return condition(d, 'Progressing')?.reason === 'ProgressDeadlineExceeded' ? d : undefined;
      });
      const newRs = (await replicaSets(apps, ns, 'stuck')).find((rs) =>
        imageOf(rs)?.endsWith(':unready-v2'),
      )!;
      expect(condition(timedOut, 'Progressing')).toMatchObject({
        status: 'False',
        message: `ReplicaSet "${newRs.metadata!.name}" has timed out progressing.`,
      });
      // The old pods stay: maxUnavailable 0 never lets availability drop.
      expect(condition(timedOut, 'Available')?.status).toBe('True');
      expect(timedOut.status).toMatchObject({
        replicas: 4,
        updatedReplicas: 1,
        availableReplicas: 3,
        readyReplicas: 3,
        unavailableReplicas: 1,
      });
      expect(newRs.spec?.replicas).toBe(1);
    },
  },
  {
    name: 'rolling back to the previous template reuses its ReplicaSet under a new revision',
    async run(target) {
      const apps = target.kubeConfig.makeApiClient(AppsV1Api);
      const ns = target.namespace;
      await apps.createNamespacedDeployment({
        namespace: ns,
        body: deployment('back', 'registry.local/back:v1'),
      });
      await rolledOut(target, apps, 'back');
      await setImage(apps, ns, 'back', 'registry.local/back:v2');
      await rolledOut(target, apps, 'back');
      await setImage(apps, ns, 'back', 'registry.local/back:v1');
      const done = await rolledOut(target, apps, 'back');
      const all = await replicaSets(apps, ns, 'back');
      expect(all).toHaveLength(2);
      const v1 = all.find((rs) => imageOf(rs) === 'registry.local/back:v1')!;
      const v2 = all.find((rs) => imageOf(rs) === 'registry.local/back:v2')!;
      expect(v1.metadata?.annotations?.[REVISION]).toBe('3');
      expect(v1.metadata?.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
      expect(v1.spec?.replicas).toBe(3);
      expect(v2.metadata?.annotations?.[REVISION]).toBe('2');
      expect(v2.spec?.replicas).toBe(0);
      expect(done.metadata?.annotations?.[REVISION]).toBe('3');
      expect(done.metadata?.generation).toBe(3);
    },
  },
  {
    name: 'a stale resourceVersion gets 409 Conflict; a duplicate create gets 409 AlreadyExists',
    async run(target) {
      const core = target.kubeConfig.makeApiClient(CoreV1Api);
      const ns = target.namespace;
      const created = await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'cfg' }, data: { a: '1' } },
      });
      const stale = structuredClone(created);
      const fresh = await core.replaceNamespacedConfigMap({
        name: 'cfg',
        namespace: ns,
        body: { ...created, data: { a: '2' } },
      });
      expect(Number(fresh.metadata?.resourceVersion)).toBeGreaterThan(
        Number(created.metadata?.resourceVersion),
      );
      const conflict = await core
        .replaceNamespacedConfigMap({ name: 'cfg', namespace: ns, body: { ...stale, data: { a: '3' } } })
        .catch((e) => e);
      expect(conflict).toBeInstanceOf(ApiException);
      expect(conflict.code).toBe(409);
      expect(JSON.parse(conflict.body)).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
      expect((await core.readNamespacedConfigMap({ name: 'cfg', namespace: ns })).data).toEqual({ a: '2' });
      const dup = await core
        .createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cfg' } } })
        .catch((e) => e);
      expect(dup.code).toBe(409);
      expect(JSON.parse(dup.body)).toMatchObject({
        reason: 'AlreadyExists',
        details: { name: 'cfg', kind: 'configmaps' },
      });
      const missing = await core.readNamespacedConfigMap({ name: 'nope', namespace: ns }).catch((e) => e);
      expect(missing.code).toBe(404);
      expect(JSON.parse(missing.body)).toMatchObject({
        reason: 'NotFound',
        message: 'configmaps "nope" not found',
      });
    },
  },
  {
    name: 'a dropped watch resumes from its last resourceVersion; a too-old one gets 410 and a re-list recovers',
    async run(target) {
      const core = target.kubeConfig.makeApiClient(CoreV1Api);
      const ns = target.namespace;
      const path = `/api/v1/namespaces/${ns}/configmaps`;
      const list = await core.listNamespacedConfigMap({ namespace: ns });
      const seen: string[] = [];
      let lastRv = list.metadata!.resourceVersion!;
      const onEvent = (type: string, obj: { metadata?: { name?: string; resourceVersion?: string } }) => {
        seen.push(`${type} ${obj.metadata?.name}`);
        lastRv = obj.metadata?.resourceVersion ?? lastRv;
      };
      const first = await new Watch(target.kubeConfig).watch(
        path,
        { resourceVersion: lastRv },
        onEvent,
        () => {},
      );
      await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'a' }, data: { v: '1' } },
      });
      await waitFor(target, 'ADDED a', async () => (seen.includes('ADDED a') ? true : undefined), 10_000);
      first.abort(); // the connection drops
      await core.patchNamespacedConfigMap(
        { name: 'a', namespace: ns, body: { data: { v: '2' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'b' } } });
      await core.deleteNamespacedConfigMap({ name: 'a', namespace: ns });
      const resumed = await new Watch(target.kubeConfig).watch(
        path,
        { resourceVersion: lastRv },
        onEvent,
        () => {},
      );
      await waitFor(target, 'the missed events', async () => (seen.length >= 4 ? true : undefined), 10_000);
      resumed.abort();
      expect(seen).toEqual(['ADDED a', 'MODIFIED a', 'ADDED b', 'DELETED a']);

      // A resourceVersion older than the server's history: a young watch cache (nothing evicted yet) replays
      // from its start without error; once events were evicted the stream carries one ERROR 410 Expired.
      // Which one a real apiserver answers depends on its cache's age and traffic, so both are correct.
      const old = await watchFrom(target, path, '1');
      await waitFor(
        target,
        'a replay (ADDED b) or ERROR 410',
        async () => (old.seen.includes('ADDED b') || old.errors.length ? true : undefined),
        10_000,
      );
      old.stop();
      for (const error of old.errors)
        expect(error).toMatchObject({ type: 'ERROR', code: 410, reason: 'Expired' });

      if (target.expireHistory) {
        // Once the history is gone, the stream carries one ERROR 410 Expired.
        await target.expireHistory();
        const expired = await watchFrom(target, path, '1');
        await waitFor(
          target,
          'the 410 ERROR event',
          async () => (expired.errors.length ? true : undefined),
          10_000,
        );
        expired.stop();
        expect(expired.errors[0]).toMatchObject({ type: 'ERROR', code: 410, reason: 'Expired' });
      }
      // Recovery: re-list, then watch from the list's resourceVersion.
      const relist = await core.listNamespacedConfigMap({ namespace: ns });
      expect(relist.items.map((c) => c.metadata?.name)).toContain('b');
      const after: string[] = [];
      const again = await new Watch(target.kubeConfig).watch(
        path,
        { resourceVersion: relist.metadata!.resourceVersion! },
        (type, obj: { metadata?: { name?: string } }) => after.push(`${type} ${obj.metadata?.name}`),
        () => {},
      );
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'c' } } });
      await waitFor(target, 'ADDED c', async () => (after.includes('ADDED c') ? true : undefined), 10_000);
      again.abort();
      expect(after).toEqual(['ADDED c']);
    },
  },
];
