// The canary's baseline Deployment (`strategy.canary.baseline: true`) on the simulated cluster: created with
// the stable version's pod template, sized to the canary at every step, judged against instead of the stable
// pods, and deleted however the release ends — including a release resumed after a crash between recording
// the baseline and creating it.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReleaseEvent } from '../../src/core/release.js';
import { abort, resume } from '../../src/engine/api.js';
import { appConfig, type Bed, bed, expectCapacityKept } from '../support/strategy-bed.js';

let b: Bed | undefined;
afterEach(async () => {
  await b?.close();
  b = undefined;
});

type Dep = {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: {
      metadata?: { labels?: Record<string, string> };
      spec?: { containers?: { image?: string; env?: unknown }[] };
    };
  };
};
const names = async (b: Bed) =>
  (await b.cluster.list<Dep>('apps/v1', 'Deployment', { namespace: 'default' })).items
    .map((d) => d.metadata?.name)
    .sort();
const baselineRef = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  name: 'web-baseline',
  namespace: 'default',
} as const;
const weights = (events: ReleaseEvent[]) => events.flatMap((e) => (e.type === 'weight' ? [e.canary] : []));

/**
 * A kill point without a process to kill: a proxy to the simulator that "dies" at the request creating
 * web-baseline — `before` it reaches the server, or `after` the server committed it — and from then on
 * passes nothing on, so the release's client never hears of the create (as if SIGKILLed then).
 */
async function dyingProxy(upstream: string, when: 'before' | 'after') {
  const target = new URL(upstream);
  let dead = false;
  let died!: () => void;
  const diedP = new Promise<void>((r) => (died = r));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const kill =
        !dead &&
        req.method === 'POST' &&
        req.url?.startsWith('/apis/apps/v1/namespaces/default/deployments') &&
        body.toString().includes('"web-baseline"');
      if (dead) {
        // Nothing the dead client sends arrives. Refused at once and for good (403 is never retried): a
        // dropped connection would only keep the in-process client retrying for seconds of wall time.
        res.writeHead(403);
        return res.end();
      }
      if (kill && when === 'before') {
        dead = true;
        died();
        return res.destroy();
      }
      const up = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (upRes) => {
          if (kill) {
            dead = true;
            died();
            upRes.resume();
            return res.destroy();
          }
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    died: diedP,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** p99 latency of the pods of `{{track}}` (canary, baseline or stable), judged with a 20 % tolerance. */
const latency = (b: Bed) => ({
  name: 'latency',
  provider: {
    prometheus: {
      address: b.sim.url,
      query: 'max(kdeploy_latency_p99_seconds{app="web",track="{{track}}"})',
    },
  },
  interval: '30s',
  count: 5,
  judge: { tolerance: 0.2 },
});

/** A canary with a baseline: 25 %, the judge, 50 %, then a pause (until promote unless `pause` is set). */
function config(b: Bed, options: { baseline?: boolean; pause?: object } = {}) {
  return appConfig(
    {
      canary: {
        baseline: options.baseline ?? true,
        steps: [
          { setWeight: 25 },
          { analysis: { metrics: ['latency'] } },
          { setWeight: 50 },
          { pause: options.pause ?? { duration: '1m' } },
        ],
      },
    },
    { analysis: { metrics: [latency(b)] } },
  );
}

async function stableV1(scenario = 'happy') {
  const bd = await bed(
    appConfig({ canary: { steps: [{ setWeight: 25 }] } }, { env: { MODE: 'first' } }),
    scenario,
  );
  expect((await bd.run('canary', 'v1')).outcome).toBe('completed');
  return bd;
}

describe('canary with a baseline Deployment', () => {
  it('runs the stable pod template at the canary’s size through every step, then goes with the canary on promotion', async () => {
    b = await stableV1('canary-warm-stable');
    const watcher = await b.watchCapacity(4);
    const sizes: { canary: number; baseline: number }[] = [];
    let created: Dep | undefined;
    const result = await b.run('canary', 'v2', {
      // The release's config changes env: the baseline must still run what the stable pods run.
      config: { ...config(b), env: { MODE: 'second' } },
      onEvent: (e) => {
        // Once a weight step is done (the baseline is sized after the canary).
        if (e.type !== 'step-completed' || !/^(set-weight|shift-to-stable)/.test(e.step)) return;
        void Promise.all([
          b!.cluster.get<Dep>({ ...baselineRef, name: 'web-canary' }),
          b!.cluster.get<Dep>(baselineRef),
        ]).then(([canary, baseline]) => {
          created ??= baseline;
          sizes.push({ canary: canary?.spec?.replicas ?? 0, baseline: baseline?.spec?.replicas ?? 0 });
        });
      },
    });
    expect(result.outcome, result.reason).toBe('completed');
    expect(weights(result.events)).toEqual([25, 50, 0]);
    // The baseline follows the canary: 1 pod at 25 %, 2 at 50 %, none at the end.
    expect(sizes).toEqual([
      { canary: 1, baseline: 1 },
      { canary: 2, baseline: 2 },
      { canary: 0, baseline: 0 },
    ]);
    const template = created?.spec?.template;
    expect(template?.spec?.containers?.[0]?.image).toBe('registry.example/web:v1');
    expect(template?.spec?.containers?.[0]?.env).toEqual([{ name: 'MODE', value: 'first' }]);
    expect(template?.metadata?.labels).toMatchObject({
      'kdeploy.dev/track': 'baseline',
      'kdeploy.dev/role': 'stable',
      'kdeploy.dev/version': 'v1',
    });
    expect(created?.spec?.selector?.matchLabels).toEqual({
      'kdeploy.dev/app': 'web',
      'kdeploy.dev/track': 'baseline',
    });
    // Warm stable pods answer in 80 ms, every fresh pod in 140 ms: against the baseline the canary is equal.
    const judged = result.events.find((e) => e.type === 'measurement' && e.metric === 'canary judge');
    expect(judged).toMatchObject({ verdict: 'successful', values: [100] });
    expect(await names(b)).toEqual(['web']);
    await expectCapacityKept(watcher);
  });

  it('without a baseline the same canary is judged against the warm stable pods and fails', async () => {
    b = await stableV1('canary-warm-stable');
    const result = await b.run('canary', 'v2', { config: config(b, { baseline: false }) });
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(/higher than baseline beyond tolerance \+20%: mean 0\.140 vs 0\.0800/);
  });

  it('a canary twice as slow as its baseline fails the judge and rolls back, the baseline deleted', async () => {
    b = await stableV1('canary-errors');
    const watcher = await b.watchCapacity(4);
    const result = await b.run('canary', 'v2', { config: config(b) });
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(
      /canary judge: .*latency \(higher than baseline beyond tolerance \+20%: mean 0\.320 vs 0\.150/,
    );
    expect(weights(result.events)).toEqual([25, 0]);
    expect(await names(b)).toEqual(['web']);
    await expectCapacityKept(watcher);
  });

  it('an abort while the release waits for promote deletes the baseline', async () => {
    b = await stableV1();
    const paused = await b.run('canary', 'v2', { config: config(b, { pause: {} }), until: 'paused' });
    expect(paused.outcome).toBe('paused');
    expect((await b.cluster.get<Dep>(baselineRef))?.spec?.replicas).toBe(2);
    const aborted = await abort({ app: 'web', namespace: 'default', kubeconfig: b.kc, clock: b.clock });
    expect(aborted.outcome).toBe('aborted');
    expect(await names(b)).toEqual(['web']);
  });

  it.each([
    ['resume completes', 'before', 'resume'],
    ['abort removes it', 'after', 'abort'],
  ] as const)(
    'killed between recording the baseline and hearing it was created (%s): nothing left behind',
    async (_title, when, then) => {
      b = await stableV1();
      const proxy = await dyingProxy(b.sim.url, when);
      const kc = b.sim.kubeConfig();
      kc.clusters = kc.clusters.map((c) => ({ ...c, server: proxy.url }));
      const killed = b.run('canary', 'v2', { config: config(b), kubeconfig: kc }).then(
        (r) => r.outcome,
        () => 'killed',
      );
      await proxy.died;
      await killed;
      proxy.close();
      const record = await b.cluster.get<{ metadata?: object; data?: Record<string, string> }>({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'kdeploy-web',
        namespace: 'default',
      });
      expect(JSON.stringify(record?.data)).toContain('baseline');
      expect(Boolean(await b.cluster.get(baselineRef))).toBe(when === 'after');
      const next = await (then === 'resume' ? resume : abort)({
        app: 'web',
        namespace: 'default',
        kubeconfig: b.kc,
        clock: b.clock,
        leaseSeconds: 120,
        tuning: { readinessTimeoutMs: 30_000 },
      });
      expect(next.outcome, next.reason).toBe(then === 'resume' ? 'completed' : 'aborted');
      expect(await names(b)).toEqual(['web']);
    },
  );
});
