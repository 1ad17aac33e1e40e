// Crash safety of a rolling release: the CLI runs it against the simulator through a proxy that counts
// mutating requests (POST/PUT/PATCH/DELETE) and SIGKILLs the CLI right after the k-th one was committed,
// for every k until a run finishes on its own. `kdeploy resume` must then converge: the app fully on the new
// or fully on the old version, the lock free, and the record saying which.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseRecord, recordName } from '../../../src/engine/record.js';
import { useCliSim } from '../../support/cli-sim.js';
import { appConfig, appState, cluster, releaseTo } from '../../support/engine-sim.js';
import { allKillPoints, type KillPoint, killingProxy, runCli } from '../../support/kill-proxy.js';

const bed = useCliSim('crash');

/** One kill point: release v1→`to` killed after mutation k, then resume. Returns whether the kill happened. */
async function tryKillPoint(k: number, to: string): Promise<KillPoint> {
  const config = appConfig(bed.sim);
  const { namespace } = config;
  expect((await releaseTo(bed.sim, config, 'v1')).outcome).toBe('completed');
  const file = join(bed.dir, `kdeploy-${namespace}.yaml`);
  writeFileSync(file, stringify(config));
  let child: ChildProcess | undefined;
  const proxy = await killingProxy(bed.sim.url, k, () => child);
  const first = await runCli(
    [
      'rolling',
      '--to',
      to,
      '-f',
      file,
      '--kubeconfig',
      bed.kubeconfigFor(proxy.url, `proxy-${namespace}`),
      '-o',
      'ndjson',
    ],
    (c) => {
      child = c;
    },
  );
  proxy.close();
  const killed = proxy.killed();
  let resumed = '';
  if (killed) {
    const again = await runCli([
      'resume',
      'web',
      '-n',
      namespace,
      '--kubeconfig',
      // One file per kill point: a parallel kill point rewriting a shared one could hand this CLI an empty file.
      bed.kubeconfigFor(bed.sim.url, `direct-${namespace}`),
      '-o',
      'ndjson',
    ]);
    // A resumed release ends completed (0) or rolled back (1); anything else left it unfinished.
    if (again.code === null || again.code > 1)
      return { killed, converged: false, detail: `k=${k}: resume exited ${again.code}: ${again.out}` };
    resumed = again.out;
  } else if (first.code === null || first.code > 1) {
    return { killed, converged: false, detail: `unkilled run exited ${first.code}: ${first.out}` };
  }
  const c = cluster(bed.sim, namespace);
  const state = await appState(c, namespace);
  const record = parseRecord(
    await c.get({ apiVersion: 'v1', kind: 'ConfigMap', name: recordName('web'), namespace }),
  );
  const current = record.current;
  const expected = current?.phase === 'completed' ? current.to.version : current?.from?.version;
  const converged =
    !!current &&
    // A run that ended on its own must have recorded this release: one that failed before doing anything
    // (say, while loading its code) leaves the old release current, which looks converged but isn't a run.
    (killed || current.to.version === to) &&
    ['completed', 'failed', 'aborted'].includes(current.phase) &&
    state.version === expected &&
    (expected === 'v1' || expected === to) &&
    state.podVersions.length === 1 &&
    state.podVersions[0] === expected &&
    state.readyPods === state.desired &&
    !state.lockHolder;
  return {
    killed,
    converged,
    detail: JSON.stringify({ k, phase: current?.phase, expected, state, resumed, first: first.out }),
  };
}

describe('crash safety of a rolling release (CLI killed after each mutating request, then resumed)', () => {
  it('converges at every kill point of a successful release', { timeout: 300_000 }, async () => {
    const r = await allKillPoints((k) => tryKillPoint(k, 'v2'), 100);
    console.log(`crash safety (v1→v2): ${r.converged}/${r.tried} kill points converged`);
    expect(r.failures).toEqual([]);
    expect(r.tried).toBeGreaterThan(8);
    expect(r.converged).toBe(r.tried);
  });

  it('converges at every kill point of a failing release, including its rollback', {
    timeout: 300_000,
  }, async () => {
    const r = await allKillPoints((k) => tryKillPoint(k, 'crash-v2'), 100);
    console.log(`crash safety (v1→crash-v2, rolled back): ${r.converged}/${r.tried} kill points converged`);
    expect(r.failures).toEqual([]);
    expect(r.tried).toBeGreaterThan(8);
    expect(r.converged).toBe(r.tried);
  });
});
