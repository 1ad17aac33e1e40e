import * as z from 'zod';
import { checkCondition } from './condition.js';
import { duration } from './duration.js';

// Analysis settings: metrics with their provider, query and conditions (src/analysis runs them). Conditions
// (CEL) and the variables queries use are checked here, so a typo is bad input (exit 2) before a release
// starts rather than an analysis error halfway through it. The CEL module loads with the schema: commands
// that read kdeploy.yaml pay a few ms for it; `kdeploy --help` doesn't load the schema.

/** The variables a query template can use ({{app}} …): the release's, and the version under test. */
export const QUERY_VARIABLES = [
  'app',
  'namespace',
  'stableVersion',
  'canaryVersion',
  'stablePodTemplateHash',
  'canaryPodTemplateHash',
  'version',
  'track',
] as const;

const condition = z
  .string()
  .min(1)
  .superRefine((expression, ctx) => {
    const problem = checkCondition(expression);
    if (problem) ctx.addIssue({ code: 'custom', message: `not a valid CEL condition: ${problem}` });
  });

/** Names in {{…}} that aren't query variables (block helpers and comments aside). */
function unknownVariables(template: string): string[] {
  const names = [...template.matchAll(/\{\{\{?~?\s*([^\s}~]+)/g)].map((m) => m[1]!);
  return names.filter(
    (n) => !/^[#/!^>]|^else$/.test(n) && !(QUERY_VARIABLES as readonly string[]).includes(n),
  );
}

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
  successCondition: condition.optional().describe('CEL over result/results, e.g. result < 0.01'),
  failureCondition: condition.optional().describe('CEL over result/results, e.g. result >= 0.05'),
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
  const templates: [(string | number)[], string][] = [];
  const p = m.provider;
  if ('prometheus' in p) templates.push([['provider', 'prometheus', 'query'], p.prometheus.query]);
  if ('cloudwatch' in p)
    templates.push([['provider', 'cloudwatch', 'queries'], JSON.stringify(p.cloudwatch.queries)]);
  if ('http' in p) {
    templates.push([['provider', 'http', 'url'], p.http.url]);
    for (const [k, v] of Object.entries(p.http.headers))
      templates.push([['provider', 'http', 'headers', k], v]);
  }
  for (const [path, template] of templates) {
    for (const name of new Set(unknownVariables(template))) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `{{${name}}} is not a query variable; variables: ${QUERY_VARIABLES.join(', ')}`,
      });
    }
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
