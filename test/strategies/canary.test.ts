import { afterEach, describe, expect, it } from 'vitest';
import type { Router } from '../../src/core/ports.js';
import { appConfig, type Bed, bed, expectCapacityKept } from '../support/strategy-bed.js';

const steps = [
  { setWeight: 25 },
  { pause: { duration: '1m' } },
  { setWeight: 50 },
  { pause: { duration: '1m' } },
];
let b: Bed | undefined;
afterEach(async () => {
  await b?.close();
  b = undefined;
});

async function deployments(b: Bed) {
  const list = await b.cluster.list<{
    metadata?: { name?: string };
    spec?: { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } };
  }>('apps/v1', 'Deployment', { namespace: 'default' });
  return Object.fromEntries(
    list.items.map((d) => [
      d.metadata?.name,
      { replicas: d.spec?.replicas, image: d.spec?.template?.spec?.containers?.[0]?.image },
    ]),
  );
}

describe('canary on the simulated cluster', () => {
  it('creates the stable Deployment on the first release, then walks the steps and promotes', async () => {
    b = await bed(appConfig({ canary: { steps } }));
    const first = await b.run('canary', 'v1');
    expect(first.outcome).toBe('completed');
    expect(await deployments(b)).toEqual({ web: { replicas: 4, image: 'registry.example/web:v1' } });

    const watcher = await b.watchCapacity(4);
    const started = b.clock.now();
    const second = await b.run('canary', 'v2');
    expect(second.outcome, second.reason).toBe('completed');
    const weights = second.events
      .filter((e) => e.type === 'weight')
      .map((e) => (e as { canary: number }).canary);
    expect(weights).toEqual([25, 50, 0]);
    expect(await deployments(b)).toEqual({ web: { replicas: 4, image: 'registry.example/web:v2' } });
    // Two one-minute pauses in virtual time.
    expect(b.clock.now() - started).toBeGreaterThanOrEqual(120_000);
    await expectCapacityKept(watcher);
  });

  it('aborts by itself when the canary pods crash: weight 0 first, canary removed, stable untouched', async () => {
    b = await bed(appConfig({ canary: { steps } }), 'canary-crash');
    expect((await b.run('canary', 'v1')).outcome).toBe('completed');
    const watcher = await b.watchCapacity(4);
    const result = await b.run('canary', 'v2');
    expect(result.outcome).toBe('failed');
    expect(result.exitCode).toBe(1);
    expect(result.reason).toMatch(/crash-looping/);
    expect(result.release.diagnosis?.reason).toBe('CrashLoopBackOff');
    expect(await deployments(b)).toEqual({ web: { replicas: 4, image: 'registry.example/web:v1' } });
    const order = result.events
      .filter((e) => e.type === 'weight' || (e.type === 'step-started' && e.rollback))
      .map((e) => (e.type === 'weight' ? `weight ${e.canary}` : (e as { step: string }).step));
    expect(order).toEqual(['restore-stable', 'weight-zero', 'weight 0', 'remove-canary']);
    await expectCapacityKept(watcher);
  });

  it('refuses a router that cannot hold the configured weights before changing anything (exit 2)', async () => {
    b = await bed(appConfig({ canary: { steps: [{ setWeight: 20 }], router: { type: 'service' } } }));
    const rejected = b.run('canary', 'v1');
    await expect(rejected).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/strategy\.canary\.router\.type.*service router/),
    });
    expect((await b.cluster.list('apps/v1', 'Deployment', { namespace: 'default' })).items).toEqual([]);
    expect(
      (
        await b.cluster.list('v1', 'ConfigMap', {
          namespace: 'default',
          labelSelector: 'kdeploy.dev/app=web',
        })
      ).items,
    ).toEqual([]);
  });

  it("fails and rolls back, before any traffic moves, when the app's Service would not select the canary", async () => {
    b = await bed(appConfig({ canary: { steps } }));
    expect((await b.run('canary', 'v1')).outcome).toBe('completed');
    // An adopted Service that selects on a label of its own, which the rendered canary template doesn't carry.
    const ref = { apiVersion: 'v1', kind: 'Service', name: 'web', namespace: 'default' };
    await b.cluster.patch(ref, { spec: { selector: { tier: 'web' } } }, 'merge');
    await b.cluster.patch(
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'default' },
      { spec: { template: { metadata: { labels: { tier: 'web' } } } } },
      'merge',
    );
    const result = await b.run('canary', 'v2');
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(/selects tier=web, which the canary pods don't carry.*podLabels/);
    expect(
      result.events.filter((e) => e.type === 'weight').map((e) => (e as { canary: number }).canary),
    ).toEqual([0]);
    expect(await deployments(b)).toEqual({ web: { replicas: 4, image: 'registry.example/web:v1' } });
  });

  it('behind a router that splits traffic itself: canary sized to its share, its own Service, weight 0 before scale-down', async () => {
    b = await bed(appConfig({ canary: { steps } }));
    expect((await b.run('canary', 'v1')).outcome).toBe('completed');
    const log: string[] = [];
    const canaryPods = async () =>
      (
        await b!.cluster.get<{ kind?: string; spec?: { replicas?: number } }>({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'web-canary',
          namespace: 'default',
        })
      )?.spec?.replicas;
    // Stands in for the alb router (its own tests run it against moto): records the weights and the canary's size then.
    const router: Router = {
      name: 'alb',
      capabilities: { granularity: 0.1, readBack: true, partialWeights: true },
      prepare: async () => {},
      setWeight: async (w) => {
        log.push(`weight ${w} with ${await canaryPods()} canary pods`);
        return { requested: w, achieved: w, verified: true };
      },
      getWeights: async () => ({ stable: 100, canary: 0 }),
      describe: () => [],
    };
    const arn = (r: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:${r}`;
    const config = appConfig({
      canary: {
        steps: [{ setWeight: 10 }, { setWeight: 60 }],
        router: {
          type: 'alb',
          listenerArn: arn('listener/app/lb/1/2'),
          stableTargetGroupArn: arn('targetgroup/s/1'),
          canaryTargetGroupArn: arn('targetgroup/c/2'),
        },
      },
    });
    const result = await b.run('canary', 'v2', { config, router });
    expect(result.outcome, result.reason).toBe('completed');
    // ceil(4 × 10 %) = 1 pod, ceil(4 × 60 %) = 3 pods, each ready before its traffic; 0 % before the canary goes.
    expect(log).toEqual([
      'weight 10 with 1 canary pods',
      'weight 60 with 3 canary pods',
      'weight 0 with 3 canary pods',
    ]);
    const svc = await b.cluster.get<{
      kind?: string;
      spec?: { type?: string; selector?: Record<string, string> };
    }>({ apiVersion: 'v1', kind: 'Service', name: 'web-canary', namespace: 'default' });
    expect(svc?.spec).toMatchObject({
      type: 'ClusterIP',
      selector: { 'kdeploy.dev/app': 'web', 'kdeploy.dev/role': 'canary' },
    });
    expect(await deployments(b)).toEqual({ web: { replicas: 4, image: 'registry.example/web:v2' } });
  });

  it('behind a router that splits traffic itself: the stable target is a stable-only Service (an adopted Deployment restarts once)', async () => {
    // A plain Deployment kdeploy's canary did not create: its pods lack kdeploy.dev/role=stable.
    b = await bed(appConfig({ canary: { steps } }));
    expect((await b.run('rolling', 'v1')).outcome).toBe('completed');
    const watcher = await b.watchCapacity(4);
    const log: string[] = [];
    /** The ready pods a Service selects, by role. */
    const behind = async (service: string) => {
      const svc = await b!.cluster.get<{ kind?: string; spec?: { selector?: Record<string, string> } }>({
        apiVersion: 'v1',
        kind: 'Service',
        name: service,
        namespace: 'default',
      });
      if (!svc) return 'none';
      const selector = Object.entries(svc.spec?.selector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const pods = await b!.cluster.list<{
        metadata?: { labels?: Record<string, string>; deletionTimestamp?: Date };
        status?: { conditions?: { type: string; status: string }[] };
      }>('v1', 'Pod', { namespace: 'default', labelSelector: selector });
      const ready = pods.items.filter(
        (p) =>
          !p.metadata?.deletionTimestamp &&
          p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return ready.map((p) => p.metadata?.labels?.['kdeploy.dev/role'] ?? '-').join(',');
    };
    const router: Router = {
      name: 'alb',
      capabilities: { granularity: 0.1, readBack: true, partialWeights: true },
      prepare: async () => {},
      setWeight: async (w) => {
        log.push(`${w}: web-stable=${await behind('web-stable')} web-canary=${await behind('web-canary')}`);
        return { requested: w, achieved: w, verified: true };
      },
      getWeights: async () => ({ stable: 100, canary: 0 }),
      describe: () => [],
    };
    const arn = (r: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:${r}`;
    const config = appConfig({
      canary: {
        steps: [{ setWeight: 50 }],
        router: {
          type: 'alb',
          listenerArn: arn('listener/app/lb/1/2'),
          stableTargetGroupArn: arn('targetgroup/s/1'),
          canaryTargetGroupArn: arn('targetgroup/c/2'),
        },
      },
    });
    const result = await b.run('canary', 'v2', { config, router });
    expect(result.outcome, result.reason).toBe('completed');
    expect(log).toEqual([
      '50: web-stable=stable,stable,stable,stable web-canary=canary,canary',
      '0: web-stable=stable,stable,stable,stable web-canary=canary,canary',
    ]);
    expect(result.events).toContainEqual(
      expect.objectContaining({ type: 'info', message: expect.stringMatching(/pods restart once/) }),
    );
    await expectCapacityKept(watcher);

    // The next release finds the label in place: no restart.
    log.length = 0;
    const again = await b.run('canary', 'v3', { config, router });
    expect(again.outcome, again.reason).toBe('completed');
    expect(again.events.some((e) => e.type === 'info' && /restart/.test(e.message))).toBe(false);
  });
});
