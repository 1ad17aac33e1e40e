import { afterEach, describe, expect, it } from 'vitest';
import { RealClock } from '../../src/core/clock.js';
import { diffAgainstCluster, diffObjects, planRelease } from '../../src/engine/plan-estimate.js';
import { configSchema } from '../support/sections.js';
import { appConfig, type Bed, bed } from './harness.js';

const to = { version: 'v2', image: 'registry.example/web:v2' };
const clock = new RealClock();
const metric = (name: string, extra: object) => ({
  name,
  provider: { kubernetes: { check: 'restarts' } },
  ...extra,
});

describe('kdeploy plan', () => {
  it('schedules a canary: achievable weights, durations, and the worst-case time to catch a failure', async () => {
    const config = configSchema.parse(
      appConfig(
        {
          canary: {
            steps: [
              { setWeight: 10 },
              { pause: { duration: '5m' } },
              { analysis: { metrics: ['errors', 'latency'] } },
              { setWeight: 50 },
              { pause: {} },
            ],
            analysis: { metrics: ['restarts'] },
          },
        },
        {
          probes: { readiness: { initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 3 } },
          analysis: {
            metrics: [
              metric('errors', { interval: '1m', count: 5, failureLimit: 1 }),
              metric('latency', { interval: '30s', count: 4, initialDelay: '1m' }),
              metric('restarts', { interval: '20s' }),
            ],
          },
        },
      ),
    );
    const plan = await planRelease({ config, strategy: 'canary', to, clock });
    const step = (name: string) => plan.steps.find((s) => s.name.startsWith(name))!;
    expect(plan.steps.map((s) => s.name)).toEqual([
      'create-canary',
      'set-weight-10',
      'pause-5m',
      'analysis (step 3)',
      'set-weight-50',
      'pause',
      'promote-stable',
      'shift-to-stable',
      'remove-canary',
    ]);
    // 4 replicas: 10 % is one pod of four.
    expect(step('set-weight-10').weight).toEqual({
      requested: 10,
      achieved: 25,
      stablePods: 3,
      canaryPods: 1,
    });
    expect(step('set-weight-50').weight).toEqual({
      requested: 50,
      achieved: 50,
      stablePods: 2,
      canaryPods: 2,
    });
    // 5 min pause + the longest metric of the analysis step (errors: 5 × 1 min; latency: 1 min + 4 × 30 s).
    expect(plan.estimatedDurationMs).toBe(5 * 60_000 + 5 * 60_000);
    expect(plan.waitsForPromote).toBe(1);
    // Pods: the first crash back-off, readiness 5 + 10 × 3 s; metrics: initialDelay + interval × (failureLimit + 1).
    expect(step('analysis').detect).toEqual({
      podCrashMs: 10_000,
      podReadinessMs: 35_000,
      metrics: [
        { name: 'errors', ms: 120_000 },
        { name: 'latency', ms: 90_000 },
        { name: 'restarts', ms: 20_000 },
      ],
    });
    expect(step('set-weight-10').routerCalls).toEqual([
      'scale Deployment default/web-canary to 1 and wait until ready',
      'scale Deployment default/web to 3',
      'canary weight ≈ 25 % (pod ratio 1:3)',
    ]);
    expect(plan.manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
      'Deployment/web',
      'Deployment/web-canary',
      'Service/web',
    ]);
  });

  it('schedules a blue/green release with a manual promotion and the scale-down delay', async () => {
    const config = configSchema.parse(appConfig({ bluegreen: { autoPromote: false, scaleDownDelay: '2m' } }));
    const plan = await planRelease({ config, strategy: 'bluegreen', to, clock, idleColor: 'green' });
    expect(plan.steps.map((s) => s.name)).toEqual([
      'deploy-idle',
      'await-promotion',
      'switch-traffic',
      'scale-down-old',
    ]);
    expect(plan.estimatedDurationMs).toBe(120_000);
    expect(plan.steps[2]!.routerCalls).toEqual([
      'patch Service default/web spec.selector kdeploy.dev/color=green',
    ]);
    expect(plan.manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
      'Deployment/web-green',
      'Service/web',
      'Service/web-preview',
    ]);
  });

  it('diffs JSON structurally, ignoring status and server-owned metadata', () => {
    const live = {
      metadata: { name: 'a', resourceVersion: '7', labels: { v: '1' } },
      spec: { replicas: 2, ports: [{ port: 80 }] },
      status: { ready: 2 },
    };
    const next = {
      metadata: { name: 'a', resourceVersion: '8', labels: { v: '2', x: 'y' } },
      spec: { replicas: 2, ports: [{ port: 81 }] },
      status: {},
    };
    expect(diffObjects(live, next)).toEqual([
      'metadata.labels.v: "1" → "2"',
      'metadata.labels.x: (none) → "y"',
      'spec.ports[0].port: 80 → 81',
    ]);
  });
});

describe('kdeploy plan against a cluster', () => {
  let b: Bed | undefined;
  afterEach(async () => {
    await b?.close();
    b = undefined;
  });

  it('shows the server-side dry-run diff and writes nothing', async () => {
    b = await bed(appConfig({ bluegreen: {} }));
    expect((await b.run('bluegreen', 'v1')).outcome).toBe('completed');
    const config = configSchema.parse(appConfig({ bluegreen: {} }));
    const plan = await planRelease({ config, strategy: 'bluegreen', to, clock, idleColor: 'green' });
    const before = await b.cluster.list('v1', 'Service', { namespace: 'default' });
    const diff = await diffAgainstCluster(b.cluster, plan.manifests);
    expect(diff.map((d) => [d.object, d.action])).toEqual([
      ['Deployment/web-green', 'create'],
      ['Service/web', 'update'],
      ['Service/web-preview', 'update'],
    ]);
    expect(diff[1]!.changes).toContain('spec.selector.kdeploy.dev/color: "blue" → "green"');
    const after = await b.cluster.list('v1', 'Service', { namespace: 'default' });
    expect(after.resourceVersion).toBe(before.resourceVersion);
    expect(
      await b.cluster.get({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'web-green',
        namespace: 'default',
      }),
    ).toBeUndefined();
  });
});
