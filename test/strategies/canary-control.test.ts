// promote, promote --full, pause and abort acting through the release record while another "process"
// (a second engine instance with its own lock identity) runs the release.
import { afterEach, describe, expect, it } from 'vitest';
import type { ReleaseEvent } from '../../src/core/release.js';
import { abort, pause, promote } from '../../src/engine/api.js';
import { appConfig, type Bed, bed, expectCapacityKept } from '../support/strategy-bed.js';

let b: Bed | undefined;
afterEach(async () => {
  await b?.close();
  b = undefined;
});

const steps = [
  { setWeight: 25 },
  { pause: {} },
  { setWeight: 50 },
  { pause: { duration: '2m' } },
  { setWeight: 75 },
];
const weights = (events: ReleaseEvent[]) => events.flatMap((e) => (e.type === 'weight' ? [e.canary] : []));

function other(b: Bed, identity: string) {
  return {
    app: 'web',
    kubeconfig: b.kc,
    clock: b.clock,
    identity,
    leaseSeconds: 120,
    tuning: { readinessTimeoutMs: 30_000 },
  };
}

/** Resolves when the running release emits an event matching `pred`. */
function when(events: ReleaseEvent[], pred: (e: ReleaseEvent) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (events.some(pred)) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
}

describe('controlling a canary from another process', () => {
  it('--until paused exits 3 at an indefinite pause; promote runs it on when nobody else does', async () => {
    b = await bed(appConfig({ canary: { steps } }));
    expect((await b.run('canary', 'v1')).outcome).toBe('completed');
    const watcher = await b.watchCapacity(4);
    const paused = await b.run('canary', 'v2', { until: 'paused' });
    expect(paused.outcome).toBe('paused');
    expect(paused.exitCode).toBe(3);
    expect(weights(paused.events)).toEqual([25]);

    const promoted = await promote(other(b, 'alice'));
    expect(promoted.outcome, promoted.reason).toBe('completed');
    expect(weights(promoted.events)).toEqual([50, 75, 0]);
    await expectCapacityKept(watcher);
  });

  it('promote --full from another process skips the remaining steps of a running release', async () => {
    b = await bed(appConfig({ canary: { steps } }));
    expect((await b.run('canary', 'v1')).outcome).toBe('completed');
    const events: ReleaseEvent[] = [];
    const running = b.run('canary', 'v2', { onEvent: (e) => events.push(e) });
    await when(events, (e) => e.type === 'paused');
    const followed = await promote({ ...other(b, 'bob'), full: true });
    const result = await running;
    expect(result.outcome).toBe('completed');
    expect(followed.outcome).toBe('completed');
    // 25, then straight to promotion: no 50 or 75.
    expect(weights(result.events)).toEqual([25, 0]);
    expect(result.events).toContainEqual(
      expect.objectContaining({ type: 'info', message: expect.stringMatching(/promoted by bob/) }),
    );
  });

  it('pause holds a timed pause; promote skips it; abort rolls back from another process', async () => {
    b = await bed(
      appConfig({
        canary: {
          steps: [
            { setWeight: 25 },
            { pause: { duration: '10m' } },
            { setWeight: 50 },
            { pause: { duration: '10m' } },
          ],
        },
      }),
    );
    expect((await b.run('canary', 'v1')).outcome).toBe('completed');
    const watcher = await b.watchCapacity(4);
    const events: ReleaseEvent[] = [];
    const running = b.run('canary', 'v2', { onEvent: (e) => events.push(e) });
    await when(events, (e) => e.type === 'step-started' && e.step === 'pause-10m');

    const held = await pause(other(b, 'carol'));
    expect(held.outcome).toBe('paused');
    expect(held.exitCode).toBe(3);
    expect(held.release.phase).toBe('paused');

    // Promote: the interrupted pause re-runs with its saved deadline; by then it is over.
    const on = promote(other(b, 'dave'));
    await when(events, (e) => e.type === 'weight' && e.canary === 50);
    await when(events, (e) => e.type === 'step-started' && e.step === 'pause-10m' && e.index === 7);
    const aborted = await abort(other(b, 'erin'));
    const result = await running;
    expect(result.outcome).toBe('aborted');
    expect(result.exitCode).toBe(4);
    expect((await on).outcome).toBe('aborted');
    expect(aborted.outcome).toBe('aborted');
    expect(weights(result.events)).toEqual([25, 50, 0]);
    const deployments = await b.cluster.list('apps/v1', 'Deployment', { namespace: 'default' });
    expect(deployments.items.map((d) => d.metadata?.name)).toEqual(['web']);
    await expectCapacityKept(watcher);
  });
});
