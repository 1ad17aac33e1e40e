import { z } from 'zod';
import { duration } from './duration.js';

// Analysis settings: metrics with their provider, query and conditions (src/analysis runs them). Queries are
// Handlebars templates over the release's variables ({{app}}, {{namespace}}, {{stableVersion}},
// {{canaryVersion}}, {{stablePodTemplateHash}}, {{canaryPodTemplateHash}}; judge metrics also {{version}} and
// {{track}}). Conditions are CEL: they and the templates are checked by src/analysis before anything runs, so
// this schema stays free of the CEL and Handlebars modules that `kdeploy --help` shouldn't load.

const prometheusProvider = z.strictObject({
  prometheus: z.strictObject({
    address: z.string().url(),
    query: z.string().min(1),
    range: z.strictObject({ window: duration, step: duration.prefault('30s') }).optional(),
    bearerToken: z.string().optional(),
    basicAuth: z.strictObject({ username: z.string(), password: z.string() }).optional(),
    sigv4: z
      .strictObject({ region: z.string(), service: z.string().default('aps') })
      .optional()
      .describe('Sign requests for Amazon Managed Prometheus with the default AWS credentials'),
    headers: z.record(z.string(), z.string()).default({}),
    timeout: duration.prefault('30s'),
  }),
});
const cloudwatchProvider = z.strictObject({
  cloudwatch: z.strictObject({
    region: z.string().optional(),
    endpoint: z.string().url().optional(),
    window: duration.prefault('5m'),
    queries: z
      .array(
        z.looseObject({
          Id: z
            .string()
            .regex(/^[a-z][a-zA-Z0-9_]*$/, 'expected a lower-case letter, then letters, digits or _'),
          ReturnData: z.boolean().optional(),
        }),
      )
      .min(1)
      .refine((qs) => qs.filter((q) => q.ReturnData !== false).length === 1, {
        message: 'exactly one query must return data: set ReturnData: false on the others',
      })
      .describe('GetMetricData MetricDataQueries; the one returning data gives the values, newest first'),
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
    timeout: duration.prefault('30s'),
  }),
});

const metricShape = z.strictObject({
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
  successCondition: z.string().min(1).optional().describe('CEL over result/results, e.g. result < 0.01'),
  failureCondition: z.string().min(1).optional().describe('CEL over result/results, e.g. result >= 0.05'),
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

const metricSchema = metricShape.superRefine((m, ctx) => {
  if (m.count && m.failureLimit >= m.count) {
    ctx.addIssue({
      code: 'custom',
      path: ['failureLimit'],
      message: `must be less than count (${m.count}), or the metric can never fail`,
    });
  }
  if (m.judge && !('prometheus' in m.provider || 'cloudwatch' in m.provider)) {
    ctx.addIssue({
      code: 'custom',
      path: ['judge'],
      message: 'the judge compares samples over time: it needs a prometheus or cloudwatch metric',
    });
  }
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
