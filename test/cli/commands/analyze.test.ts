import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../support/http-server.js';

// `kdeploy analyze` as a pipeline runs it: the built CLI (`npm test` builds dist/ first) in a child process,
// replaying a metric from a Prometheus API served in-process.
const CLI = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kdeploy-analyze-'));
const T0 = Date.UTC(2026, 0, 1, 10);
let prom: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  // 10:00 … 10:05, one sample a minute; the error rate crosses 1 % at 10:03.
  const values = [0.001, 0.002, 0.001, 0.02, 0.04, 0.03];
  // p99 latency, one sample a minute over the same window: v2's is twice v1's (with the same small wobble).
  const p99 = (base: number) => values.map((_, i) => base * (1 + (i % 3) / 50));
  const answer = (query: string) => {
    if (query.startsWith('p99')) {
      const base = query.includes('version="v2"') ? 0.3 : query.includes('version="v1"') ? 0.15 : undefined;
      return base === undefined ? [] : p99(base);
    }
    return query.includes('version="v2"') ? values : [];
  };
  prom = await startServer((r) => {
    const series = answer(r.params.get('query')!);
    return {
      body: {
        status: 'success',
        data: {
          resultType: 'matrix',
          result: series.length
            ? [{ metric: {}, values: series.map((v, i) => [T0 / 1000 + i * 60, String(v)]) }]
            : [],
        },
      },
    };
  });
  writeFileSync(
    join(dir, 'kdeploy.yaml'),
    [
      'app: shop',
      'image: { repository: registry.example.com/shop }',
      'analysis:',
      '  metrics:',
      '    - name: error-rate',
      `      provider: { prometheus: { address: "${prom.url}", query: 'rate_errors{app="{{app}}",version="{{canaryVersion}}"}' } }`,
      '      interval: 1m',
      '      successCondition: result < 0.01',
      '      failureLimit: 1',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'judge.yaml'),
    [
      'app: shop',
      'image: { repository: registry.example.com/shop }',
      'analysis:',
      '  judge: { pass: 90, marginal: 50 }',
      '  metrics:',
      '    - name: latency',
      `      provider: { prometheus: { address: "${prom.url}", query: 'p99{app="{{app}}",version="{{version}}"}' } }`,
      '      interval: 1m',
      '      judge: { direction: increase, tolerance: 0.2, critical: true }',
      '',
    ].join('\n'),
  );
});
afterAll(() => prom?.close());

function kdeploy(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const window = ['--from', '2026-01-01T10:00:00Z', '--to', '2026-01-01T10:05:00Z'];

describe('kdeploy analyze', () => {
  it('prints every measurement and where the analysis would have failed, and exits 0', async () => {
    const r = await kdeploy(['analyze', ...window, '--canary', 'v2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('error-rate: failed at 2026-01-01T10:04:00Z');
    expect(r.stdout).toContain('  2026-01-01T10:03:00Z  FAIL     0.02');
    expect(r.stdout).toMatch(
      /Verdict: failed at 2026-01-01T10:04:00Z \(error-rate: 2 failed measurements \(failureLimit 1\)/,
    );
    expect(prom.received.at(-1)!.params.get('query')).toBe('rate_errors{app="shop",version="v2"}');
  });

  it('speaks NDJSON: one line per measurement, then the verdict', async () => {
    const r = await kdeploy(['analyze', ...window, '--canary', 'v2', '-o', 'ndjson']);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual([...Array(6).fill('measurement'), 'verdict']);
    expect(lines[3]).toMatchObject({
      type: 'measurement',
      metric: 'error-rate',
      phase: 'failed',
      values: [0.02],
    });
    expect(lines[6]).toMatchObject({
      verdict: 'failed',
      decidedAt: T0 + 4 * 60_000,
      metrics: [{ name: 'error-rate', phase: 'failed' }],
    });
  });

  it('judges the judge: metrics, canary against stable over the window, and prints the result', async () => {
    const r = await kdeploy([
      'analyze',
      '--config',
      'judge.yaml',
      ...window,
      '--canary',
      'v2',
      '--stable',
      'v1',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('canary judge: failed at 2026-01-01T10:05:00Z');
    expect(r.stdout).toContain('  2026-01-01T10:05:00Z  FAIL     score 0 (fail)');
    expect(r.stdout).toMatch(
      /\n {4}latency: high \(critical\): higher than baseline beyond tolerance \+20%: mean 0\.306 vs 0\.153 \(\+100%\), p=0\.0\d+\n/,
    );
    expect(r.stdout).toMatch(/Verdict: failed at 2026-01-01T10:05:00Z \(canary judge: 1 failed measurement/);
    const asked = prom.received.slice(-2).map((q) => q.params.get('query'));
    expect(asked.sort()).toEqual(['p99{app="shop",version="v1"}', 'p99{app="shop",version="v2"}']);

    const json = await kdeploy([
      'analyze',
      '--config',
      'judge.yaml',
      ...window,
      '--canary',
      'v2',
      '--stable',
      'v1',
      '-o',
      'json',
    ]);
    const report = JSON.parse(json.stdout);
    expect(report.metrics[0].measurements[0].judgement).toMatchObject({
      score: 0,
      result: 'fail',
      metrics: [{ name: 'latency', classification: 'high', canary: { count: 6 }, baseline: { count: 6 } }],
    });
  });

  it('a judge needs both versions, and two different ones: exit 2 naming the flag', async () => {
    const judge = ['analyze', '--config', 'judge.yaml', ...window];
    const noStable = await kdeploy([...judge, '--canary', 'v2']);
    expect([noStable.code, noStable.stderr]).toEqual([
      2,
      expect.stringMatching(
        /--stable: latency has judge: the judge compares the --canary version with the --stable version; give both/,
      ),
    ]);
    const noCanary = await kdeploy([...judge, '--stable', 'v1']);
    expect([noCanary.code, noCanary.stderr]).toEqual([
      2,
      expect.stringMatching(/--canary: latency has judge/),
    ]);
    const same = await kdeploy([...judge, '--canary', 'v1', '--stable', 'v1']);
    expect([same.code, same.stderr]).toEqual([
      2,
      expect.stringMatching(/--stable: the judge would compare v1 with itself/),
    ]);
  });

  it('rejects bad input with exit 2 and names the flag or field', async () => {
    const noCanary = await kdeploy(['analyze', ...window]);
    expect(noCanary.code).toBe(2);
    expect(noCanary.stderr).toMatch(
      /analysis\.metrics\[0\]\.provider\.prometheus: \{\{canaryVersion\}\} is not a variable of this release/,
    );
    const badTime = await kdeploy(['analyze', '--from', 'yesterday', '--to', '0s']);
    expect([badTime.code, badTime.stderr]).toEqual([
      2,
      expect.stringMatching(/--from: expected an ISO time .* got "yesterday"/),
    ]);
    const unknown = await kdeploy(['analyze', ...window, '--metric', 'latency']);
    expect([unknown.code, unknown.stderr]).toEqual([
      2,
      expect.stringMatching(/--metric: no metric named "latency" in analysis.metrics; defined: error-rate/),
    ]);
  });
});
