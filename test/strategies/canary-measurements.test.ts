// Measurements in the release record: the latest few per metric and the analysis run's counts are saved as
// they are taken, `status` shows them, and a release stopped during a background analysis resumes it with its
// counts instead of starting over (a crash must not reset a failing metric).
import { afterEach, describe, expect, it } from 'vitest';
import { formatStatus } from '../../src/cli/render/status.js';
import { resume, status } from '../../src/engine/api.js';
import { MEASUREMENTS_KEPT } from '../../src/engine/measurements.js';
import { appConfig, type Bed, bed } from '../support/strategy-bed.js';

let b: Bed | undefined;
afterEach(async () => {
  await b?.close();
  b = undefined;
});

const plain = { red: String, green: String, yellow: String, dim: String };

/** A canary whose pause (step 2) runs under a background analysis of the simulator's v2 error rate (8 %). */
async function canaryWithAnalysis(failureCondition: string, pause: string) {
  b = await bed(appConfig({ canary: { steps: [{ setWeight: 25 }] } }), 'canary-errors');
  expect((await b.run('canary', 'v1')).outcome).toBe('completed');
  return appConfig(
    {
      canary: {
        steps: [{ setWeight: 25 }, { pause: { duration: pause } }],
        analysis: { metrics: ['error-rate'], startingStep: 1 },
      },
    },
    {
      analysis: {
        metrics: [
          {
            name: 'error-rate',
            provider: {
              prometheus: {
                address: b.sim.url,
                query: 'kdeploy_error_rate{app="web",version="{{canaryVersion}}"}',
              },
            },
            interval: '30s',
            count: 0,
            failureLimit: 1,
            failureCondition,
          },
        ],
      },
    },
  );
}

describe('measurements in the release record', () => {
  it('keeps the latest measurements per metric and the run counts, and status shows them', async () => {
    const config = await canaryWithAnalysis('result > 0.5', '10m');
    const result = await b!.run('canary', 'v2', { config });
    expect(result.outcome).toBe('completed');
    const taken = result.events.filter((e) => e.type === 'measurement');
    expect(taken.length).toBeGreaterThan(MEASUREMENTS_KEPT);

    const { measurements, analysis } = result.release;
    expect(measurements).toHaveLength(MEASUREMENTS_KEPT);
    // The latest ones, oldest first, as the events reported them.
    expect(measurements.map((m) => m.values)).toEqual(
      taken.slice(-MEASUREMENTS_KEPT).map((e) => (e as { values: number[] }).values),
    );
    expect(measurements.every((m) => m.metric === 'error-rate' && m.verdict === 'successful')).toBe(true);
    // The pause's run: the background analysis starts at canary step 2.
    expect(result.release.steps[analysis!.step]).toMatch(/^pause-/);
    const counts = analysis?.runs['background analysis']?.metrics['error-rate'];
    expect(counts).toMatchObject({ measured: taken.length, successful: taken.length, failed: 0 });

    const report = await status({ app: 'web', kubeconfig: b!.kc, namespace: 'default' });
    const last = measurements.at(-1)!;
    const text = formatStatus(report, plain, Date.parse(last.at) + 12_000);
    expect(text).toContain('  measurements:\n');
    const line = text.split('\n').find((l) => l.includes('error-rate'));
    expect(line).toMatch(/^ {4}error-rate {2}0\.\d+ {2}successful/);
    expect(line).toContain(`  0/${taken.length} failures  12s ago`);
  });

  it('a release stopped after one failed measurement resumes with it: the next failure fails it', async () => {
    const config = await canaryWithAnalysis('result > 0.05', '1h');
    const stop = new AbortController();
    const first = await b!.run('canary', 'v2', {
      config,
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === 'measurement') stop.abort();
      },
    });
    expect(first.outcome).toBe('suspended');
    expect(first.events.filter((e) => e.type === 'measurement')).toHaveLength(1);
    expect(first.release.analysis?.runs['background analysis']?.metrics['error-rate']).toMatchObject({
      failed: 1,
      measured: 1,
    });

    const resumed = await resume({ app: 'web', kubeconfig: b!.kc, namespace: 'default', clock: b!.clock });
    expect(resumed.outcome).toBe('failed');
    expect(resumed.reason).toMatch(/background analysis failed/);
    // failureLimit 1: the failure saved before the stop and one more, not two more.
    expect(resumed.events.filter((e) => e.type === 'measurement')).toHaveLength(1);
    expect(resumed.release.measurements.map((m) => m.verdict)).toEqual(['failed', 'failed']);
  });
});
