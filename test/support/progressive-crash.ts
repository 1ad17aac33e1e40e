// Crash safety of the progressive strategies, by the engine's method (./kill-proxy.ts), for the suites in
// test/cli/commands/{canary,bluegreen}-crash.test.ts (one file each, so they can run side by side): the CLI
// runs a canary or blue/green release through a proxy that SIGKILLs it right after its k-th mutating request,
// for every k until a run finishes on its own; `kdeploy resume` must then converge — the app entirely on the
// new version or entirely on the old one, no canary or warm colour left serving, the lock free.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Cluster } from '../../src/core/cluster.js';
import type { StrategyKind } from '../../src/core/release.js';
import { release } from '../../src/engine/api.js';
import type { LeaseObject } from '../../src/engine/lock.js';
import { parseRecord, recordName } from '../../src/engine/record.js';
import { type CliSim, useCliSim } from './cli-sim.js';
import { appConfig, cluster, runOptions } from './engine-sim.js';
import { allKillPoints, type KillPoint, killingProxy, runCli } from './kill-proxy.js';

// Short waits: the kill points are the mutations, not the wall time between them.
const STRATEGIES = {
  canary: { canary: { steps: [{ setWeight: 50 }, { pause: { duration: '100ms' } }] } },
  bluegreen: { bluegreen: { scaleDownDelay: '100ms' } },
};

type Dep = KubernetesObject & {
  spec?: { replicas?: number; template?: { metadata?: { labels?: Record<string, string> } } };
};
type Pod = KubernetesObject & { status?: { conditions?: { type: string; status: string }[] } };
const versionOf = (o: { metadata?: { labels?: Record<string, string> } } | undefined) =>
  o?.metadata?.labels?.['kdeploy.dev/version'];

/** Whether the namespace shows one version serving at full capacity and nothing else left running. */
async function converged(
  c: Cluster,
  namespace: string,
  strategy: StrategyKind,
  expected: string,
  replicas: number,
): Promise<string | undefined> {
  const [deps, pods, svc, lease] = await Promise.all([
    c.list<Dep>('apps/v1', 'Deployment', { namespace }),
    c.list<Pod>('v1', 'Pod', { namespace }),
    c.get<KubernetesObject & { spec?: { selector?: Record<string, string> } }>({
      apiVersion: 'v1',
      kind: 'Service',
      name: 'web',
      namespace,
    }),
    c.get<LeaseObject>({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      name: 'kdeploy-web',
      namespace,
    }),
  ]);
  const live = pods.items.filter((p) => !p.metadata?.deletionTimestamp);
  const running = deps.items.filter((d) => (d.spec?.replicas ?? 0) > 0);
  const serving = strategy === 'canary' ? 'web' : `web-${svc?.spec?.selector?.['kdeploy.dev/color']}`;
  const problems = [
    running.length !== 1 && `running Deployments: ${running.map((d) => d.metadata?.name)}`,
    strategy === 'canary' &&
      deps.items.length !== 1 &&
      `Deployments left: ${deps.items.map((d) => d.metadata?.name)}`,
    running[0]?.metadata?.name !== serving &&
      `the Service selects ${serving} but ${running[0]?.metadata?.name} runs`,
    versionOf(running[0]?.spec?.template) !== expected &&
      `template runs ${versionOf(running[0]?.spec?.template)}`,
    live.some((p) => versionOf(p) !== expected) && `pods of ${[...new Set(live.map(versionOf))]}`,
    live.filter((p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'))
      .length !== replicas && `${live.length} pods, not ${replicas} ready`,
    lease?.spec?.holderIdentity && `lock held by ${lease.spec.holderIdentity}`,
  ].filter(Boolean);
  return problems.length ? problems.join('; ') : undefined;
}

async function tryKillPoint(bed: CliSim, strategy: StrategyKind, k: number, to: string): Promise<KillPoint> {
  const config = appConfig(bed.sim, { strategy: STRATEGIES[strategy as 'canary'], replicas: 2 } as never);
  const { namespace } = config;
  expect((await release({ ...runOptions(bed.sim), config, strategy, to: 'v1' })).outcome).toBe('completed');
  const file = join(bed.dir, `kdeploy-${namespace}.yaml`);
  writeFileSync(file, stringify(config));
  let child: ChildProcess | undefined;
  const proxy = await killingProxy(bed.sim.url, k, () => child);
  const kubeconfig = (url: string, name: string) => bed.kubeconfigFor(url, `${name}-${namespace}`);
  const first = await runCli(
    [strategy, '--to', to, '-f', file, '--kubeconfig', kubeconfig(proxy.url, 'proxy'), '-o', 'ndjson'],
    (c) => {
      child = c;
    },
  );
  proxy.close();
  const killed = proxy.killed();
  let again: { code: number | null; out: string } | undefined;
  if (killed) {
    again = await runCli([
      'resume',
      'web',
      '-n',
      namespace,
      '--kubeconfig',
      kubeconfig(bed.sim.url, 'direct'),
      '-o',
      'ndjson',
    ]);
    if (again.code === null || again.code > 4)
      return {
        killed,
        converged: false,
        detail: `k=${k} resume exited ${again.code}: ${again.out.slice(-500)}`,
      };
  } else if (first.code === null || first.code > 1) {
    return {
      killed,
      converged: false,
      detail: `unkilled run exited ${first.code}: ${first.out.slice(-500)}`,
    };
  }
  const c = cluster(bed.sim, namespace);
  const current = parseRecord(
    await c.get({ apiVersion: 'v1', kind: 'ConfigMap', name: recordName('web'), namespace }),
  ).current;
  const expected = current?.phase === 'completed' ? current.to.version : current?.from?.version;
  const terminal = !!current && ['completed', 'failed', 'aborted'].includes(current.phase);
  const problem = terminal
    ? await converged(c, namespace, strategy, expected ?? '', 2)
    : // Say what the resume did, so a failure explains itself.
      `release ${current?.phase} after resume exited ${again?.code}: ${again?.out.slice(-2000)}`;
  return { killed, converged: !problem, detail: `${strategy} k=${k} ${current?.phase}: ${problem}` };
}

/** The kill-point suite of one progressive strategy, to a version that completes and to one that fails. */
export function crashSuite(strategy: 'canary' | 'bluegreen'): void {
  describe(`crash safety of ${strategy} (CLI killed after each mutating request, then resumed)`, () => {
    const bed = useCliSim(`crash-${strategy}`);
    for (const to of ['v2', 'crash-v2']) {
      it(`${strategy} v1→${to}: converges at every kill point`, { timeout: 600_000 }, async () => {
        const r = await allKillPoints((k) => tryKillPoint(bed, strategy, k, to), 150);
        console.log(`crash safety (${strategy} v1→${to}): ${r.converged}/${r.tried} kill points converged`);
        expect(r.failures).toEqual([]);
        expect(r.tried).toBeGreaterThan(8);
        expect(r.converged).toBe(r.tried);
      });
    }
  });
}
