// The release record's side of a measurement (src/engine/measurements.ts): the latest few per metric, the run
// state of the step's analyses by what runs them, and a later step starting fresh.
import { describe, expect, it } from 'vitest';
import type { AnalysisRunState, MeasurementRecord } from '../../src/analysis/run.js';
import type { ReleaseState } from '../../src/core/release.js';
import { MEASUREMENTS_KEPT, measurementPatch, savedRun } from '../../src/engine/measurements.js';

const T0 = Date.UTC(2026, 0, 1);
const reading = (metric: string, i: number): MeasurementRecord => ({
  metric,
  phase: i % 2 ? 'failed' : 'successful',
  values: [i],
  startedAt: T0 + i * 1000,
  finishedAt: T0 + i * 1000 + 10,
});
const run = (failed: number): AnalysisRunState => ({
  startedAt: T0,
  verdict: 'running',
  metrics: {
    m: {
      phase: 'running',
      measured: failed,
      successful: 0,
      failed,
      inconclusive: 0,
      noData: 0,
      errors: 0,
      consecutiveErrors: 0,
      nextAt: T0,
      recent: [reading('m', 1)],
    },
  },
});

type Saved = Pick<ReleaseState, 'measurements' | 'analysis'>;

describe('measurementPatch', () => {
  it('keeps the latest measurements of each metric, oldest first, whatever the other metrics did', () => {
    let r: Saved = { measurements: [] };
    for (let i = 0; i < 15; i++) r = measurementPatch(r, 2, 'background analysis', reading('a', i), run(0));
    r = measurementPatch(r, 2, 'background analysis', reading('b', 99), run(0));
    expect(r.measurements.filter((m) => m.metric === 'a').map((m) => m.values[0])).toEqual(
      Array.from({ length: MEASUREMENTS_KEPT }, (_, k) => 15 - MEASUREMENTS_KEPT + k),
    );
    expect(r.measurements.at(-1)).toEqual({
      metric: 'b',
      at: new Date(T0 + 99_010).toISOString(),
      values: [99],
      verdict: 'failed',
    });
  });

  it('saves the run state by what runs it, without the recent readings, and a new step starts fresh', () => {
    let r: Saved = { measurements: [] };
    r = measurementPatch(r, 2, 'background analysis', reading('m', 1), run(1));
    r = measurementPatch(r, 2, 'analysis of step 3', reading('m', 3), run(2));
    expect(Object.keys(r.analysis!.runs)).toEqual(['background analysis', 'analysis of step 3']);
    expect(r.analysis!.runs['background analysis']!.metrics.m).toMatchObject({ failed: 1, recent: [] });
    expect(savedRun({ step: 2, ...r }, 'analysis of step 3')?.metrics.m?.failed).toBe(2);
    // Step 3 doesn't continue step 2's runs.
    expect(savedRun({ step: 3, ...r }, 'background analysis')).toBeUndefined();
    r = measurementPatch(r, 3, 'background analysis', reading('m', 5), run(1));
    expect(r.analysis).toMatchObject({ step: 3 });
    expect(Object.keys(r.analysis!.runs)).toEqual(['background analysis']);
  });
});
