import { z } from 'zod';
import { duration } from './duration.js';

// Analysis settings: metrics with their provider, query and conditions. The providers and the judge are
// implemented by the analysis issue; until then a config that uses analysis is rejected at run time.

const prometheusProvider = z.strictObject({
  prometheus: z.strictObject({
    address: z.string().url(),
    query: z.string().min(1),
    range: z.strictObject({ window: duration, step: duration.prefault('30s') }).optional(),
    bearerToken: z.string().optional(),
    basicAuth: z.strictObject({ username: z.string(), password: z.string() }).optional(),
    sigv4: z.strictObject({ region: z.string(), service: z.string().default('aps') }).optional(),
  }),
});
const cloudwatchProvider = z.strictObject({
  cloudwatch: z.strictObject({
    region: z.string().optional(),
    endpoint: z.string().url().optional(),
    window: duration.prefault('5m'),
    queries: z.array(z.record(z.string(), z.unknown())).min(1).describe('GetMetricData MetricDataQueries'),
  }),
});
const kubernetesProvider = z.strictObject({
  kubernetes: z.strictObject({ check: z.enum(['restarts', 'notReady', 'oomKilled']) }),
});
const httpProvider = z.strictObject({
  http: z.strictObject({
    url: z.string().min(1),
    headers: z.record(z.string(), z.string()).default({}),
    jsonPath: z.string().min(1).describe('Where the value is in the JSON answer, e.g. $.data.errorRate'),
  }),
});

const metricSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case name with - (e.g. error-rate)'),
  provider: z.union([prometheusProvider, cloudwatchProvider, kubernetesProvider, httpProvider]),
  interval: duration.prefault('1m'),
  count: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Measurements to take; 0 or absent in background analysis = until the release ends'),
  initialDelay: duration.optional(),
  successCondition: z.string().optional(),
  failureCondition: z.string().optional(),
  failureLimit: z.number().int().min(0).default(0),
  inconclusiveLimit: z.number().int().min(0).default(0),
  consecutiveErrorLimit: z.number().int().min(0).default(4),
  judge: z
    .strictObject({
      direction: z
        .enum(['increase', 'decrease', 'either'])
        .default('increase')
        .describe('Which change is bad'),
      tolerance: z.number().min(0).default(0.1).describe('Relative effect size tolerated'),
      critical: z.boolean().default(false),
      mustHaveData: z.boolean().default(false),
      weight: z.number().min(0).default(1),
    })
    .optional()
    .describe('Compare canary with baseline samples instead of evaluating conditions'),
});

export const analysisSchema = z.strictObject({
  metrics: z.array(metricSchema).default([]),
  judge: z
    .strictObject({
      pass: z.number().min(0).max(100).default(95),
      marginal: z.number().min(0).max(100).default(75),
    })
    .prefault({}),
});

/** A reference from a strategy step to named metrics of the analysis section. */
export const analysisRefSchema = z.strictObject({
  metrics: z.array(z.string()).min(1),
  startingStep: z.number().int().min(0).optional(),
});

export type MetricConfig = z.output<typeof metricSchema>;
export type AnalysisConfig = z.output<typeof analysisSchema>;
export type AnalysisRef = z.output<typeof analysisRefSchema>;
