// The GitHub Action run as the runner runs it: `node dist/action.js` with INPUT_* variables and the
// GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, against the simulated cluster.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { SimulatedCluster } from '../../src/sim/index.js';
import { appConfig, startSim } from '../support/engine-sim.js';

const ACTION = fileURLToPath(new URL('../../dist/action.js', import.meta.url));

let sim: SimulatedCluster;
let dir: string;
beforeAll(async () => {
  expect(existsSync(ACTION), 'dist/action.js is missing: run `npm run build` (npm test does)').toBe(true);
  sim = await startSim();
  dir = mkdtempSync(join(tmpdir(), 'kdeploy-action-'));
});
afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface ActionRun {
  code: number | null;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Parses GITHUB_OUTPUT as the runner does: `name=value` lines and `name<<DELIM` … `DELIM` blocks. */
function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc;
      const end = lines.indexOf(delim!, i + 1);
      expect(end, `unterminated ${name}`).toBeGreaterThan(i);
      out[name!] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

let runs = 0;
async function runAction(inputs: Record<string, string>): Promise<ActionRun> {
  const n = ++runs;
  const outputFile = join(dir, `output-${n}`);
  const summaryFile = join(dir, `summary-${n}`);
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: dir,
    HOME: dir,
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const child = spawn(process.execPath, [ACTION], { env, cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return {
    code,
    stdout,
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
  };
}

/** A config for a fresh namespace on the simulator, with the app already released at v1 when `v1` is set. */
async function setup(
  name: string,
  v1 = true,
  steps: object[] = [{ setWeight: 50 }, { pause: { duration: '500ms' } }],
) {
  const config = appConfig(sim, { replicas: 2, strategy: { canary: { steps } } } as never);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, sim.kubeConfigYaml);
  if (v1) expect((await runAction({ command: 'canary', to: 'v1', config: file, kubeconfig })).code).toBe(0);
  return { file, kubeconfig, namespace: config.namespace };
}

function expectBalancedGroups(stdout: string) {
  let open = 0;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('::group::')) {
      expect(open, 'groups do not nest').toBe(0);
      open++;
    } else if (line === '::endgroup::') {
      expect(open).toBe(1);
      open--;
    }
  }
  expect(open).toBe(0);
}

describe('GitHub Action (dist/action.js)', () => {
  it('runs a canary: exit 0, outputs, one log group per step, a summary with the timeline', async () => {
    const { file, kubeconfig } = await setup('ok');
    const run = await runAction({ command: 'canary', to: 'v2', config: file, kubeconfig });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ outcome: 'completed', version: 'v2', 'exit-code': '0' });
    expect(run.outputs['release-id']).toMatch(/^\d{8}-\d{6}-[0-9a-f]{4}$/);
    expect(run.stdout).toContain('::group::step 1/');
    expectBalancedGroups(run.stdout);
    expect(run.stdout).not.toContain('::error');
    expect(run.summary).toContain('### ✅ kdeploy canary web: completed');
    expect(run.summary).toContain(`| Release | \`${run.outputs['release-id']}\` |`);
    expect(run.summary).toMatch(/\| \d\d:\d\d:\d\d \| weight: canary 50%/);
  });

  it('fails a crashing canary with exit 1, an ::error:: annotation and outcome failed', async () => {
    const { file, kubeconfig } = await setup('crash');
    const run = await runAction({ command: 'canary', to: 'crash-v2', config: file, kubeconfig });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ outcome: 'failed', version: 'v1', 'exit-code': '1' });
    expect(run.stdout).toMatch(/^::error title=kdeploy canary failed::.*crash/im);
    expectBalancedGroups(run.stdout);
    expect(run.summary).toContain('### ❌ kdeploy canary web: failed');
  });

  it('stops at a pause with until: paused (exit 3), then abort rolls back (exit 0, outcome aborted)', async () => {
    const { file, kubeconfig } = await setup('paused', true, [{ setWeight: 50 }, { pause: {} }]);
    const paused = await runAction({
      command: 'canary',
      to: 'v2',
      config: file,
      kubeconfig,
      until: 'paused',
    });
    expect(paused.code).toBe(3);
    expect(paused.outputs).toMatchObject({ outcome: 'paused', 'exit-code': '3' });
    expect(paused.stdout).not.toContain('::error');
    expect(paused.summary).toContain('### ⏸️ kdeploy canary web: paused');
    const aborted = await runAction({ command: 'abort', config: file, kubeconfig });
    expect(aborted.code).toBe(0);
    expect(aborted.outputs).toMatchObject({
      outcome: 'aborted',
      version: 'v1',
      'exit-code': '0',
      'release-id': paused.outputs['release-id'],
    });
  });

  it('accepts the kubeconfig input as file contents (a secret) and removes its temp file', async () => {
    const { file } = await setup('contents', false);
    const run = await runAction({
      command: 'rolling',
      to: 'v1',
      config: file,
      kubeconfig: sim.kubeConfigYaml,
    });
    expect(run.code).toBe(0);
    expect(run.outputs.outcome).toBe('completed');
    expect(readdirSync(dir).filter((f) => f.startsWith('kdeploy-'))).toEqual([]);
  });

  it.each([
    [
      { command: 'deploy', to: 'v2' },
      'input command: expected one of rolling, bluegreen, canary, resume, abort, rollback, got "deploy"',
    ],
    [
      { command: 'canery', to: 'v2' },
      'input command: expected one of rolling, bluegreen, canary, resume, abort, rollback, got "canery"; did you mean "canary"?',
    ],
    [{ command: 'canary' }, 'input to: the tag or image to release is required for canary'],
    [
      { command: 'canary', to: 'v2', until: 'forever' },
      'input until: expected completed or paused, got "forever"',
    ],
  ])('rejects bad inputs %j with exit 2 and an annotation', async (inputs, message) => {
    const run = await runAction(inputs);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(`::error title=kdeploy`);
    expect(run.stdout).toContain(message);
    expect(run.outputs).toEqual({ outcome: 'error', 'exit-code': '2' });
  });

  it('rejects a bad config with exit 2 naming the field, before touching the cluster', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'app: web\nimage: { repository: registry.example/web }\nreplicas: many\n');
    const run = await runAction({
      command: 'canary',
      to: 'v2',
      config: file,
      kubeconfig: join(dir, 'nonexistent'),
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/::error title=kdeploy canary::.*replicas/);
  });
});
