import { describe, expect, it } from 'vitest';
import { createRenderer } from '../../../src/cli/render/index.js';
import { formatStatus } from '../../../src/cli/render/status.js';
import type { ReleaseEvent } from '../../../src/core/release.js';
import type { StatusReport } from '../../../src/engine/api.js';
import { describeEvent, formatElapsed } from '../../../src/views/describe.js';

const plain = {
  red: (s: string) => s,
  green: (s: string) => s,
  yellow: (s: string) => s,
  dim: (s: string) => s,
};
const base = { at: Date.parse('2026-01-01T00:00:00Z'), app: 'web', releaseId: 'r1' };

function capture(isTTY = false) {
  const chunks: string[] = [];
  return {
    stream: { isTTY, write: (s: string) => chunks.push(s) } as unknown as NodeJS.WriteStream,
    text: () => chunks.join(''),
  };
}

describe('describeEvent', () => {
  it('says what happened in one line', () => {
    expect(
      describeEvent({
        ...base,
        type: 'release-started',
        strategy: 'rolling',
        from: { version: 'v1', image: 'x:v1' },
        to: { version: 'v2', image: 'x:v2' },
        steps: ['a', 'b'],
        resumed: false,
      }),
    ).toBe('starting rolling release r1 of web: v1 → v2 (2 steps)');
    expect(
      describeEvent({
        ...base,
        type: 'step-completed',
        index: 1,
        step: 'await-rollout',
        total: 4,
        rollback: true,
        durationMs: 75_000,
      }),
    ).toBe('rollback step 2/4 await-rollout done in 1m15s');
    expect(describeEvent({ ...base, type: 'failed', reason: 'crash', version: 'v1' })).toBe(
      'failed and rolled back to v1: crash',
    );
    expect(formatElapsed(999)).toBe('1s');
  });
});

describe('renderers', () => {
  const events: ReleaseEvent[] = [
    {
      ...base,
      type: 'failure-diagnosed',
      diagnosis: { reason: 'CrashLoopBackOff', message: 'pod p crashed', logs: ['panic: boom'] },
    },
    { ...base, type: 'failed', reason: 'pod p crashed', version: 'v1' },
  ];

  it('writes one JSON object per event with -o ndjson', () => {
    const out = capture();
    const r = createRenderer('ndjson', out.stream, plain);
    for (const e of events) r.onEvent(e);
    r.done();
    expect(
      out
        .text()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).type),
    ).toEqual(['failure-diagnosed', 'failed']);
  });

  it('writes timestamped plain lines with the failing pod logs in a pipe', () => {
    const out = capture();
    const r = createRenderer('text', out.stream, plain);
    for (const e of events) r.onEvent(e);
    expect(out.text()).toBe(
      '2026-01-01T00:00:00.000Z failure: CrashLoopBackOff: pod p crashed\n    | panic: boom\n2026-01-01T00:00:00.000Z failed and rolled back to v1: pod p crashed\n',
    );
  });
});

describe('formatStatus', () => {
  it('shows the step, versions, pods, lock and events', () => {
    const report = {
      app: 'web',
      namespace: 'shop',
      release: {
        id: 'r1',
        strategy: 'rolling',
        kind: 'release',
        from: { version: 'v1', image: 'x:v1' },
        to: { version: 'v2', image: 'x:v2' },
        phase: 'running',
        step: 3,
        stepState: 'started',
        steps: ['adopt', 'ensure-service', 'update-template', 'await-rollout'],
        rollbackSteps: [],
      },
      history: [],
      deployment: {
        name: 'web',
        version: 'v2',
        image: 'x:v2',
        desired: 3,
        updated: 1,
        ready: 3,
        available: 3,
      },
      pods: [
        {
          name: 'web-a',
          version: 'v2',
          phase: 'Running',
          ready: false,
          restarts: 4,
          problem: 'CrashLoopBackOff',
        },
      ],
      lock: { holder: 'ci/42/r1', expired: false },
      events: [
        {
          at: '2026-01-01T00:00:00Z',
          type: 'Warning',
          reason: 'BackOff',
          object: 'Pod/web-a',
          message: 'Back-off restarting failed container',
        },
      ],
    } as unknown as StatusReport;
    const text = formatStatus(report, plain);
    expect(text).toContain('release r1 (rolling): v1 → v2  running');
    expect(text).toContain('step 4/4 await-rollout (started)');
    expect(text).toContain('web-a  v2  Running  4 restarts  CrashLoopBackOff');
    expect(text).toContain('lock held by ci/42/r1');
    expect(text).toContain('BackOff Pod/web-a: Back-off restarting failed container');
  });
});
