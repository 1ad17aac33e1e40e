import { afterEach, describe, expect, it } from 'vitest';
import type { Router } from '../../src/core/ports.js';
import type { ReleaseEvent } from '../../src/core/release.js';
import { abort, promote, rollback } from '../../src/engine/api.js';
import { eventually } from '../support/eventually.js';
import { appConfig, type Bed, bed, expectCapacityKept } from '../support/strategy-bed.js';

let b: Bed | undefined;
afterEach(async () => {
  await b?.close();
  b = undefined;
});

type Dep = {
  metadata?: { name?: string };
  spec?: { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } };
};
async function deployments(b: Bed) {
  const list = await b.cluster.list<Dep>('apps/v1', 'Deployment', { namespace: 'default' });
  return Object.fromEntries(
    list.items.map((d) => [
      d.metadata?.name,
      `${d.spec?.replicas}×${d.spec?.template?.spec?.containers?.[0]?.image?.split(':')[1]}`,
    ]),
  );
}
async function selectors(b: Bed) {
  const list = await b.cluster.list<{
    metadata?: { name?: string };
    spec?: { selector?: Record<string, string> };
  }>('v1', 'Service', { namespace: 'default' });
  return Object.fromEntries(
    list.items.map((s) => [s.metadata?.name, s.spec?.selector?.['kdeploy.dev/color']]),
  );
}

describe('blue/green on the simulated cluster', () => {
  it('deploys blue first, then green, flips the Service and scales the old colour down after the delay', async () => {
    b = await bed(appConfig({ bluegreen: { scaleDownDelay: '30s' } }));
    expect((await b.run('bluegreen', 'v1')).outcome).toBe('completed');
    expect(await deployments(b)).toEqual({ 'web-blue': '4×v1' });
    expect(await selectors(b)).toEqual({ web: 'blue', 'web-preview': 'blue' });

    const watcher = await b.watchCapacity(4);
    const result = await b.run('bluegreen', 'v2');
    expect(result.outcome, result.reason).toBe('completed');
    expect(await deployments(b)).toEqual({ 'web-blue': '0×v1', 'web-green': '4×v2' });
    expect(await selectors(b)).toEqual({ web: 'green', 'web-preview': 'green' });
    // The old colour stayed warm for the delay after the flip.
    const flip = result.events.find((e) => e.type === 'weight')!;
    const done = result.events.find((e) => e.type === 'completed')!;
    expect(done.at - flip.at).toBeGreaterThanOrEqual(30_000);
    await expectCapacityKept(watcher);

    // The third release goes back to blue, reusing nothing of v1 (a new template).
    expect((await b.run('bluegreen', 'v3')).outcome).toBe('completed');
    expect(await deployments(b)).toEqual({ 'web-blue': '4×v3', 'web-green': '0×v2' });
  });

  it('adopts a plain Deployment without a moment of zero ready endpoints, then removes it', async () => {
    b = await bed(appConfig({ bluegreen: { scaleDownDelay: '10s' } }));
    expect((await b.run('rolling', 'v1')).outcome).toBe('completed');
    expect(await deployments(b)).toEqual({ web: '4×v1' });
    const watcher = await b.watchCapacity(4);
    const result = await b.run('bluegreen', 'v2');
    expect(result.outcome, result.reason).toBe('completed');
    expect(result.release.from?.version).toBe('v1');
    expect(await deployments(b)).toEqual({ 'web-blue': '4×v2' });
    expect(await selectors(b)).toEqual({ web: 'blue', 'web-preview': 'blue' });
    await expectCapacityKept(watcher);
  });

  it('a failing new colour never gets traffic: the release fails and the idle colour goes back to 0', async () => {
    b = await bed(appConfig({ bluegreen: {} }), 'canary-crash');
    expect((await b.run('bluegreen', 'v1')).outcome).toBe('completed');
    const watcher = await b.watchCapacity(4);
    const result = await b.run('bluegreen', 'v2');
    expect(result.outcome).toBe('failed');
    expect(result.release.diagnosis?.reason).toBe('CrashLoopBackOff');
    expect(await deployments(b)).toEqual({ 'web-blue': '4×v1', 'web-green': '0×v2' });
    expect(await selectors(b)).toMatchObject({ web: 'blue' });
    await expectCapacityKept(watcher);
  });

  it('an abort inside the scale-down window flips back to the warm old colour without restarting it', async () => {
    b = await bed(appConfig({ bluegreen: { scaleDownDelay: '10m' } }));
    expect((await b.run('bluegreen', 'v1')).outcome).toBe('completed');
    const bluePods = async () =>
      (
        await b!.cluster.list('v1', 'Pod', { namespace: 'default', labelSelector: 'kdeploy.dev/color=blue' })
      ).items
        .map((p) => p.metadata?.name)
        .sort();
    const before = await bluePods();
    const events: ReleaseEvent[] = [];
    const running = b.run('bluegreen', 'v2', { onEvent: (e) => events.push(e) });
    await eventually(() => events.some((e) => e.type === 'step-started' && e.step === 'scale-down-old'));
    expect(await selectors(b)).toMatchObject({ web: 'green' });
    const watcher = await b.watchCapacity(4);
    const aborted = await abort({
      app: 'web',
      kubeconfig: b.kc,
      clock: b.clock,
      identity: 'oncall',
      leaseSeconds: 120,
    });
    expect(aborted.outcome).toBe('aborted');
    expect((await running).exitCode).toBe(4);
    expect(await selectors(b)).toMatchObject({ web: 'blue' });
    expect(await deployments(b)).toEqual({ 'web-blue': '4×v1', 'web-green': '0×v2' });
    // The same blue pods serve again: the rollback was a selector flip, not a redeploy.
    expect(await bluePods()).toEqual(before);
    await expectCapacityKept(watcher);
  });
});

describe('a rollback that cannot restore the old colour', () => {
  it('keeps the traffic and the pods on the new colour instead of leaving the Service without endpoints', async () => {
    b = await bed(appConfig({ bluegreen: { scaleDownDelay: '10m' } }));
    expect((await b.run('bluegreen', 'v1')).outcome).toBe('completed');
    const events: ReleaseEvent[] = [];
    const running = b.run('bluegreen', 'v2', { onEvent: (e) => events.push(e) });
    await eventually(() => events.some((e) => e.type === 'step-started' && e.step === 'scale-down-old'));
    // Someone deletes the old colour inside the window, then aborts.
    await b.cluster.delete({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'web-blue',
      namespace: 'default',
    });
    const watcher = await b.watchCapacity(4);
    await abort({ app: 'web', kubeconfig: b.kc, clock: b.clock, identity: 'oncall', leaseSeconds: 120 });
    const result = await running;
    expect(result.outcome).toBe('aborted');
    expect(result.events).toContainEqual(
      expect.objectContaining({ type: 'info', message: 'web-blue no longer exists: traffic stays on green' }),
    );
    expect(await selectors(b)).toMatchObject({ web: 'green' });
    expect(await deployments(b)).toEqual({ 'web-green': '4×v2' });
    await expectCapacityKept(watcher);
  });
});

describe('kdeploy rollback of a blue/green app', () => {
  it('scales the idle colour (still on the old template) back up and flips, without the promote gate', async () => {
    b = await bed(appConfig({ bluegreen: { scaleDownDelay: '1s', autoPromote: false } }));
    expect((await b.run('bluegreen', 'v1')).outcome).toBe('completed');
    const paused = await b.run('bluegreen', 'v2', { until: 'paused' });
    expect(paused.outcome).toBe('paused');
    expect(
      (await promote({ app: 'web', kubeconfig: b.kc, clock: b.clock, identity: 'alice', leaseSeconds: 120 }))
        .outcome,
    ).toBe('completed');
    expect(await deployments(b)).toEqual({ 'web-blue': '0×v1', 'web-green': '4×v2' });

    const watcher = await b.watchCapacity(4);
    const back = await rollback({ app: 'web', kubeconfig: b.kc, clock: b.clock, leaseSeconds: 120 });
    expect(back.outcome, back.reason).toBe('completed');
    expect(back.release).toMatchObject({ kind: 'rollback', strategy: 'bluegreen', to: { version: 'v1' } });
    expect(back.release.steps).not.toContain('await-promotion');
    expect(await deployments(b)).toEqual({ 'web-blue': '4×v1', 'web-green': '0×v2' });
    expect(await selectors(b)).toMatchObject({ web: 'blue' });
    await expectCapacityKept(watcher);
  });
});

describe('blue/green behind a router that splits traffic itself', () => {
  it('creates a Service per colour for the router and moves 0 ↔ 100 % on it', async () => {
    b = await bed(appConfig({ bluegreen: { scaleDownDelay: '5s' } }));
    expect((await b.run('bluegreen', 'v1')).outcome).toBe('completed');
    const calls: number[] = [];
    // Stands in for the alb router (its own tests run it against moto): records what the strategy asks.
    const router: Router = {
      name: 'alb',
      capabilities: { granularity: 0.1, readBack: true, partialWeights: true },
      prepare: async () => {},
      setWeight: async (w) => {
        calls.push(w);
        return { requested: w, achieved: w, verified: true };
      },
      getWeights: async () => ({ stable: 100 - (calls.at(-1) ?? 0), canary: calls.at(-1) ?? 0 }),
      describe: () => [],
    };
    const arn = (r: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:${r}`;
    const config = appConfig({
      bluegreen: {
        scaleDownDelay: '5s',
        router: {
          type: 'alb',
          listenerArn: arn('listener/app/lb/1/2'),
          stableTargetGroupArn: arn('targetgroup/blue/1'),
          canaryTargetGroupArn: arn('targetgroup/green/2'),
        },
      },
    });
    const result = await b.run('bluegreen', 'v2', { config, router });
    expect(result.outcome, result.reason).toBe('completed');
    // Green is the router's "canary" side: all traffic to green is weight 100.
    expect(calls).toEqual([100]);
    const services = await b.cluster.list<{
      metadata?: { name?: string };
      spec?: { type?: string; selector?: Record<string, string> };
    }>('v1', 'Service', { namespace: 'default' });
    const byName = Object.fromEntries(
      services.items.map((s) => [
        s.metadata?.name,
        `${s.spec?.type} ${s.spec?.selector?.['kdeploy.dev/color'] ?? ''}`,
      ]),
    );
    expect(byName).toMatchObject({ 'web-blue': 'ClusterIP blue', 'web-green': 'ClusterIP green' });
    expect(await deployments(b)).toEqual({ 'web-blue': '0×v1', 'web-green': '4×v2' });
    // The app's Service follows the router, so in-cluster clients never hit the colour scaled to 0.
    expect(await selectors(b)).toMatchObject({ web: 'green' });

    // The third release goes to the idle blue and flips the router back (not onto the live green).
    const third = await b.run('bluegreen', 'v3', { config, router });
    expect(third.outcome, third.reason).toBe('completed');
    expect(calls).toEqual([100, 0]);
    expect(await deployments(b)).toEqual({ 'web-blue': '4×v3', 'web-green': '0×v2' });
    expect(await selectors(b)).toMatchObject({ web: 'blue' });

    // A Service selector left behind (an earlier kdeploy never flipped it) loses to the router's own state.
    await b.cluster.patch(
      { apiVersion: 'v1', kind: 'Service', name: 'web', namespace: 'default' },
      { spec: { selector: { 'kdeploy.dev/color': 'green' } } },
      'merge',
    );
    const fourth = await b.run('bluegreen', 'v4', { config, router });
    expect(fourth.outcome, fourth.reason).toBe('completed');
    expect(calls).toEqual([100, 0, 100]);
    expect(await deployments(b)).toEqual({ 'web-blue': '0×v3', 'web-green': '4×v4' });
  });
});
