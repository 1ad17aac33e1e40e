// The canary and blue/green scenarios of test/strategies on the real control plane (kube-apiserver,
// deployment/ReplicaSet controllers, scheduler, KWOK nodes; crash-* tags crash-loop through the bed's KWOK
// stages), with the same capacity watcher: any difference from the simulator is a simulator bug.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { StrategyKind } from '../../../src/core/release.js';
import { release } from '../../../src/engine/api.js';
import { KubeCluster } from '../../../src/kube/cluster.js';
import { selectContext } from '../../../src/kube/kubeconfig.js';
import { CapacityWatcher } from '../../support/capacity-watcher.js';
import { testbedKubeConfig, useTestNamespace } from '../../testbed/namespace.js';

type Dep = KubernetesObject & {
  spec?: { replicas?: number; template?: { metadata?: { labels?: Record<string, string> } } };
};

function setup(prefix: string, strategy: object) {
  const ns = useTestNamespace(prefix);
  const config = () => ({
    app: 'web',
    namespace: ns.name,
    image: { repository: 'registry.example/web' },
    replicas: 2,
    strategy,
  });
  const cluster = () => new KubeCluster(selectContext(testbedKubeConfig(), { namespace: ns.name }));
  const run = (kind: StrategyKind, to: string) =>
    release({
      config: config(),
      strategy: kind,
      to,
      kubeconfig: testbedKubeConfig(),
      tuning: { readinessTimeoutMs: 8_000 },
    });
  const deployments = async () => {
    const list = await cluster().list<Dep>('apps/v1', 'Deployment', { namespace: ns.name });
    return Object.fromEntries(
      list.items.map((d) => [
        d.metadata?.name,
        `${d.spec?.replicas}×${d.spec?.template?.metadata?.labels?.['kdeploy.dev/version']}`,
      ]),
    );
  };
  const watch = () =>
    new CapacityWatcher(cluster(), {
      namespace: ns.name,
      service: 'web',
      minReady: 2,
      podSelector: 'kdeploy.dev/app=web',
      now: Date.now,
    }).start();
  return { run, deployments, watch, cluster };
}

async function expectCapacityKept(watcher: CapacityWatcher) {
  const violations = await watcher.close();
  expect(watcher.armed).toBe(true);
  expect(violations).toEqual([]);
}

describe('canary on the real control plane', () => {
  const t = setup('strategies-canary', {
    canary: { steps: [{ setWeight: 50 }, { pause: { duration: '2s' } }] },
  });

  it('creates the stable Deployment, then walks the steps and promotes without losing capacity', async () => {
    expect((await t.run('canary', 'v1')).outcome).toBe('completed');
    const watcher = await t.watch();
    const result = await t.run('canary', 'v2');
    expect(result.outcome, result.reason).toBe('completed');
    expect(result.events.flatMap((e) => (e.type === 'weight' ? [e.canary] : []))).toEqual([50, 0]);
    expect(await t.deployments()).toEqual({ web: '2×v2' });
    await expectCapacityKept(watcher);
  });

  it('aborts by itself when the canary crash-loops: weight 0, canary removed, stable untouched', async () => {
    const watcher = await t.watch();
    const result = await t.run('canary', 'crash-v3');
    expect(result).toMatchObject({ outcome: 'failed', exitCode: 1, version: 'v2' });
    expect(result.release.diagnosis?.reason).toBe('CrashLoopBackOff');
    expect(await t.deployments()).toEqual({ web: '2×v2' });
    await expectCapacityKept(watcher);
  });
});

describe('blue/green on the real control plane', () => {
  const t = setup('strategies-bluegreen', { bluegreen: { scaleDownDelay: '2s' } });

  it('deploys blue, then green, flips the Service and scales blue down after the delay', async () => {
    expect((await t.run('bluegreen', 'v1')).outcome).toBe('completed');
    const watcher = await t.watch();
    const result = await t.run('bluegreen', 'v2');
    expect(result.outcome, result.reason).toBe('completed');
    expect(await t.deployments()).toEqual({ 'web-blue': '0×v1', 'web-green': '2×v2' });
    const svc = await t.cluster().get<KubernetesObject & { spec?: { selector?: Record<string, string> } }>({
      apiVersion: 'v1',
      kind: 'Service',
      name: 'web',
    });
    expect(svc?.spec?.selector?.['kdeploy.dev/color']).toBe('green');
    await expectCapacityKept(watcher);
  });
});

describe('blue/green adopting a plain Deployment on the real control plane', () => {
  const t = setup('strategies-adopt', {
    bluegreen: { scaleDownDelay: '2s' },
    rolling: { maxSurge: 1, maxUnavailable: 0 },
  });

  it('keeps the plain pods serving until blue is ready, then flips and removes the plain Deployment', async () => {
    expect((await t.run('rolling', 'v1')).outcome).toBe('completed');
    const watcher = await t.watch();
    const result = await t.run('bluegreen', 'v2');
    expect(result.outcome, result.reason).toBe('completed');
    expect(await t.deployments()).toEqual({ 'web-blue': '2×v2' });
    await expectCapacityKept(watcher);
  });
});
