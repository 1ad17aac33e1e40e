import { afterEach, expect, it } from 'vitest';
import { appConfig, type Bed, bed } from './strategy-bed.js';

let b: Bed | undefined;
afterEach(async () => {
  await b?.close();
  b = undefined;
});

// The watcher every strategy test relies on must see a real outage: flip the Service to a colour with no pods.
it('records a moment with fewer ready endpoints than the capacity', async () => {
  b = await bed(appConfig({ bluegreen: {} }));
  expect((await b.run('bluegreen', 'v1')).outcome).toBe('completed');
  const watcher = await b.watchCapacity(4);
  const ref = { apiVersion: 'v1', kind: 'Service', name: 'web', namespace: 'default' };
  await b.cluster.patch(ref, { spec: { selector: { 'kdeploy.dev/color': 'green' } } }, 'merge');
  await b.cluster.patch(ref, { spec: { selector: { 'kdeploy.dev/color': 'blue' } } }, 'merge');
  const violations = await watcher.close();
  expect(watcher.armed).toBe(true);
  expect(violations).toEqual([
    expect.objectContaining({
      ready: 0,
      selector: { 'kdeploy.dev/app': 'web', 'kdeploy.dev/color': 'green' },
    }),
  ]);
  // Replayed from the first list: pods before the Service existed (0), then 4, the outage, 4 again.
  expect(watcher.readyCounts).toEqual([0, 4, 0, 4]);
});
