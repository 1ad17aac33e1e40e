import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// `kdeploy simulate` as a newcomer runs it: the built CLI (`npm test` builds dist/ first) in a folder
// without kdeploy.yaml, or with -f pointing at the example whose Prometheus doesn't exist here.
const CLI = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../examples/canary.yaml', import.meta.url));
const empty = mkdtempSync(join(tmpdir(), 'kdeploy-simulate-'));

function kdeploy(
  args: string[],
  cwd = empty,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('kdeploy simulate', () => {
  it('without a kdeploy.yaml fails canary-errors on the error-rate metric, naming its value (exit 1)', async () => {
    const r = await kdeploy(['simulate', 'canary', '--to', 'v2', '--scenario', 'canary-errors']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('simulating the built-in demo app');
    expect(r.stdout).toMatch(/rolled back to stable: .*error-rate: 2 failed measurements/);
    expect(r.stdout).toContain('0.08: successCondition result < 0.01 is false');
  });

  it('without a kdeploy.yaml completes a healthy canary that passes its analysis (exit 0)', async () => {
    const r = await kdeploy(['simulate', 'canary', '--to', 'v2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('measurement error-rate: [0.001] successful');
    expect(r.stdout).toContain('simulated canary release: completed');
  });

  it('without a kdeploy.yaml runs blue/green and rolls back a crashing canary', async () => {
    const [bluegreen, crash] = await Promise.all([
      kdeploy(['simulate', 'bluegreen', '--to', 'v2']),
      kdeploy(['simulate', 'canary', '--to', 'v2', '--scenario', 'canary-crash']),
    ]);
    expect(bluegreen.code).toBe(0);
    expect(crash.code).toBe(1);
    expect(crash.stdout).toContain('crash-looping');
  });

  it('points the config’s Prometheus at the simulator, says so, and fails on the metric', async () => {
    const r = await kdeploy([
      'simulate',
      'canary',
      '--to',
      'v2',
      '--scenario',
      'canary-errors',
      '-f',
      EXAMPLE,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /metric error-rate: prometheus http:\/\/prometheus\.monitoring:9090 replaced by the simulated cluster's http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(r.stdout).not.toContain('ENOTFOUND');
    expect(r.stdout).toContain('measurement error-rate: [0.08] failed');
    expect(r.stdout).toMatch(/failed and rolled back to stable: .*error-rate: 2 failed measurements/);
  });

  it('judges the canary against the stable version in an analysis step: doubled latency fails, equal passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kdeploy-simulate-judge-'));
    writeFileSync(
      join(dir, 'kdeploy.yaml'),
      [
        'app: shop',
        'image: { repository: registry.example/shop }',
        'strategy:',
        '  canary:',
        '    steps: [{ setWeight: 25 }, { analysis: { metrics: [latency] } }]',
        'analysis:',
        '  metrics:',
        '    - name: latency',
        '      provider:',
        '        prometheus:',
        '          address: http://prometheus.monitoring:9090',
        '          query: max(kdeploy_latency_p99_seconds{app="{{app}}",version="{{version}}"})',
        '      interval: 30s',
        '      count: 5',
        '      judge: { tolerance: 0.2 }',
        '',
      ].join('\n'),
    );
    const simulate = (scenario: string) =>
      kdeploy(['simulate', 'canary', '--to', 'v2', '--scenario', scenario], dir);
    const [slow, same] = await Promise.all([simulate('canary-errors'), simulate('happy')]);
    expect(slow.code).toBe(1);
    expect(slow.stdout).toContain('measurement canary judge: [0] failed');
    expect(slow.stdout).toMatch(
      /rolled back to stable: analysis of step 2 failed: canary judge: .*score 0 < marginal 75; failing: latency \(higher than baseline beyond tolerance \+20%: mean 0\.320 vs 0\.150/,
    );
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('measurement canary judge: [100] successful');
  });

  it('still rejects a config file that does not exist (exit 2)', async () => {
    const r = await kdeploy(['simulate', 'canary', '--to', 'v2', '-f', 'missing.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing.yaml: cannot read the config file');
  });
});
