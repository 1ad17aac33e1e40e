// What a release hands the router it builds from kdeploy.yaml: the user's templates folder reaches the AWS
// routers, so a TargetGroupBinding override is what a release applies.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { StepContext } from '../../src/engine/strategy.js';
import { routerFor } from '../../strategies/progressive.js';
import { configSchema } from '../support/sections.js';
import { SteppingClock } from '../support/stepping-clock.js';
import { appConfig } from '../support/strategy-bed.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const arn = (r: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:${r}`;
const alb = {
  type: 'alb',
  listenerArn: arn('listener/app/lb/1/2'),
  stableTargetGroupArn: arn('targetgroup/stable/1'),
  canaryTargetGroupArn: arn('targetgroup/canary/2'),
  targetGroupBinding: true,
};

async function targetTypes(extra: object): Promise<string[]> {
  const config = configSchema.parse(
    appConfig({ canary: { steps: [{ setWeight: 50 }], router: alb } }, extra),
  );
  // routerFor reads only the config, the cluster handle (kept for later calls) and the clock.
  const ctx = { config, cluster: {}, clock: new SteppingClock() } as unknown as StepContext;
  const router = (await routerFor(ctx, config.strategy.canary.router!)) as unknown as {
    bindings(): { spec: { targetType: string } }[];
  };
  return router.bindings().map((b) => b.spec.targetType);
}

it("the config's templates folder overrides the TargetGroupBinding the alb router renders", async () => {
  dir = mkdtempSync(join(tmpdir(), 'kdeploy-router-deps-'));
  const builtin = readFileSync(
    new URL('../../templates/targetgroupbinding.yaml.hbs', import.meta.url),
    'utf8',
  );
  writeFileSync(
    join(dir, 'targetgroupbinding.yaml.hbs'),
    builtin.replace('targetType: ip', 'targetType: instance'),
  );
  expect(await targetTypes({ templates: dir })).toEqual(['instance', 'instance']);
  // Without a templates folder the built-in template stays.
  expect(await targetTypes({})).toEqual(['ip', 'ip']);
});
