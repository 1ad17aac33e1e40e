import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abort, resume, rollback, status } from '../../src/engine/api.js';
import { type LeaseObject, microTime } from '../../src/engine/lock.js';
import type { SimulatedCluster } from '../../src/sim/index.js';
import {
  appConfig,
  appState,
  cluster,
  releaseTo,
  runOptions,
  startSim,
  stopSim,
} from '../support/engine-sim.js';

// Virtual time: lease lapses, renewals and deadlines are measured on the simulator's clock, not waited for.
let sim: SimulatedCluster;
beforeAll(async () => {
  sim = await startSim({ virtual: true });
});
afterAll(() => stopSim(sim));
const now = () => sim.clock.now();

/** A namespace whose app runs v1 (created by a first release, which is itself under test). */
async function appOnV1(patch = {}) {
  const config = appConfig(sim, patch);
  const first = await releaseTo(sim, config, 'v1');
  expect(first).toMatchObject({ outcome: 'completed', exitCode: 0, version: 'v1' });
  return { config, c: cluster(sim, config.namespace) };
}

describe('rolling release on the simulator', () => {
  it('creates the app on the first release, then rolls to a new version', async () => {
    const { config, c } = await appOnV1();
    expect(await appState(c, config.namespace)).toMatchObject({
      phase: 'completed',
      version: 'v1',
      podVersions: ['v1'],
      readyPods: 3,
      lockHolder: null,
    });
    expect(
      await c.get({ apiVersion: 'v1', kind: 'Service', name: 'web', namespace: config.namespace }),
    ).toBeDefined();

    const result = await releaseTo(sim, config, 'v2');
    expect(result).toMatchObject({ outcome: 'completed', exitCode: 0, version: 'v2' });
    expect(result.release.from).toEqual({ version: 'v1', image: 'registry.example/web:v1' });
    expect(result.events.map((e) => e.type)).toContain('pods');
    expect(await appState(c, config.namespace)).toMatchObject({
      phase: 'completed',
      version: 'v2',
      podVersions: ['v2'],
      readyPods: 3,
      lockHolder: null,
    });
    const report = await status({ ...runOptions(sim), app: 'web', namespace: config.namespace });
    expect(report.history.map((h) => h.to.version)).toEqual(['v1']);
    expect(report.deployment).toMatchObject({ version: 'v2', ready: 3, desired: 3 });
  });

  it.each([
    ['crash-v2', 'CrashLoopBackOff'],
    ['oom-v2', 'OOMKilled'],
    ['pullerr-v2', 'ErrImagePull|ImagePullBackOff'],
    ['unsched-v2', 'Unschedulable'],
    ['unready-v2', 'ReadinessFailing'],
  ])('detects %s as %s, rolls back to v1 and exits 1', async (tag, reason) => {
    const { config, c } = await appOnV1();
    const result = await releaseTo(sim, config, tag);
    expect(result).toMatchObject({ outcome: 'failed', exitCode: 1, version: 'v1' });
    expect(result.release.diagnosis?.reason).toMatch(new RegExp(`^(${reason})$`));
    expect(result.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['failure-diagnosed', 'rollback-started', 'failed']),
    );
    if (reason === 'CrashLoopBackOff') expect(result.release.diagnosis?.logs?.join('\n')).toContain('panic');
    if (reason === 'Unschedulable') expect(result.reason).toMatch(/nodes are available/);
    expect(await appState(c, config.namespace)).toMatchObject({
      phase: 'failed',
      version: 'v1',
      podVersions: ['v1'],
      readyPods: 3,
      lockHolder: null,
    });
  });

  it('fails on the progress deadline when pods neither fail nor progress', async () => {
    const { config, c } = await appOnV1();
    // Never-ready pods past a readiness budget longer than the deadline: only the deadline can catch them.
    const short = {
      ...config,
      strategy: { rolling: { maxSurge: 1, maxUnavailable: 0, progressDeadline: '1s' } },
    };
    const result = await releaseTo(sim, short, 'unready-v3', {
      tuning: { readinessTimeoutMs: 60_000, recheckMs: 100 },
    });
    expect(result).toMatchObject({ outcome: 'failed', exitCode: 1 });
    expect(result.release.diagnosis?.reason).toBe('ProgressDeadlineExceeded');
    expect(await appState(c, config.namespace)).toMatchObject({ version: 'v1', podVersions: ['v1'] });
  });

  it('a second concurrent release exits 6 within 2 s naming the holder; the first proceeds', async () => {
    const { config, c } = await appOnV1();
    const first = releaseTo(sim, config, 'v2');
    for await (const e of first) if (e.type === 'step-started') break;
    const t0 = now();
    const second = releaseTo(sim, config, 'v3', { identity: 'other-host/1/second' });
    await expect(second).rejects.toMatchObject({
      exitCode: 6,
      message: expect.stringMatching(/locked by another release: .*\/\d+\//),
    });
    expect(now() - t0).toBeLessThan(2000);
    expect(await first).toMatchObject({ outcome: 'completed', version: 'v2' });
    expect(await appState(c, config.namespace)).toMatchObject({ version: 'v2', lockHolder: null });
  });

  it('renews the lease while it works, so a release longer than the TTL is not taken over', async () => {
    const { config, c } = await appOnV1();
    const slow = releaseTo(sim, config, 'unready-v2', {
      leaseSeconds: 1,
      tuning: { readinessTimeoutMs: 2500, recheckMs: 100 },
    });
    for await (const e of slow) if (e.type === 'step-started' && e.step === 'await-rollout') break;
    await sim.clock.sleep(1500);
    const lease = await c.get<LeaseObject>({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      name: 'kdeploy-web',
      namespace: config.namespace,
    });
    expect(now() - Date.parse(String(lease?.spec?.renewTime))).toBeLessThan(1000);
    // Had the lease lapsed, this release would take it over and the slow one would stop with "lock lost".
    await expect(releaseTo(sim, config, 'v3', { identity: 'other-host/1/late' })).rejects.toMatchObject({
      exitCode: 6,
    });
    expect(await slow).toMatchObject({ outcome: 'failed', version: 'v1' });
    expect((await slow).events.some((e) => e.type === 'lock-taken-over')).toBe(false);
    expect(await appState(c, config.namespace)).toMatchObject({ version: 'v1', lockHolder: null });
  });

  it('abort from another caller rolls the running release back; that run ends aborted (exit 4)', async () => {
    const { config, c } = await appOnV1();
    const running = releaseTo(sim, config, 'unready-v2', {
      tuning: { readinessTimeoutMs: 60_000, recheckMs: 100 },
    });
    for await (const e of running) if (e.type === 'step-started' && e.step === 'await-rollout') break;
    const aborted = await abort({
      ...runOptions(sim),
      app: 'web',
      namespace: config.namespace,
      identity: 'oncall/9/abort',
    });
    expect(aborted.outcome).toBe('aborted');
    expect(await running).toMatchObject({ outcome: 'aborted', exitCode: 4, version: 'v1' });
    expect(await appState(c, config.namespace)).toMatchObject({
      phase: 'aborted',
      version: 'v1',
      podVersions: ['v1'],
      lockHolder: null,
    });
  });

  it('stops (failed) without undoing when someone else replaces the pod template mid-release', async () => {
    const { config, c } = await appOnV1();
    const run = releaseTo(sim, config, 'unready-v2', {
      tuning: { readinessTimeoutMs: 60_000, recheckMs: 100 },
    });
    for await (const e of run) if (e.type === 'step-started' && e.step === 'await-rollout') break;
    // What `kubectl set image` does: a new template without kdeploy's release annotation.
    await c.mutate<
      KubernetesObject & {
        spec: {
          template: {
            metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
            spec: { containers: { image: string }[] };
          };
        };
      }
    >({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: config.namespace }, (d) => {
      d.spec.template.metadata.annotations = {};
      d.spec.template.metadata.labels['kdeploy.dev/version'] = 'v9';
      d.spec.template.spec.containers[0]!.image = 'registry.example/web:v9';
      return d;
    });
    const result = await run;
    expect(result).toMatchObject({ outcome: 'failed', exitCode: 1 });
    expect(result.release.diagnosis?.reason).toBe('TemplateReplaced');
    // The other writer's template is left alone: undoing it would fight them.
    expect(await appState(c, config.namespace)).toMatchObject({
      phase: 'failed',
      version: 'v9',
      lockHolder: null,
    });
  });

  it('abort rolls back by itself when no process runs the release', async () => {
    const { config, c } = await appOnV1();
    const stopped = await releaseTo(sim, config, 'v2', { deadline: now() + 150 });
    expect(stopped.outcome).toBe('suspended');
    const aborted = await abort({
      ...runOptions(sim),
      app: 'web',
      namespace: config.namespace,
      identity: 'oncall/9/abort',
    });
    expect(aborted).toMatchObject({
      outcome: 'aborted',
      exitCode: 4,
      version: 'v1',
      releaseId: stopped.releaseId,
    });
    expect(aborted.release.requests.abort?.by).toBe('oncall/9/abort');
    expect(await appState(c, config.namespace)).toMatchObject({
      phase: 'aborted',
      version: 'v1',
      podVersions: ['v1'],
      readyPods: 3,
      lockHolder: null,
    });
  });

  it('abort takes over from a release process that died while holding the lease, once the lease lapses', async () => {
    const { config, c } = await appOnV1();
    const stopped = await releaseTo(sim, config, 'v2', { deadline: now() + 150 });
    expect(stopped.outcome).toBe('suspended');
    // A holder on another machine that renewed just now and then died: its 1 s lease must run out first.
    await c.mutate<LeaseObject>(
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        name: 'kdeploy-web',
        namespace: config.namespace,
      },
      (l) => ({
        ...l,
        spec: {
          ...l.spec,
          holderIdentity: `elsewhere/1/${stopped.releaseId}`,
          renewTime: microTime(now()),
          leaseDurationSeconds: 1,
        },
      }),
    );
    const t0 = now();
    const aborted = await abort({ ...runOptions(sim), app: 'web', namespace: config.namespace });
    expect(now() - t0).toBeGreaterThan(900);
    expect(aborted).toMatchObject({ outcome: 'aborted', version: 'v1' });
    expect(aborted.events.find((e) => e.type === 'lock-taken-over')).toMatchObject({
      previousHolder: `elsewhere/1/${stopped.releaseId}`,
    });
    expect(await appState(c, config.namespace)).toMatchObject({
      phase: 'aborted',
      version: 'v1',
      podVersions: ['v1'],
      lockHolder: null,
    });
  });

  it('resume refuses (exit 6) next to a live holder of the same release, and takes over once it stops renewing', async () => {
    const { config, c } = await appOnV1();
    const stopped = await releaseTo(sim, config, 'v2', { deadline: now() + 150 });
    expect(stopped.outcome).toBe('suspended');
    const holder = `elsewhere/1/${stopped.releaseId}`;
    const leaseRef = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      name: 'kdeploy-web',
      namespace: config.namespace,
    };
    const renew = () =>
      c.mutate<LeaseObject>(leaseRef, (l) => ({
        ...l,
        spec: {
          ...l.spec,
          holderIdentity: holder,
          renewTime: microTime(now()),
          leaseDurationSeconds: 1,
        },
      }));
    // The live holder renews every 300 ms (of the simulator's time) until the refusal.
    await renew();
    const live = new AbortController();
    const renewing = (async () => {
      while (!live.signal.aborted) {
        await sim.clock.sleep(300, live.signal).then(renew, () => undefined);
      }
    })();
    try {
      await expect(
        resume({ ...runOptions(sim), app: 'web', namespace: config.namespace }),
      ).rejects.toMatchObject({ exitCode: 6 });
    } finally {
      live.abort();
      await renewing;
    }
    const resumed = await resume({ ...runOptions(sim), app: 'web', namespace: config.namespace });
    expect(resumed).toMatchObject({ outcome: 'completed', version: 'v2' });
    expect(resumed.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['lock-waiting', 'lock-taken-over']),
    );
    expect(await appState(c, config.namespace)).toMatchObject({ version: 'v2', lockHolder: null });
  });

  it('resume continues a release whose process died, taking over its expired lease', async () => {
    const { config, c } = await appOnV1();
    // A release that stops at its deadline keeps its step; a stale lease stands for the dead process.
    const stopped = await releaseTo(sim, config, 'v2', { deadline: now() + 150 });
    expect(stopped.outcome).toBe('suspended');
    await c.mutate<LeaseObject>(
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        name: 'kdeploy-web',
        namespace: config.namespace,
      },
      (l) => ({
        ...l,
        spec: {
          ...l.spec,
          holderIdentity: `elsewhere/1/${stopped.releaseId}`,
          renewTime: '2020-01-01T00:00:00.000000Z',
          leaseDurationSeconds: 15,
        },
      }),
    );
    const resumed = await resume({ ...runOptions(sim), app: 'web', namespace: config.namespace });
    expect(resumed).toMatchObject({ outcome: 'completed', version: 'v2', releaseId: stopped.releaseId });
    expect(resumed.events.find((e) => e.type === 'lock-taken-over')).toMatchObject({
      previousHolder: `elsewhere/1/${stopped.releaseId}`,
    });
    expect(await appState(c, config.namespace)).toMatchObject({
      phase: 'completed',
      version: 'v2',
      podVersions: ['v2'],
      lockHolder: null,
    });
  });

  it('rollback returns to the previous successful version', async () => {
    const { config, c } = await appOnV1();
    expect((await releaseTo(sim, config, 'v2')).outcome).toBe('completed');
    const back = await rollback({ ...runOptions(sim), app: 'web', namespace: config.namespace });
    expect(back).toMatchObject({ outcome: 'completed', version: 'v1' });
    expect(back.release.kind).toBe('rollback');
    expect(await appState(c, config.namespace)).toMatchObject({
      version: 'v1',
      podVersions: ['v1'],
      readyPods: 3,
    });
  });

  it('refuses bad input before touching the cluster (exit 2)', async () => {
    const config = appConfig(sim);
    await expect(releaseTo(sim, config, 'not a tag!')).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('--to'),
    });
    await expect(releaseTo(sim, { ...config, replicas: -1 }, 'v2')).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('replicas'),
    });
    expect(await appState(cluster(sim, config.namespace), config.namespace)).toMatchObject({
      phase: undefined,
      version: undefined,
      lockHolder: undefined,
    });
  });
});
