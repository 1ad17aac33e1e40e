// The CLI as a process against the simulator: two releases racing for the lock, `status`, `status --watch`,
// and Ctrl-C then `abort`. Crash safety of the same release is in rolling-crash.test.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { abort } from '../../../src/engine/api.js';
import { useCliSim } from '../../support/cli-sim.js';
import { appConfig, appState, cluster, releaseTo, runOptions } from '../../support/engine-sim.js';
import { runCli } from '../../support/kill-proxy.js';

const bed = useCliSim('cli');

describe('two CLI processes releasing one app at once', () => {
  it('exactly one proceeds; the other exits 6 naming the holder while the first still runs', {
    timeout: 60_000,
  }, async () => {
    const config = appConfig(bed.sim);
    expect((await releaseTo(bed.sim, config, 'v1')).outcome).toBe('completed');
    const file = join(bed.dir, `kdeploy-${config.namespace}.yaml`);
    writeFileSync(file, stringify(config));
    const kubeconfig = bed.kubeconfigFor(bed.sim.url, 'direct');
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
    // The loser is refused at the lock, not after waiting for the winner (speed is bench/'s business).
    expect(winner.ms).toBeGreaterThan(loser.ms);
    const state = await appState(cluster(bed.sim, config.namespace), config.namespace);
    expect(state).toMatchObject({ phase: 'completed', lockHolder: null, readyPods: 3 });
    expect(state.podVersions).toEqual([a.code === 0 ? 'v2' : 'v3']);
  });
});

describe('kdeploy status', () => {
  it('prints the release, the Deployment, its pods and the lock as text and JSON', {
    timeout: 60_000,
  }, async () => {
    const config = appConfig(bed.sim);
    expect((await releaseTo(bed.sim, config, 'v1')).outcome).toBe('completed');
    expect((await releaseTo(bed.sim, config, 'crash-v2')).outcome).toBe('failed');
    const kubeconfig = bed.kubeconfigFor(bed.sim.url, 'direct');
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
    const config = appConfig(bed.sim);
    expect((await releaseTo(bed.sim, config, 'v1')).outcome).toBe('completed');
    // Never-ready pods hold the release running (far longer than the test) until the abort below ends it, so
    // the watcher's first report is a running release however slowly the CLI starts on a loaded machine.
    const running = releaseTo(bed.sim, config, 'unready-v2', {
      tuning: { readinessTimeoutMs: 120_000, recheckMs: 100 },
    });
    for await (const e of running) if (e.type === 'step-started' && e.step === 'await-rollout') break;
    const kubeconfig = bed.kubeconfigFor(bed.sim.url, 'direct');
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
          aborting = abort({ ...runOptions(bed.sim), app: 'web', namespace: config.namespace }).result;
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
    const config = appConfig(bed.sim);
    expect((await releaseTo(bed.sim, config, 'v1')).outcome).toBe('completed');
    const file = join(bed.dir, `kdeploy-${config.namespace}.yaml`);
    writeFileSync(file, stringify(config));
    const kubeconfig = bed.kubeconfigFor(bed.sim.url, 'direct');
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
    const c = cluster(bed.sim, config.namespace);
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
