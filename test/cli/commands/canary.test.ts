// The progressive strategies' CLI commands from the built dist/cli.js: a release command with --until paused
// (exit 3 at the pause), then from another process status --until paused (exit 3), promote (follows to the
// end, exit 0), and the exit code of a promote with nothing to promote (2).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FAST_PODS } from '../../support/engine-sim.js';
import { runCli } from '../../support/kill-proxy.js';
import { appConfig, type Bed, bed } from '../../support/strategy-bed.js';

let b: Bed;
let dir: string;
const CLI = join(import.meta.dirname, '../../../dist/cli.js');
beforeAll(async () => {
  // npm test builds dist/ once (pretest). Rebuilding here raced the other files' CLI processes, which then
  // loaded half-written chunks.
  expect(existsSync(CLI), 'dist/cli.js is missing: run `npm run build` (npm test does)').toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'kdeploy-cli-strategies-'));
}, 180_000);
afterAll(async () => {
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('canary --until paused and status --until paused exit 3 at the pause; promote from another process finishes the release', {
  timeout: 60_000,
}, async () => {
  const config = appConfig({ canary: { steps: [{ setWeight: 50 }, { pause: {} }] } });
  b = await bed(config, { pods: FAST_PODS }, { realTime: true });
  expect((await b.run('canary', 'v1')).outcome).toBe('completed');
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, b.sim.kubeConfigYaml);
  const file = join(dir, 'kdeploy.yaml');
  writeFileSync(file, JSON.stringify(config)); // JSON is YAML
  const connection = ['-n', 'default', '--kubeconfig', kubeconfig, '-o', 'ndjson'];
  const cli = (...args: string[]) => runCli([...args, 'web', ...connection]);

  // The release command itself returns at the pause with --until paused.
  const started = await runCli(['canary', '--to', 'v2', '--until', 'paused', '-f', file, ...connection]);
  expect(started.code, started.out).toBe(3);

  const waiting = await cli('status', '--until', 'paused');
  expect(waiting.code, waiting.out).toBe(3);

  const promoted = await cli('promote');
  expect(promoted.code, promoted.out).toBe(0);
  const events = promoted.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(events.filter((e) => e.type === 'weight').map((e) => e.canary)).toEqual([0]);
  expect(events.at(-1)).toMatchObject({ type: 'completed', version: 'v2' });

  const again = await cli('promote');
  expect(again.code).toBe(2);
  expect(again.out).toMatch(/nothing to promote: release .* is completed/);
});

it('--templates on a release command replaces the built-in templates for that release', {
  timeout: 60_000,
}, async () => {
  await b?.close();
  const config = appConfig({});
  b = await bed(config, { pods: FAST_PODS }, { realTime: true });
  const templates = join(dir, 'templates');
  mkdirSync(templates, { recursive: true });
  const builtin = readFileSync(join(import.meta.dirname, '../../../templates/deployment.yaml.hbs'), 'utf8');
  writeFileSync(
    join(templates, 'deployment.yaml.hbs'),
    builtin.replace(
      '  annotations: {{json annotations}}\n',
      '  annotations: {"example.com/from": "user-template"}\n',
    ),
  );
  const kubeconfig = join(dir, 'kubeconfig-templates');
  writeFileSync(kubeconfig, b.sim.kubeConfigYaml);
  const file = join(dir, 'kdeploy-templates.yaml');
  writeFileSync(file, JSON.stringify(config));
  const run = await runCli([
    'rolling',
    '--to',
    'v1',
    '-f',
    file,
    '--templates',
    templates,
    '-n',
    'default',
    '--kubeconfig',
    kubeconfig,
  ]);
  expect(run.code, run.out).toBe(0);
  const deployment = await b.sim
    .kubeConfig()
    .makeApiClient(AppsV1Api)
    .readNamespacedDeployment({ name: 'web', namespace: 'default' });
  expect(deployment.metadata?.annotations?.['example.com/from']).toBe('user-template');
});
