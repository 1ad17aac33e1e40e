// `kdeploy plan` derives its schedule from the strategy's own steps: for every built-in strategy the plan
// lists exactly the steps the release records and `kdeploy status` numbers while it runs; and what each
// step says about itself (weights, durations, time to detect) holds.
import { afterEach, describe, expect, it } from 'vitest';
import { RealClock } from '../../../src/core/clock.js';
import type { Router } from '../../../src/core/ports.js';
import type { ReleaseEvent, StrategyKind } from '../../../src/core/release.js';
import { promote, status } from '../../../src/engine/api.js';
import { diffAgainstCluster } from '../../../src/engine/plan/diff.js';
import { planRelease, type ReleasePlan } from '../../../src/engine/plan/estimate.js';
import { configSchema } from '../../support/sections.js';
import { appConfig, type Bed, bed } from '../../support/strategy-bed.js';

const to = { version: 'v2', image: 'registry.example/web:v2' };
const clock = new RealClock();
const metric = (name: string, extra: object) => ({
  name,
  provider: { kubernetes: { check: 'restarts' } },
  ...extra,
});

let b: Bed | undefined;
afterEach(async () => {
  await b?.close();
  b = undefined;
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
    const step = (name: string) => plan.steps.find((s) => s.name === name)!;
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
    expect(plan.notes).toEqual(['setWeight 10: the pod ratio gives 25 % with 4 replicas']);
    // 5 min pause + the longest metric of the analysis step (errors: 5 × 1 min; latency: 1 min + 4 × 30 s).
    expect(step('pause-5m').durationMs).toBe(5 * 60_000);
    expect(plan.estimatedDurationMs).toBe(5 * 60_000 + 5 * 60_000);
    expect(plan.waitsForPromote).toBe(1);
    expect(step('pause').waitsForPromote).toBe(true);
    // Pods: the first crash back-off, readiness 5 + 10 × 3 s; metrics: initialDelay + interval × (failureLimit + 1),
    // the step's own first, then the background analysis.
    expect(step('analysis-errors-latency').detect).toEqual({
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
    expect(step('shift-to-stable').routerCalls).toEqual(
      plan.rollback.find((s) => s.name === 'weight-zero')!.routerCalls,
    );
    expect(plan.manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
      'Deployment/web',
      'Deployment/web-canary',
      'Service/web',
    ]);
  });

  it('sizes the canary to its share behind a router that splits traffic itself', async () => {
    const arn = (r: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:${r}`;
    const config = configSchema.parse(
      appConfig({
        canary: {
          steps: [{ setWeight: 10 }],
          router: {
            type: 'alb',
            listenerArn: arn('listener/app/lb/1/2'),
            stableTargetGroupArn: arn('targetgroup/s/1'),
            canaryTargetGroupArn: arn('targetgroup/c/2'),
          },
        },
      }),
    );
    const plan = await planRelease({ config, strategy: 'canary', to, clock });
    // ceil(4 × 10 %) = 1 canary pod; stable keeps its 4 until promotion; the router gives exactly 10 %.
    expect(plan.steps.find((s) => s.name === 'set-weight-10')!.weight).toEqual({
      requested: 10,
      achieved: 10,
      stablePods: 4,
      canaryPods: 1,
    });
    expect(plan.router).toBe('alb');
    expect(plan.manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
      'Deployment/web',
      'Deployment/web-canary',
      'Service/web',
      'Service/web-stable',
      'Service/web-canary',
    ]);
  });
});

describe('kdeploy plan against a cluster', () => {
  it('reads the idle colour, schedules a manual promotion and the scale-down delay, and diffs without writing', async () => {
    b = await bed(appConfig({ bluegreen: {} }));
    expect((await b.run('bluegreen', 'v1')).outcome).toBe('completed');
    const config = configSchema.parse(appConfig({ bluegreen: { autoPromote: false, scaleDownDelay: '2m' } }));
    const plan = await planRelease({ config, strategy: 'bluegreen', to, clock, cluster: b.cluster });
    expect(plan.estimatedDurationMs).toBe(120_000);
    expect(plan.waitsForPromote).toBe(1);
    expect(plan.steps.find((s) => s.name === 'switch-traffic')!.routerCalls).toEqual([
      'patch Service default/web spec.selector kdeploy.dev/color=green',
    ]);
    expect(plan.manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
      'Deployment/web-green',
      'Service/web',
      'Service/web-preview',
    ]);

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

/** The steps as the release's events and `kdeploy status` number them: `3/9 name`, each once, in order. */
function shown(events: ReleaseEvent[]): string[] {
  const lines = events.flatMap((e) =>
    e.type === 'step-started' && !e.rollback ? [`${e.index + 1}/${e.total} ${e.step}`] : [],
  );
  return lines.filter((l, i) => l !== lines[i - 1]);
}
const listed = (plan: ReleasePlan) => plan.steps.map((s) => `${s.number}/${plan.steps.length} ${s.name}`);

const arn = (r: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:${r}`;
const alb = {
  type: 'alb',
  listenerArn: arn('listener/app/lb/1/2'),
  stableTargetGroupArn: arn('targetgroup/s/1'),
  canaryTargetGroupArn: arn('targetgroup/c/2'),
};
/** Stands in for the alb router (its own tests run it against moto). */
const fakeAlb: Router = {
  name: 'alb',
  capabilities: { granularity: 0.1, readBack: true, partialWeights: true },
  prepare: async () => {},
  setWeight: async (w) => ({ requested: w, achieved: w, verified: true }),
  getWeights: async () => ({ stable: 100, canary: 0 }),
  describe: () => [],
};
const errorRate = (b: Bed) => ({
  name: 'error-rate',
  provider: {
    prometheus: { address: b.sim.url, query: 'kdeploy_error_rate{app="web",version="{{canaryVersion}}"}' },
  },
  interval: '10s',
  count: 1,
  failureCondition: 'result > 0.05',
});

interface Case {
  name: string;
  strategy: StrategyKind;
  config(b: Bed): object;
  router?: Router;
  /** The release pauses (wait for promote): status is read there, then promote finishes it. */
  pauses?: boolean;
  /** Steps the old hand-written plan left out or named differently. */
  shows: string[];
}
const CASES: Case[] = [
  {
    name: 'rolling',
    strategy: 'rolling',
    shows: ['adopt', 'ensure-service', 'await-rollout'],
    config: () => appConfig({ rolling: {} }),
  },
  {
    name: 'blue/green',
    strategy: 'bluegreen',
    shows: ['adopt', 'ensure-services', 'await-idle'],
    config: () => appConfig({ bluegreen: { scaleDownDelay: '10s' } }),
  },
  {
    name: 'blue/green with pre/post analysis and a manual promotion',
    strategy: 'bluegreen',
    shows: ['pre-promotion-analysis', 'await-promotion', 'post-promotion-analysis'],
    pauses: true,
    config: (b) =>
      appConfig(
        {
          bluegreen: {
            autoPromote: false,
            scaleDownDelay: '10s',
            prePromotionAnalysis: { metrics: ['error-rate'] },
            postPromotionAnalysis: { metrics: ['error-rate'] },
          },
        },
        { analysis: { metrics: [errorRate(b)] } },
      ),
  },
  {
    name: 'canary with the replicas router and analysis steps',
    strategy: 'canary',
    shows: ['adopt', 'ensure-service', 'create-stable', 'analysis-error-rate'],
    config: (b) =>
      appConfig(
        {
          canary: {
            steps: [
              { setWeight: 25 },
              { pause: { duration: '30s' } },
              { analysis: { metrics: ['error-rate'] } },
            ],
          },
        },
        { analysis: { metrics: [errorRate(b)] } },
      ),
  },
  {
    name: 'canary behind a router that splits traffic itself (label-stable)',
    strategy: 'canary',
    shows: ['label-stable'],
    router: fakeAlb,
    config: () => appConfig({ canary: { steps: [{ setWeight: 50 }], router: alb } }),
  },
  {
    name: 'canary with a baseline',
    strategy: 'canary',
    shows: ['create-baseline'],
    config: () => appConfig({ canary: { steps: [{ setWeight: 25 }, { setWeight: 50 }], baseline: true } }),
  },
];

describe('kdeploy plan lists the steps kdeploy status shows while the release runs', () => {
  it.each(CASES)('$name', async ({ strategy, config: configFor, router, pauses, shows }) => {
    b = await bed(appConfig({ [strategy]: {} }));
    expect((await b.run(strategy, 'v1')).outcome).toBe('completed');
    const config = configFor(b);
    const plan = await planRelease({
      config: configSchema.parse(config),
      strategy,
      to,
      clock: b.clock,
      cluster: b.cluster,
    });
    expect(plan.steps.map((s) => s.name)).toEqual(expect.arrayContaining(shows));

    const run = await b.run(strategy, 'v2', { config, ...(router ? { router } : {}), until: 'paused' });
    const events = [...run.events];
    let { release } = run;
    if (pauses) {
      expect(run.outcome, run.reason).toBe('paused');
      const report = await status({ app: 'web', kubeconfig: b.kc, clock: b.clock });
      const rel = report.release!;
      expect(rel.steps).toEqual(plan.steps.map((s) => s.name));
      // Paused after await-promotion: status shows the next step, numbered as the plan numbers it.
      expect(rel.steps[rel.step - 1]).toBe('await-promotion');
      expect(`${rel.step + 1}/${rel.steps.length} ${rel.steps[rel.step]}`).toBe(listed(plan)[rel.step]);
      const done = await promote({ app: 'web', kubeconfig: b.kc, clock: b.clock, leaseSeconds: 120 });
      events.push(...done.events);
      release = done.release;
      expect(done.outcome, done.reason).toBe('completed');
    } else expect(run.outcome, run.reason).toBe('completed');

    expect(release.steps).toEqual(plan.steps.map((s) => s.name));
    expect(release.rollbackSteps).toEqual(plan.rollback.map((s) => s.name));
    expect(shown(events)).toEqual(listed(plan));
  });
});
