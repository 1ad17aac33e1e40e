import * as z from 'zod';
import { analysisRefSchema } from '../../src/config/analysis-schema.js';
import { analysisRefProblems } from '../../src/config/checks.js';
import { duration } from '../../src/config/duration.js';
import { routerSchema } from '../../src/config/router-schema.js';
import type { KdeployConfig } from '../../src/config/schema.js';
import type { CheckResult, ConfigProblem, ConfigSection } from '../../src/config/section.js';

// `strategy.canary`: the traffic steps, the router, background analysis and the baseline.

const stepSchema = z.union([
  z.strictObject({ setWeight: z.number().min(0).max(100) }),
  z.strictObject({
    pause: z
      .strictObject({ duration: duration.optional() })
      .describe('without duration: wait for kdeploy promote'),
  }),
  z.strictObject({ analysis: analysisRefSchema }),
]);

const canarySchema = z
  .strictObject({
    steps: z
      .array(stepSchema)
      .min(1)
      .default([
        { setWeight: 20 },
        { pause: { duration: 60_000 } },
        { setWeight: 50 },
        { pause: { duration: 60_000 } },
      ] as never),
    router: routerSchema.optional().describe('Defaults to the pod-ratio router (type: replicas)'),
    analysis: analysisRefSchema.optional().describe('Background analysis across all steps'),
    baseline: z
      .boolean()
      .default(false)
      .describe('Run a baseline Deployment at the canary size for the judge'),
  })
  .prefault({});

declare module '../../src/config/schema.js' {
  interface StrategySectionSchemas {
    canary: typeof canarySchema;
  }
}

export type CanaryStep = z.output<typeof stepSchema>;

function errors(config: KdeployConfig): ConfigProblem[] {
  const { canary } = config.strategy;
  const refs = analysisRefProblems(config, [
    { path: ['strategy', 'canary', 'analysis'], ref: canary.analysis },
    ...canary.steps.map((step, i) => ({
      path: ['strategy', 'canary', 'steps', i, 'analysis'],
      ref: 'analysis' in step ? step.analysis : undefined,
    })),
  ]);
  // A selector flip has no partial weights: the service router fits only blue/green.
  if (canary.router?.type !== 'service') return refs;
  return [
    ...refs,
    {
      path: ['strategy', 'canary', 'router', 'type'],
      message:
        'the service router only flips all traffic (blue/green); a canary needs replicas, alb, alb-ingress or route53',
    },
  ];
}

/** A step that lowers the weight is allowed (a deliberate step back) but more often a typo. */
function warnings(config: KdeployConfig): ConfigProblem[] {
  let last = 0;
  return config.strategy.canary.steps.flatMap((step, i) => {
    if (!('setWeight' in step)) return [];
    const previous = last;
    last = step.setWeight;
    if (step.setWeight >= previous) return [];
    return [
      {
        path: ['strategy', 'canary', 'steps', i, 'setWeight'],
        message: `lowers the canary weight from ${previous} to ${step.setWeight}; intended?`,
      },
    ];
  });
}

export const canarySection: ConfigSection = {
  key: 'canary',
  schema: canarySchema,
  check: (config): CheckResult => ({ errors: errors(config), warnings: warnings(config) }),
};
