// A rollout whose new pods never become Ready: the real deployment controller marks it
// ProgressDeadlineExceeded, and maxUnavailable=0 keeps the old ReplicaSet serving.
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../src/kube/kubeconfig.js';
import { useTestNamespace } from '../testbed/namespace.js';
import { waitFor } from '../testbed/wait.js';
import { condition, deployment } from './fixtures.js';

const ns = useTestNamespace('deadline');

function apps(): AppsV1Api {
  return loadKubeConfig({ kubeconfig: process.env.KDEPLOY_TESTBED_KUBECONFIG }).kc.makeApiClient(AppsV1Api);
}

async function waitDeadlineExceeded(name: string, namespace: string) {
  return waitFor(`${name} to reach ProgressDeadlineExceeded`, async () => {
    const d = await apps().readNamespacedDeployment({ name, namespace });
    return { done: condition(d, 'Progressing')?.reason === 'ProgressDeadlineExceeded', value: d };
  });
}

describe('progress deadline on the real deployment controller', () => {
  it('an update to never-ready pods (image tag unready*) exceeds its deadline; the old pods stay available', async () => {
    const namespace = ns.name;
    const api = apps();
    await api.createNamespacedDeployment({
      namespace,
      body: deployment('api', 'registry.example/api:v1', { replicas: 2, progressDeadlineSeconds: 5 }),
    });
    await waitFor('api v1 available', async () => {
      const d = await api.readNamespacedDeployment({ name: 'api', namespace });
      return { done: d.status?.availableReplicas === 2 && d.status.updatedReplicas === 2, value: d.status };
    });

    await api.patchNamespacedDeployment(
      {
        name: 'api',
        namespace,
        body: {
          spec: {
            template: { spec: { containers: [{ name: 'app', image: 'registry.example/api:unready-v2' }] } },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const d = await waitDeadlineExceeded('api', namespace);
    expect(condition(d, 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
    });
    expect(condition(d, 'Available')?.status).toBe('True');
    expect(d.status?.availableReplicas).toBe(2);
    // maxSurge=1: exactly one new pod was created and it never became ready.
    expect(d.status?.updatedReplicas).toBe(1);
    expect(d.status?.unavailableReplicas).toBe(1);
  });

  it('an update to crash-looping pods (image tag crash*) exceeds its deadline with restarts climbing', async () => {
    const namespace = ns.name;
    const api = apps();
    await api.createNamespacedDeployment({
      namespace,
      body: deployment('cron', 'registry.example/cron:v1', { replicas: 1, progressDeadlineSeconds: 5 }),
    });
    await waitFor('cron v1 available', async () => {
      const d = await api.readNamespacedDeployment({ name: 'cron', namespace });
      return { done: d.status?.availableReplicas === 1, value: d.status };
    });
    await api.patchNamespacedDeployment(
      {
        name: 'cron',
        namespace,
        body: {
          spec: {
            template: { spec: { containers: [{ name: 'app', image: 'registry.example/cron:crash-v2' }] } },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const d = await waitDeadlineExceeded('cron', namespace);
    expect(d.status?.availableReplicas).toBe(1);
    const core = loadKubeConfig({ kubeconfig: process.env.KDEPLOY_TESTBED_KUBECONFIG }).kc.makeApiClient(
      CoreV1Api,
    );
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=cron' });
    const crashing = pods.items.filter(
      (p) => p.spec?.containers[0]?.image === 'registry.example/cron:crash-v2',
    );
    expect(crashing).toHaveLength(1);
    expect(crashing[0]?.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(crashing[0]?.status?.containerStatuses?.[0]?.restartCount).toBeGreaterThanOrEqual(1);
  });

  it('a first rollout of pods labelled kdeploy.test/fail=never-ready exceeds its deadline', async () => {
    const namespace = ns.name;
    await apps().createNamespacedDeployment({
      namespace,
      body: deployment('worker', 'registry.example/worker:v1', {
        replicas: 1,
        progressDeadlineSeconds: 3,
        podLabels: { 'kdeploy.test/fail': 'never-ready' },
      }),
    });
    const d = await waitDeadlineExceeded('worker', namespace);
    expect(condition(d, 'Available')).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
    });
    expect(d.status?.readyReplicas ?? 0).toBe(0);
  });
});
