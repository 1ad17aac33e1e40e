import * as z from 'zod';
import { duration } from '../config/duration.js';
import type { KdeployConfig } from '../config/schema.js';

// How Kubernetes rolls every Deployment kdeploy renders: the rolling app, the canary's stable, each blue/green
// color. Users write these fields in `strategy.rolling` (the rolling strategy's section extends this schema),
// but the manifests need them whatever the strategy, so their shape and defaults are owned here, where they are
// used, rather than read from a strategy's types (a lower layer must not depend on a plugin).

const percentOrCount = z.union([
  z.number().int().min(0),
  z.string().regex(/^\d{1,3}%$/, 'expected a count or a percentage such as 25%'),
]);

export const deploymentRolloutShape = {
  maxSurge: percentOrCount.default('25%'),
  maxUnavailable: percentOrCount.default(0),
  progressDeadline: duration.prefault('10m'),
};

const deploymentRollout = z.object(deploymentRolloutShape);
export type DeploymentRollout = z.output<typeof deploymentRollout>;

const DEFAULTS = deploymentRollout.parse({});

/** The rollout fields of `strategy.rolling`, or their defaults when no rolling section is registered. */
export function rolloutOf(config: KdeployConfig): DeploymentRollout {
  // A registered rolling section was validated by a schema that extends this shape.
  const sections: Record<string, unknown> = config.strategy;
  return (sections.rolling as DeploymentRollout | undefined) ?? DEFAULTS;
}
