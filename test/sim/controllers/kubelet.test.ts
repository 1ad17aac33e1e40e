// Pod lifecycles on the injected clock: Ready after the scenario's delays, and every failure mode with the
// container states, restart counts, events and logs a real kubelet/scheduler would produce.
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, test } from 'vitest';
import { eventually } from '../../support/eventually.js';
import { cluster, type TestCluster } from '../../support/sim-cluster.js';

let t: TestCluster;
afterEach(async () => {
  await t?.sim.close();
});

const ns = 'default';
const scenario = {
  pods: {
    startDelay: '500ms',
    readyDelay: '1s',
    crashLoop: { runFor: '1s', backoff: '10s', maxBackoff: '40s' },
  },
  failures: [{ labels: { tier: 'memory-hungry' }, mode: 'oom' as const }],
};

function pod(name: string, image: string, labels: Record<string, string> = {}, cpu?: string): V1Pod {
  return {
    metadata: { name, labels },
    spec: { containers: [{ name: 'app', image, ...(cpu ? { resources: { requests: { cpu } } } : {}) }] },
  };
}

const read = (name: string) => t.core.readNamespacedPod({ name, namespace: ns });
const ready = (p: V1Pod) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status;
const container = (p: V1Pod) => p.status!.containerStatuses![0]!;
async function events(name: string): Promise<CoreV1Event[]> {
  return (await t.core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` }))
    .items;
}
const reasons = async (name: string) => (await events(name)).map((e) => e.reason);
const logs = (name: string, previous?: boolean) =>
  t.core.readNamespacedPodLog({ name, namespace: ns, previous });
const logError = async (name: string) =>
  JSON.parse(((await logs(name).catch((e) => e)) as { body: string }).body).message as string;

describe('healthy pods', () => {
  test('are scheduled, run after startDelay and become Ready after readyDelay, in virtual time', async () => {
    t = await cluster(scenario);
    await t.core.createNamespacedPod({ namespace: ns, body: pod('ok', 'shop:v1') });
    await t.clock.advance(10);
    let p = await read('ok');
    expect(p.spec?.nodeName).toMatch(/^sim-node-\d$/);
    expect(p.status?.phase).toBe('Pending');
    expect(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    await t.clock.advance(500);
    p = await read('ok');
    expect(p.status?.phase).toBe('Running');
    expect(ready(p)).toBe('False');
    expect(p.status?.podIP).toMatch(/^10\.244\./);
    await t.clock.advance(1000);
    p = await read('ok');
    expect(ready(p)).toBe('True');
    expect(container(p)).toMatchObject({ ready: true, restartCount: 0, started: true });
    expect(await reasons('ok')).toEqual(['Scheduled', 'Pulled', 'Created', 'Started']);
    expect(await logs('ok')).toContain('listening on :8080');
    expect(t.sim.errors).toEqual([]);
  });
});

describe('failure modes', () => {
  test('crash (tag prefix): CrashLoopBackOff, climbing restarts, BackOff events, previous logs', async () => {
    t = await cluster(scenario);
    await t.core.createNamespacedPod({ namespace: ns, body: pod('crashy', 'shop:crash-1') });
    await t.clock.advance(1600);
    let p = await read('crashy');
    expect(p.status?.phase).toBe('Running');
    expect(container(p)).toMatchObject({
      restartCount: 1,
      ready: false,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error' } },
    });
    expect(await logs('crashy', true)).toContain('panic: runtime error');
    expect(await logs('crashy')).toContain('panic: runtime error'); // the last run's output while waiting
    await t.clock.advance(10_000 + 1000);
    p = await read('crashy');
    expect(container(p).restartCount).toBe(2);
    await eventually(async () => container(await read('crashy')).restartCount === 4, {
      clock: t.clock,
      timeoutMs: 120_000,
      stepMs: 2000,
    });
    const backOff = (await events('crashy')).find((e) => e.reason === 'BackOff')!;
    expect(backOff.type).toBe('Warning');
    expect(backOff.count).toBe(4);
    expect(backOff.message).toMatch(/^Back-off restarting failed container app in pod crashy_default\(/);
    expect(ready(await read('crashy'))).toBe('False');
  });

  test('oom (scenario label rule): OOMKilled with exit code 137', async () => {
    t = await cluster(scenario);
    await t.core.createNamespacedPod({
      namespace: ns,
      body: pod('hungry', 'shop:v1', { tier: 'memory-hungry' }),
    });
    await t.clock.advance(1600);
    expect(container(await read('hungry'))).toMatchObject({
      restartCount: 1,
      lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
    });
    expect(await logs('hungry', true)).toContain('out of memory');
  });

  test('never-ready (kdeploy.test/fail label): Running, Ready False, Unhealthy events', async () => {
    t = await cluster(scenario);
    await t.core.createNamespacedPod({
      namespace: ns,
      body: pod('slow', 'shop:v1', { 'kdeploy.test/fail': 'never-ready' }),
    });
    await t.clock.advance(60_000);
    const p = await read('slow');
    expect(p.status?.phase).toBe('Running');
    expect(ready(p)).toBe('False');
    expect(container(p)).toMatchObject({ ready: false, started: true, restartCount: 0 });
    const unhealthy = (await events('slow')).find((e) => e.reason === 'Unhealthy')!;
    expect(unhealthy.message).toBe('Readiness probe failed: HTTP probe failed with statuscode: 503');
    expect(unhealthy.count).toBeGreaterThanOrEqual(5);
  });

  test('unready (tag prefix shared with KWOK) never becomes Ready', async () => {
    t = await cluster(scenario);
    await t.core.createNamespacedPod({ namespace: ns, body: pod('u', 'shop:unready-2') });
    await t.clock.advance(30_000);
    expect(ready(await read('u'))).toBe('False');
  });

  test('fail (label): phase Failed with a terminated container', async () => {
    t = await cluster(scenario);
    await t.core.createNamespacedPod({
      namespace: ns,
      body: pod('dead', 'shop:v1', { 'kdeploy.test/fail': 'fail' }),
    });
    await t.clock.advance(600);
    const p = await read('dead');
    expect(p.status?.phase).toBe('Failed');
    expect(container(p).state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
  });

  test('pullerr (tag prefix): ErrImagePull then ImagePullBackOff, Pending, logs refuse', async () => {
    t = await cluster(scenario);
    await t.core.createNamespacedPod({ namespace: ns, body: pod('nopull', 'registry.local/shop:pullerr-9') });
    await t.clock.advance(10);
    let p = await read('nopull');
    expect(container(p).state?.waiting?.reason).toBe('ErrImagePull');
    expect(await logError('nopull')).toBe(
      'container "app" in pod "nopull" is waiting to start: trying and failing to pull image',
    );
    await t.clock.advance(600);
    p = await read('nopull');
    expect(p.status?.phase).toBe('Pending');
    expect(container(p).state?.waiting).toMatchObject({
      reason: 'ImagePullBackOff',
      message: 'Back-off pulling image "registry.local/shop:pullerr-9"',
    });
    const messages = (await events('nopull')).map((e) => `${e.reason}: ${e.message}`);
    expect(messages).toContain('Failed: Error: ErrImagePull');
    expect(messages).toContain('Failed: Error: ImagePullBackOff');
    expect(
      messages.some((m) => m.startsWith('Failed: Failed to pull image "registry.local/shop:pullerr-9"')),
    ).toBe(true);
  });

  test('unsched (tag prefix): PodScheduled False with the scheduler message and a FailedScheduling event', async () => {
    t = await cluster(scenario);
    await t.core.createNamespacedPod({ namespace: ns, body: pod('nowhere', 'shop:unsched-1') });
    await t.clock.advance(10);
    const p = await read('nowhere');
    const message =
      '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
    expect(p.status?.phase).toBe('Pending');
    expect(p.spec?.nodeName).toBeUndefined();
    expect(p.status?.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message,
    });
    expect((await events('nowhere')).map((e) => `${e.type} ${e.reason} ${e.message}`)).toEqual([
      `Warning FailedScheduling ${message}`,
    ]);
  });

  test('capacity: CPU requests beyond the nodes stay Pending until a pod goes away', async () => {
    t = await cluster('unsched');
    for (const name of ['a', 'b', 'c'])
      await t.core.createNamespacedPod({ namespace: ns, body: pod(name, 'shop:v1', {}, '600m') });
    await t.clock.advance(10);
    expect((await read('a')).spec?.nodeName).not.toBe((await read('b')).spec?.nodeName);
    const c = await read('c');
    expect(c.status?.conditions?.[0]?.message).toBe(
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    );
    await t.core.deleteNamespacedPod({ name: 'a', namespace: ns });
    await t.clock.advance(10);
    expect((await read('c')).spec?.nodeName).toMatch(/^sim-node-/);
  });
});
