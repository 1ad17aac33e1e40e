import * as z from 'zod';
import { analysisRefSchema } from '../../src/config/analysis-schema.js';
import { analysisRefProblems } from '../../src/config/checks.js';
import { duration } from '../../src/config/duration.js';
import { routerSchema } from '../../src/config/router-schema.js';
import type { KdeployConfig } from '../../src/config/schema.js';
import type { ConfigProblem, ConfigSection } from '../../src/config/section.js';

// `strategy.bluegreen`: promotion, the analyses around the flip, the old color's warm window and the router.

const blueGreenSchema = z
  .strictObject({
    autoPromote: z.boolean().default(true),
    scaleDownDelay: duration.prefault('30s'),
    previewService: z.boolean().default(true),
    prePromotionAnalysis: analysisRefSchema.optional(),
    postPromotionAnalysis: analysisRefSchema.optional(),
    router: routerSchema.optional().describe('Defaults to the Service selector flip (type: service)'),
  })
  .prefault({});

declare module '../../src/config/schema.js' {
  interface StrategySectionSchemas {
    bluegreen: typeof blueGreenSchema;
  }
}

function errors(config: KdeployConfig): ConfigProblem[] {
  const bg = config.strategy.bluegreen;
  const refs = analysisRefProblems(config, [
    { path: ['strategy', 'bluegreen', 'prePromotionAnalysis'], ref: bg.prePromotionAnalysis },
    { path: ['strategy', 'bluegreen', 'postPromotionAnalysis'], ref: bg.postPromotionAnalysis },
  ]);
  // Pod ratios can't make two colors: the replicas router fits only the canary.
  if (bg.router?.type !== 'replicas') return refs;
  return [
    ...refs,
    {
      path: ['strategy', 'bluegreen', 'router', 'type'],
      message:
        'the replicas router splits by pod ratio (canary only); blue/green needs service, alb, alb-ingress or route53',
    },
  ];
}

export const bluegreenSection: ConfigSection = {
  key: 'bluegreen',
  schema: blueGreenSchema,
  check: (config) => ({ errors: errors(config), warnings: [] }),
};
