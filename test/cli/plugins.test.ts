import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// `plugins:` in kdeploy.yaml, through the built CLI: a plugin module registers a strategy with its own config
// section using the toolkit it is handed, and the CLI runs it like a built-in.
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kdeploy-plugins-'));
mkdirSync(join(dir, 'plugins'));

// A `noop` strategy whose one step checks that its section arrived validated and defaulted.
writeFileSync(
  join(dir, 'plugins', 'noop.mjs'),
  `export default function register(kdeploy) {
  const { z, duration, registerStrategy, StepFailure } = kdeploy;
  registerStrategy({
    name: 'noop',
    configSection: { key: 'noop', schema: z.strictObject({ wait: duration.prefault('2s') }).prefault({}) },
    plan: () => ({
      steps: [{ name: 'check-section', async run(ctx) {
        if (ctx.config.strategy.noop.wait !== 2000) throw new StepFailure('section not parsed');
      } }],
      rollback: [],
    }),
  });
}
`,
);
const BASE = 'app: shop\nnamespace: store\nimage: { repository: registry.example.com/shop }\n';
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const WITH_PLUGIN = write('kdeploy.yaml', `${BASE}plugins: [./plugins/noop.mjs]\nstrategy: { noop: {} }\n`);

function kdeploy(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: tmpdir() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('a plugin strategy', () => {
  it('runs with `simulate <name>` on the simulated cluster', async () => {
    const run = await kdeploy(['simulate', 'noop', '--to', 'v2', '-f', WITH_PLUGIN]);
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('check-section');
  });

  it('is a release command with the release flags', async () => {
    const run = await kdeploy(['noop', '--help', '-f', WITH_PLUGIN]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('kdeploy noop');
    expect(run.stdout).toContain('--to');
    expect(run.stdout).toContain('--until');
  });

  it('has its section validated by its schema, and in `kdeploy schema`', async () => {
    const bad = write(
      'bad.yaml',
      `${BASE}plugins: [./plugins/noop.mjs]\nstrategy:\n  noop: { wait: soon }\n`,
    );
    const run = await kdeploy(['render', '-f', bad]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/bad\.yaml:6:\d+: strategy\.noop\.wait: expected a duration/);
    const schema = JSON.parse((await kdeploy(['schema', '-f', WITH_PLUGIN])).stdout);
    expect(Object.keys(schema.properties.strategy.properties)).toEqual([
      'rolling',
      'bluegreen',
      'canary',
      'noop',
    ]);
  });

  it('is unknown without its plugin: exit 2 naming the known strategies', async () => {
    const plain = write('plain.yaml', BASE);
    const simulate = await kdeploy(['simulate', 'noop', '--to', 'v2', '-f', plain]);
    expect(simulate.code).toBe(2);
    expect(simulate.stderr).toMatch(
      /Argument: strategy, Given: "noop", Choices: "rolling", "bluegreen", "canary"/,
    );
    const release = await kdeploy(['noop', '--to', 'v2', '-f', plain]);
    expect(release.code).toBe(2);
    expect(release.stderr).toMatch(/Unknown arguments: to, noop/);
  });

  it('that cannot be loaded is bad input naming the plugin', async () => {
    const missing = write('missing.yaml', `${BASE}plugins: [./plugins/nope.mjs]\n`);
    const run = await kdeploy(['render', '-f', missing]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /missing\.yaml: plugins\[0\]: "\.\/plugins\/nope\.mjs": cannot load the plugin/,
    );
  });
});

it('`kdeploy schema` still covers the built-in sections', async () => {
  const schema = JSON.parse((await kdeploy(['schema'])).stdout);
  const { canary, rolling, bluegreen } = schema.properties.strategy.properties;
  expect(Object.keys(canary.properties)).toEqual(['steps', 'router', 'analysis', 'baseline']);
  expect(Object.keys(rolling.properties)).toEqual([
    'maxSurge',
    'maxUnavailable',
    'progressDeadline',
    'analysis',
  ]);
  expect(bluegreen.properties.scaleDownDelay).toMatchObject({ type: 'string', default: '30s' });
});
