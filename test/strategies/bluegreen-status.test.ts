import { afterEach, expect, it } from 'vitest';
import { status } from '../../src/engine/api.js';
import { appConfig, type Bed, bed } from '../support/strategy-bed.js';

let b: Bed | undefined;
afterEach(async () => {
  await b?.close();
  b = undefined;
});

it('kdeploy status of a blue/green app shows the colour the active Service selects, and its pods', async () => {
  b = await bed(appConfig({ bluegreen: { scaleDownDelay: '1s' } }));
  expect((await b.run('bluegreen', 'v1')).outcome).toBe('completed');
  expect((await b.run('bluegreen', 'v2')).outcome).toBe('completed');
  const report = await status({ app: 'web', kubeconfig: b.kc, clock: b.clock });
  expect(report.deployment).toMatchObject({ name: 'web-green', version: 'v2', desired: 4, ready: 4 });
  expect(report.pods.map((p) => p.version)).toEqual(['v2', 'v2', 'v2', 'v2']);
});
