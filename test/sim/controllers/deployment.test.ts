// The deployment controller against upstream behaviour: fencepost rounding, minReadySeconds, progress
// deadlines in virtual time, revision history, paused deployments, scaling events and Recreate.
import { AppsV1Api, type V1Deployment } from '@kubernetes/client-node';
import { afterEach, describe, expect, test } from 'vitest';
import { startSimulatedCluster } from '../../../src/sim/index.js';
import { eventually, quiet } from '../../support/eventually.js';
import { cluster, deployment, type TestCluster } from '../../support/sim-cluster.js';

let t: TestCluster;
afterEach(async () => {
  await t?.sim.close();
});

const ns = 'default';
const fast = { pods: { startDelay: '100ms', readyDelay: '200ms' } };
const read = () => t.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
const cond = (d: V1Deployment, type: string) => d.status?.conditions?.find((c) => c.type === type);
const complete = (d: V1Deployment) =>
  cond(d, 'Progressing')?.reason === 'NewReplicaSetAvailable' &&
  d.status?.updatedReplicas === d.spec?.replicas &&
  d.status?.availableReplicas === d.spec?.replicas &&
  d.status?.replicas === d.spec?.replicas;
const rolledOut = () => eventually(async () => complete(await read()), { clock: t.clock });
const sizes = async () =>
  Object.fromEntries(
    (await t.apps.listNamespacedReplicaSet({ namespace: ns })).items.map((rs) => [
      rs.spec!.template!.spec!.containers[0]!.image!,
      rs.spec!.replicas,
    ]),
  );
const setImage = (image: string) =>
  t.apps.patchNamespacedDeployment({
    name: 'web',
    namespace: ns,
    body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: image }],
  });
const scalingEvents = async () =>
  (
    await t.core.listNamespacedEvent({
      namespace: ns,
      fieldSelector: 'involvedObject.name=web,reason=ScalingReplicaSet',
    })
  ).items.map((e) => e.message!.replace(/web-\w+/, 'web-<hash>'));

describe('rolling updates', () => {
  test('percentages: maxSurge rounds up, maxUnavailable rounds down (10 replicas, 25 %: +3, -2)', async () => {
    t = await cluster(fast);
    await t.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment('web', 'web:v1', { replicas: 10 }),
    });
    await rolledOut();
    await setImage('web:v2');
    await quiet();
    // Upstream's order: new 0→3 (surge), old 10→8 (unavailable), new 3→5 (room freed); then wait for readiness.
    expect(await sizes()).toEqual({ 'web:v1': 8, 'web:v2': 5 });
    const d = await read();
    expect(cond(d, 'Progressing')?.reason).toBe('ReplicaSetUpdated');
    expect(cond(d, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    await rolledOut();
    expect(await sizes()).toEqual({ 'web:v1': 0, 'web:v2': 10 });
    expect((await scalingEvents()).slice(0, 4)).toEqual([
      'Scaled up replica set web-<hash> from 0 to 10',
      'Scaled up replica set web-<hash> from 0 to 3',
      'Scaled down replica set web-<hash> from 10 to 8',
      'Scaled up replica set web-<hash> from 3 to 5',
    ]);
    expect(t.sim.errors).toEqual([]);
  });

  test('3 replicas at 10 %: surge ceil(0.3) = 1, unavailable floor(0.3) = 0', async () => {
    t = await cluster(fast);
    await t.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment('web', 'web:v1', { maxSurge: '10%', maxUnavailable: '10%' }),
    });
    await rolledOut();
    await setImage('web:v2');
    await quiet();
    expect(await sizes()).toEqual({ 'web:v1': 3, 'web:v2': 1 });
  });

  test('minReadySeconds delays availability in virtual time', async () => {
    t = await cluster(fast);
    await t.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment('web', 'web:v1', { minReadySeconds: 30 }),
    });
    await t.clock.advance(1000);
    await quiet();
    let d = await read();
    expect(d.status).toMatchObject({ readyReplicas: 3, availableReplicas: 0, unavailableReplicas: 3 });
    expect(cond(d, 'Available')).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
      message: 'Deployment does not have minimum availability.',
    });
    await t.clock.advance(30_000);
    await quiet();
    d = await read();
    expect(d.status?.availableReplicas).toBe(3);
    expect(cond(d, 'Progressing')?.reason).toBe('NewReplicaSetAvailable');
  });

  test('a crashing version stalls within maxUnavailable and times out exactly at the progress deadline', async () => {
    t = await cluster('rolling-crash');
    await t.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment('web', 'web:v1', { progressDeadlineSeconds: 120 }),
    });
    await rolledOut();
    await setImage('web:v2');
    await quiet();
    const start = t.clock.now();
    await eventually(async () => cond(await read(), 'Progressing')?.reason === 'ProgressDeadlineExceeded', {
      clock: t.clock,
      timeoutMs: 10 * 60_000,
      stepMs: 1000,
    });
    const elapsed = t.clock.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(120_000);
    expect(elapsed).toBeLessThanOrEqual(123_000); // the controller rechecks deadline + 1 s, as upstream
    const d = await read();
    expect(d.status).toMatchObject({ replicas: 4, updatedReplicas: 1, availableReplicas: 3 });
    expect(cond(d, 'Available')?.status).toBe('True');
    const pods = (await t.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items;
    const crashing = pods.filter((p) => p.spec?.containers[0]?.image === 'web:v2');
    expect(crashing).toHaveLength(1);
    expect(crashing[0]!.status?.containerStatuses?.[0]?.restartCount).toBeGreaterThan(3);
  });
});

describe('revisions', () => {
  test('revisionHistoryLimit keeps only that many old ReplicaSets', async () => {
    t = await cluster(fast);
    await t.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment('web', 'web:v1', { revisionHistoryLimit: 1 }),
    });
    await rolledOut();
    for (const v of ['v2', 'v3', 'v4']) {
      await setImage(`web:${v}`);
      await quiet();
      await rolledOut();
    }
    await quiet();
    expect(await sizes()).toEqual({ 'web:v3': 0, 'web:v4': 3 });
    expect((await read()).metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('4');
  });

  test('paused: template changes wait; resume rolls out', async () => {
    t = await cluster(fast);
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 'web:v1') });
    await rolledOut();
    await t.apps.patchNamespacedDeployment({
      name: 'web',
      namespace: ns,
      body: [{ op: 'add', path: '/spec/paused', value: true }],
    });
    await setImage('web:v2');
    await t.clock.advance(5000);
    let d = await read();
    expect(cond(d, 'Progressing')).toMatchObject({
      status: 'Unknown',
      reason: 'DeploymentPaused',
      message: 'Deployment is paused',
    });
    expect(await sizes()).toEqual({ 'web:v1': 3 });
    await t.apps.patchNamespacedDeployment({
      name: 'web',
      namespace: ns,
      body: [{ op: 'replace', path: '/spec/paused', value: false }],
    });
    await quiet();
    d = await read();
    expect(cond(d, 'Progressing')?.reason).toMatch(
      /DeploymentResumed|NewReplicaSetCreated|ReplicaSetUpdated/,
    );
    await rolledOut();
    expect(await sizes()).toEqual({ 'web:v1': 0, 'web:v2': 3 });
  });
});

describe('scaling and strategies', () => {
  test('a replicas change scales the current ReplicaSet without a new revision', async () => {
    t = await cluster(fast);
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 'web:v1') });
    await rolledOut();
    await t.apps.patchNamespacedDeploymentScale({
      name: 'web',
      namespace: ns,
      body: [{ op: 'replace', path: '/spec/replicas', value: 5 }],
    });
    await rolledOut();
    expect(await sizes()).toEqual({ 'web:v1': 5 });
    expect((await read()).metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect((await scalingEvents()).at(-1)).toBe('Scaled up replica set web-<hash> from 3 to 5');
  });

  test('Recreate removes every old pod before creating new ones', async () => {
    t = await cluster(fast);
    const body = deployment('web', 'web:v1');
    body.spec!.strategy = { type: 'Recreate' };
    await t.apps.createNamespacedDeployment({ namespace: ns, body });
    await rolledOut();
    await setImage('web:v2');
    const seen = new Set<string>();
    await eventually(
      async () => {
        const pods = (await t.core.listNamespacedPod({ namespace: ns })).items.map(
          (p) => p.spec!.containers[0]!.image!,
        );
        seen.add([...new Set(pods)].sort().join('+'));
        return complete(await read()) && pods.every((i) => i === 'web:v2');
      },
      { clock: t.clock, timeoutMs: 60_000, stepMs: 50 },
    );
    expect(seen.has('web:v1+web:v2')).toBe(false);
    expect(await sizes()).toEqual({ 'web:v1': 0, 'web:v2': 3 });
  });
});

describe('real time', () => {
  test('with the default RealClock (as `kdeploy demo` runs it) a deployment becomes available in wall time', async () => {
    const sim = await startSimulatedCluster({
      scenario: { pods: { startDelay: '20ms', readyDelay: '30ms' } },
    });
    try {
      const apps = sim.kubeConfig().makeApiClient(AppsV1Api);
      await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 'web:v1') });
      // The subject is wall time itself, so this one waits in real time.
      await eventually(
        async () => complete(await apps.readNamespacedDeployment({ name: 'web', namespace: ns })),
        {
          timeoutMs: 5000,
          stepMs: 20,
        },
      );
      expect(sim.errors).toEqual([]);
    } finally {
      await sim.close();
    }
  });
});
