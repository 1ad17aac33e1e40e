// Scenario files: every built-in parses; bad input is a ConfigError (exit 2) naming the file and field.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { builtinScenarios, failureModeOf, loadScenario, parseScenario } from '../../src/sim/scenario.js';

describe('scenarios', () => {
  test('the built-in scenarios exist and parse, with durations in milliseconds', () => {
    expect(builtinScenarios()).toEqual([
      'canary-crash',
      'canary-errors',
      'canary-warm-stable',
      'happy',
      'oom',
      'pullerr',
      'rolling-crash',
      'unready',
      'unsched',
    ]);
    for (const name of builtinScenarios()) expect(loadScenario(name).name).toBe(name);
    expect(loadScenario('canary-errors').metrics.changes[0]).toMatchObject({
      at: 300_000,
      version: 'v2*',
      errorRate: 0.2,
    });
    expect(loadScenario(undefined).pods).toMatchObject({ startDelay: 500, readyDelay: 1000 });
  });

  test('failure modes: scenario rules first (none overrides), then the label, then tag prefixes', () => {
    const s = parseScenario({
      failures: [
        { image: '*:crash-but-fine', mode: 'none' },
        { labels: { track: 'canary' }, mode: 'oom' },
      ],
    });
    const pod = (image: string, labels: Record<string, string> = {}) => ({
      metadata: { labels },
      spec: { containers: [{ image }] },
    });
    expect(failureModeOf(s, pod('a:crash-1'))).toBe('crash');
    expect(failureModeOf(s, pod('a:crash-but-fine'))).toBeUndefined();
    expect(failureModeOf(s, pod('a:v1', { track: 'canary' }))).toBe('oom');
    expect(failureModeOf(s, pod('a:v1', { 'kdeploy.test/fail': 'never-ready' }))).toBe('never-ready');
    expect(failureModeOf(s, pod('registry:5000/a:unready'))).toBe('never-ready');
    expect(failureModeOf(s, pod('a@sha256:abc'))).toBeUndefined();
  });

  test('bad scenarios name the file, the field and what is allowed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kdeploy-scenario-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'pods:\n  readyDelay: soon\nfailures:\n  - mode: explode\n');
    const err = (() => {
      try {
        loadScenario(file);
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.exitCode).toBe(2);
    expect(err!.message).toContain(`${file}: pods.readyDelay: expected a duration`);
    expect(err!.message).toContain('failures[0].mode');
    writeFileSync(file, 'pods: [unclosed\n');
    expect(() => loadScenario(file)).toThrow(/bad\.yaml:\d+:\d+/);
    expect(() => loadScenario('no-such-scenario')).toThrow(
      'unknown scenario; built-in scenarios: canary-crash',
    );
    expect(() => loadScenario('./missing.yaml')).toThrow('./missing.yaml: file not found');
    expect(() => parseScenario({ nodes: { count: 0 } })).toThrow('nodes.count');
  });
});
