// The rolling strategy on a real control plane (kube-apiserver, deployment/replicaset controllers, scheduler,
// KWOK nodes): the same engine as on the simulator, failures made by the bed's KWOK stages (image tags
// starting with crash / unready). Any difference from the simulator tests is a simulator bug.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { release } from '../../../src/engine/api.js';
import { parseRecord, recordName } from '../../../src/engine/record.js';
import { KubeCluster } from '../../../src/kube/cluster.js';
import { selectContext } from '../../../src/kube/kubeconfig.js';
import { testbedKubeConfig, useTestNamespace } from '../../testbed/namespace.js';

const ns = useTestNamespace('engine-rolling');

const config = () => ({
  app: 'web',
  namespace: ns.name,
  image: { repository: 'registry.example/web' },
  replicas: 2,
  strategy: { rolling: { maxSurge: 1, maxUnavailable: 0, progressDeadline: '5m' } },
});

const run = (to: string, readinessTimeoutMs = 8_000) =>
  release({
    config: config(),
    strategy: 'rolling',
    to,
    kubeconfig: testbedKubeConfig(),
    tuning: { readinessTimeoutMs },
  });

type Dep = KubernetesObject & {
  spec: { template: { metadata: { labels: Record<string, string> } } };
  status?: { availableReplicas?: number; updatedReplicas?: number; replicas?: number };
};

async function state() {
  const c = new KubeCluster(selectContext(testbedKubeConfig(), { namespace: ns.name }));
  const dep = await c.get<Dep>({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: 'web',
    namespace: ns.name,
  });
  const cm = await c.get({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    name: recordName('web'),
    namespace: ns.name,
  });
  const lease = await c.get<KubernetesObject & { spec?: { holderIdentity?: string | null } }>({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    name: 'kdeploy-web',
    namespace: ns.name,
  });
  return {
    version: dep?.spec.template.metadata.labels['kdeploy.dev/version'],
    available: dep?.status?.availableReplicas,
    total: dep?.status?.replicas,
    phase: parseRecord(cm as never).current?.phase,
    holder: lease?.spec?.holderIdentity ?? null,
  };
}

describe('rolling release on the real control plane', () => {
  it('creates v1, then rolls to v2', async () => {
    expect(await run('v1')).toMatchObject({ outcome: 'completed', version: 'v1' });
    expect(await run('v2')).toMatchObject({ outcome: 'completed', version: 'v2' });
    expect(await state()).toMatchObject({
      version: 'v2',
      available: 2,
      total: 2,
      phase: 'completed',
      holder: null,
    });
  });

  it('detects CrashLoopBackOff, rolls back to v2 and exits 1', async () => {
    const result = await run('crash-v3');
    expect(result).toMatchObject({ outcome: 'failed', exitCode: 1, version: 'v2' });
    expect(result.release.diagnosis?.reason).toBe('CrashLoopBackOff');
    expect(await state()).toMatchObject({
      version: 'v2',
      available: 2,
      total: 2,
      phase: 'failed',
      holder: null,
    });
  });

  it('detects a never-Ready version past its readiness budget, rolls back and exits 1', async () => {
    const result = await run('unready-v3', 5_000);
    expect(result).toMatchObject({ outcome: 'failed', exitCode: 1, version: 'v2' });
    expect(result.release.diagnosis?.reason).toBe('ReadinessFailing');
    expect(await state()).toMatchObject({
      version: 'v2',
      available: 2,
      total: 2,
      phase: 'failed',
      holder: null,
    });
  });
});
