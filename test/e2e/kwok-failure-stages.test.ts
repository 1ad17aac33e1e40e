// The KWOK failure stages in test/testbed/fixtures/kwok-stages.yaml, selected by the kdeploy.test/fail
// label or by the image tag, on bare pods placed by the real scheduler.
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { testbedKubeConfig, useTestNamespace } from '../testbed/namespace.js';
import { waitFor } from '../testbed/wait.js';

const ns = useTestNamespace('stages');

function pod(name: string, image: string, fail?: string): V1Pod {
  return {
    metadata: { name, labels: fail ? { 'kdeploy.test/fail': fail } : {} },
    spec: { containers: [{ name: 'app', image }] },
  };
}

async function create(p: V1Pod): Promise<CoreV1Api> {
  const core = testbedKubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespacedPod({ namespace: ns.name, body: p });
  return core;
}

const ready = (p: V1Pod) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status;

async function waitPod(name: string, what: string, pred: (p: V1Pod) => boolean, timeoutMs = 30_000) {
  const core = testbedKubeConfig().makeApiClient(CoreV1Api);
  return waitFor(
    `pod ${name} ${what}`,
    async () => {
      const p = await core.readNamespacedPod({ name, namespace: ns.name });
      return { done: pred(p), value: p };
    },
    { timeoutMs },
  );
}

describe('KWOK pod stages', () => {
  it('a pod without a failure mode becomes Running and Ready', async () => {
    await create(pod('ok', 'registry.example/app:v1'));
    const { status: s = {} } = await waitPod('ok', 'Ready', (p) => ready(p) === 'True');
    expect(s.phase).toBe('Running');
    expect(s.podIP).toBeTruthy();
  });

  for (const [name, image, label] of [
    ['unready-label', 'registry.example/app:v1', 'never-ready'],
    ['unready-tag', 'registry.example/app:unready-7', undefined],
  ] as const) {
    it(`never-ready via ${label ? 'label' : 'image tag'}: Running but not Ready, and stays so`, async () => {
      await create(pod(name, image, label));
      await waitPod(name, 'Running', (p) => p.status?.phase === 'Running');
      await new Promise((r) => setTimeout(r, 3_000));
      const core = testbedKubeConfig().makeApiClient(CoreV1Api);
      const p = await core.readNamespacedPod({ name, namespace: ns.name });
      expect(ready(p)).toBe('False');
      expect(p.status?.containerStatuses?.[0]).toMatchObject({ ready: false, restartCount: 0 });
    });
  }

  for (const [name, image, label] of [
    ['crash-label', 'registry.example/app:v1', 'crash'],
    ['crash-tag', 'registry.example/app:crash-1', undefined],
  ] as const) {
    it(`crash via ${label ? 'label' : 'image tag'}: CrashLoopBackOff with restarts climbing`, async () => {
      await create(pod(name, image, label));
      const { status: s = {} } = await waitPod(
        name,
        'restartCount >= 3',
        (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 3,
      );
      const c = s.containerStatuses?.[0];
      expect(s.phase).toBe('Running');
      expect(c?.ready).toBe(false);
      expect(c?.state?.waiting?.reason).toBe('CrashLoopBackOff');
      expect(c?.lastState?.terminated?.exitCode).toBe(1);
    });
  }

  it('fail via label: phase Failed with a non-zero exit code', async () => {
    await create(pod('failed', 'registry.example/app:v1', 'fail'));
    const { status: s = {} } = await waitPod('failed', 'Failed', (p) => p.status?.phase === 'Failed');
    expect(s.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(1);
  });
});
