// The CLI as a process against the simulator. Crash safety: the CLI runs a rolling release against the simulator through a proxy that counts
// mutating requests (POST/PUT/PATCH/DELETE) and SIGKILLs the CLI right after the k-th one was committed,
// for every k until a run finishes on its own. `kdeploy resume` must then converge: the app fully on the new
// or fully on the old version, the lock free, and the record saying which.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { abort } from '../../../src/engine/api.js';
import { parseRecord, recordName } from '../../../src/engine/record.js';
import type { SimulatedCluster } from '../../../src/sim/index.js';
import { appConfig, appState, cluster, releaseTo, runOptions, startSim } from '../../support/engine-sim.js';
import { killingProxy, runCli } from '../../support/kill-proxy.js';

/** Node + client-node start-up on a loaded 2-core machine; the 2 s budget is for the lock decision itself. */
const CLI_STARTUP_ALLOWANCE_MS = 3000;

let sim: SimulatedCluster;
let dir: string;
const CLI = join(import.meta.dirname, '../../../dist/cli.js');
beforeAll(async () => {
  // npm test builds dist/ once (pretest). Rebuilding here raced the other files' CLI processes, which then
  // loaded half-written chunks.
  expect(existsSync(CLI), 'dist/cli.js is missing: run `npm run build` (npm test does)').toBe(true);
  sim = await startSim();
  dir = mkdtempSync(join(tmpdir(), 'kdeploy-crash-'));
}, 180_000);
afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

function kubeconfigFor(url: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, sim.kubeConfigYaml.replace(sim.url, url));
  return path;
}

/** One kill point: release v1→`to` killed after mutation k, then resume. Returns whether the kill happened. */
async function tryKillPoint(
  k: number,
  to: string,
): Promise<{ killed: boolean; converged: boolean; detail: string }> {
  const config = appConfig(sim);
  const { namespace } = config;
  expect((await releaseTo(sim, config, 'v1')).outcome).toBe('completed');
  const file = join(dir, `kdeploy-${namespace}.yaml`);
  writeFileSync(file, stringify(config));
  let child: ChildProcess | undefined;
  const proxy = await killingProxy(sim.url, k, () => child);
  const first = await runCli(
    [
      'rolling',
      '--to',
      to,
      '-f',
      file,
      '--kubeconfig',
      kubeconfigFor(proxy.url, `proxy-${namespace}`),
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
      kubeconfigFor(sim.url, 'direct'),
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
  const c = cluster(sim, namespace);
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

/** Kill points run a few at a time (each in its own namespace) to keep the suite short on small machines. */
const PARALLEL = 3;

async function allKillPoints(to: string): Promise<{ tried: number; converged: number; failures: string[] }> {
  const failures: string[] = [];
  let tried = 0;
  let converged = 0;
  // Every mutation of a release is a kill point; a run that ends before the k-th one has none left.
  for (let base = 1; base < 100; base += PARALLEL) {
    const batch = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => tryKillPoint(base + i, to)));
    for (const r of batch) {
      if (!r.killed) {
        if (!r.converged) failures.push(`unkilled run: ${r.detail}`);
        continue;
      }
      tried++;
      if (r.converged) converged++;
      else failures.push(r.detail);
    }
    if (batch.some((r) => !r.killed)) break;
  }
  return { tried, converged, failures };
}

describe('crash safety of a rolling release (CLI killed after each mutating request, then resumed)', () => {
  it('converges at every kill point of a successful release', { timeout: 300_000 }, async () => {
    const r = await allKillPoints('v2');
    console.log(`crash safety (v1→v2): ${r.converged}/${r.tried} kill points converged`);
    expect(r.failures).toEqual([]);
    expect(r.tried).toBeGreaterThan(8);
    expect(r.converged).toBe(r.tried);
  });

  it('converges at every kill point of a failing release, including its rollback', {
    timeout: 300_000,
  }, async () => {
    const r = await allKillPoints('crash-v2');
    console.log(`crash safety (v1→crash-v2, rolled back): ${r.converged}/${r.tried} kill points converged`);
    expect(r.failures).toEqual([]);
    expect(r.tried).toBeGreaterThan(8);
    expect(r.converged).toBe(r.tried);
  });
});

describe('two CLI processes releasing one app at once', () => {
  it('exactly one proceeds; the other exits 6 within 2 s naming the holder', {
    timeout: 60_000,
  }, async () => {
    const config = appConfig(sim);
    expect((await releaseTo(sim, config, 'v1')).outcome).toBe('completed');
    const file = join(dir, `kdeploy-${config.namespace}.yaml`);
    writeFileSync(file, stringify(config));
    const kubeconfig = kubeconfigFor(sim.url, 'direct');
    const timed = async (to: string) => {
      const t0 = Date.now();
      const r = await runCli(['rolling', '--to', to, '-f', file, '--kubeconfig', kubeconfig]);
      return { ...r, ms: Date.now() - t0 };
    };
    const [a, b] = await Promise.all([timed('v2'), timed('v3')]);
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 6]);
    const loser = a.code === 6 ? a : b;
    const winner = a.code === 6 ? b : a;
    expect(loser.out).toMatch(/locked by another release: \S+\/\d+\/\S+/);
    // Process start-up included; the lock itself answers in one read and one write.
    expect(loser.ms).toBeLessThan(2000 + CLI_STARTUP_ALLOWANCE_MS);
    expect(winner.ms).toBeGreaterThan(loser.ms);
    const state = await appState(cluster(sim, config.namespace), config.namespace);
    expect(state).toMatchObject({ phase: 'completed', lockHolder: null, readyPods: 3 });
    expect(state.podVersions).toEqual([a.code === 0 ? 'v2' : 'v3']);
  });
});

describe('kdeploy status', () => {
  it('prints the release, the Deployment, its pods and the lock as text and JSON', {
    timeout: 60_000,
  }, async () => {
    const config = appConfig(sim);
    expect((await releaseTo(sim, config, 'v1')).outcome).toBe('completed');
    expect((await releaseTo(sim, config, 'crash-v2')).outcome).toBe('failed');
    const kubeconfig = kubeconfigFor(sim.url, 'direct');
    const json = await runCli([
      'status',
      'web',
      '-n',
      config.namespace,
      '--kubeconfig',
      kubeconfig,
      '-o',
      'json',
    ]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out);
    expect(report).toMatchObject({
      app: 'web',
      release: { phase: 'failed', to: { version: 'crash-v2' }, diagnosis: { reason: 'CrashLoopBackOff' } },
      deployment: { version: 'v1', desired: 3 },
      lock: null,
    });
    expect(report.history.map((h: { to: { version: string } }) => h.to.version)).toEqual(['v1']);
    const text = await runCli(['status', 'web', '-n', config.namespace, '--kubeconfig', kubeconfig]);
    expect(text.out).toContain('crash-v2  failed');
    expect(text.out).toMatch(/reason: container web of pod \S+ is crash-looping/);
    // --until completed on a failed release exits 1 at once.
    const until = await runCli([
      'status',
      'web',
      '-n',
      config.namespace,
      '--kubeconfig',
      kubeconfig,
      '--until',
      'completed',
      '-o',
      'json',
    ]);
    expect(until.code).toBe(1);
  });
});

describe('kdeploy status --watch', () => {
  it('streams reports while a release runs and exits with its outcome (--until completed)', {
    timeout: 60_000,
  }, async () => {
    const config = appConfig(sim);
    expect((await releaseTo(sim, config, 'v1')).outcome).toBe('completed');
    // Never-ready pods hold the release running (far longer than the test) until the abort below ends it, so
    // the watcher's first report is a running release however slowly the CLI starts on a loaded machine.
    const running = releaseTo(sim, config, 'unready-v2', {
      tuning: { readinessTimeoutMs: 120_000, recheckMs: 100 },
    });
    for await (const e of running) if (e.type === 'step-started' && e.step === 'await-rollout') break;
    const kubeconfig = kubeconfigFor(sim.url, 'direct');
    let aborting: Promise<unknown> | undefined;
    const watched = await runCli(
      [
        'status',
        'web',
        '-n',
        config.namespace,
        '--kubeconfig',
        kubeconfig,
        '--watch',
        '--until',
        'completed',
        '-o',
        'ndjson',
      ],
      (child) =>
        child.stdout?.once('data', () => {
          aborting = abort({ ...runOptions(sim), app: 'web', namespace: config.namespace }).result;
        }),
    );
    await aborting;
    expect((await running).outcome).toBe('aborted');
    expect(watched.code).toBe(4);
    const phases = watched.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).release.phase);
    expect(phases.length).toBeGreaterThan(1);
    expect(phases[0]).toBe('running');
    expect(phases.at(-1)).toBe('aborted');
  });
});

describe('Ctrl-C, then kdeploy abort', () => {
  it('SIGINT suspends the release (exit 3, lock released, resumable); abort then rolls it back', {
    timeout: 60_000,
  }, async () => {
    const config = appConfig(sim);
    expect((await releaseTo(sim, config, 'v1')).outcome).toBe('completed');
    const file = join(dir, `kdeploy-${config.namespace}.yaml`);
    writeFileSync(file, stringify(config));
    const kubeconfig = kubeconfigFor(sim.url, 'direct');
    // Never-ready pods keep the rollout waiting (30 s readiness budget by default) until interrupted.
    const interrupted = await runCli(
      ['rolling', '--to', 'unready-v2', '-f', file, '--kubeconfig', kubeconfig, '-o', 'ndjson'],
      (child) => {
        let seen = '';
        child.stdout?.on('data', (d) => {
          // One Ctrl-C: a second one exits at once (130) by design.
          if (seen.includes('"step":"await-rollout"')) return;
          seen += d;
          if (seen.includes('"step":"await-rollout"')) child.kill('SIGINT');
        });
      },
    );
    expect(interrupted.code).toBe(3);
    expect(interrupted.out).toContain('"type":"suspended"');
    const c = cluster(sim, config.namespace);
    expect(await appState(c, config.namespace)).toMatchObject({ phase: 'running', lockHolder: null });

    const aborted = await runCli([
      'abort',
      'web',
      '-n',
      config.namespace,
      '--kubeconfig',
      kubeconfig,
      '-o',
      'ndjson',
    ]);
    expect(aborted.code).toBe(0);
    expect(aborted.out).toContain('"type":"aborted"');
    expect(await appState(c, config.namespace)).toMatchObject({
      phase: 'aborted',
      version: 'v1',
      podVersions: ['v1'],
      readyPods: 3,
      lockHolder: null,
    });
  });
});
