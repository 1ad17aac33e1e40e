// A rolling update driven by the real deployment and ReplicaSet controllers: kdeploy's cluster-access layer
// creates the objects, KWOK makes the pods Ready, the endpointslice controller publishes them.
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../src/kube/kubeconfig.js';
import { useTestNamespace } from '../testbed/namespace.js';
import { waitFor } from '../testbed/wait.js';
import { condition, deployment, service } from './fixtures.js';

const ns = useTestNamespace('rolling');

function clients() {
  const { kc } = loadKubeConfig({ kubeconfig: process.env.KDEPLOY_TESTBED_KUBECONFIG, namespace: ns.name });
  return {
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    discovery: kc.makeApiClient(DiscoveryV1Api),
  };
}

/** Complete in the sense of `kubectl rollout status`: observed, all replicas updated and available. */
async function waitComplete(apps: AppsV1Api, name: string, namespace: string): Promise<V1Deployment> {
  return waitFor(`deployment ${name} to complete`, async () => {
    const d = await apps.readNamespacedDeployment({ name, namespace });
    const s = d.status ?? {};
    const want = d.spec?.replicas ?? 1;
    const done =
      (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
      s.updatedReplicas === want &&
      s.availableReplicas === want &&
      s.replicas === want &&
      condition(d, 'Progressing')?.reason === 'NewReplicaSetAvailable';
    return { done, value: d };
  });
}

describe('rolling update on the real deployment controller', () => {
  it('creates a Deployment and Service, rolls a new image, and reports ReplicaSets and conditions', async () => {
    const { apps, core, discovery } = clients();
    const namespace = ns.name;
    await apps.createNamespacedDeployment({ namespace, body: deployment('web', 'registry.example/web:v1') });
    await core.createNamespacedService({ namespace, body: service('web') });

    const first = await waitComplete(apps, 'web', namespace);
    expect(condition(first, 'Available')?.status).toBe('True');

    // KWOK gave the pods IPs and Ready=True, so the endpointslice controller lists them as ready endpoints.
    await waitFor('3 ready endpoints for service web', async () => {
      const slices = await discovery.listNamespacedEndpointSlice({
        namespace,
        labelSelector: 'kubernetes.io/service-name=web',
      });
      const ready = slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready);
      return { done: ready.length === 3, value: ready.length };
    });

    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace,
        body: {
          spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.example/web:v2' }] } } },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const rolled = await waitComplete(apps, 'web', namespace);
    expect(condition(rolled, 'Available')?.status).toBe('True');
    expect(condition(rolled, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetAvailable',
    });

    const rsList = await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=web' });
    const byRevision = Object.fromEntries(
      rsList.items.map((rs) => [rs.metadata?.annotations?.['deployment.kubernetes.io/revision'], rs]),
    );
    expect(Object.keys(byRevision).sort()).toEqual(['1', '2']);
    expect(byRevision['1']?.spec?.replicas).toBe(0);
    expect(byRevision['2']?.spec?.replicas).toBe(3);
    expect(byRevision['2']?.spec?.template?.spec?.containers[0]?.image).toBe('registry.example/web:v2');
    expect(byRevision['2']?.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'web',
    });

    // Old pods are gone (KWOK finishes deletion), new ones all run v2 and are Ready.
    const pods = await waitFor('only v2 pods left', async () => {
      const list = await core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
      const images = list.items.map((p) => p.spec?.containers[0]?.image);
      return {
        done: images.length === 3 && images.every((i) => i === 'registry.example/web:v2'),
        value: list.items,
      };
    });
    for (const p of pods) {
      expect(p.spec?.nodeName).toMatch(/^kwok-node-/);
      expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
  });
});
