import * as z from 'zod';
import { analysisRefSchema } from '../../src/config/analysis-schema.js';
import { analysisRefProblems } from '../../src/config/checks.js';
import type { ConfigSection } from '../../src/config/section.js';
import { deploymentRolloutShape } from '../../src/manifests/rollout.js';

// `strategy.rolling`: how the Deployment rolls (the fields every kdeploy Deployment uses, owned by the
// manifests) and the background analysis while it does.

const rollingSchema = z
  .strictObject({ ...deploymentRolloutShape, analysis: analysisRefSchema.optional() })
  .prefault({});

declare module '../../src/config/schema.js' {
  interface StrategySectionSchemas {
    rolling: typeof rollingSchema;
  }
}

export const rollingSection: ConfigSection = {
  key: 'rolling',
  schema: rollingSchema,
  check: (config) => ({
    errors: analysisRefProblems(config, [
      { path: ['strategy', 'rolling', 'analysis'], ref: config.strategy.rolling.analysis },
    ]),
    warnings: [],
  }),
};
