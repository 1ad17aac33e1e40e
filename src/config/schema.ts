import * as z from 'zod';
import { analysisRefSchema, analysisSchema } from './analysis-schema.js';
import { duration } from './duration.js';
import { routerSchema } from './router-schema.js';

// The kdeploy.yaml schema. Defaults are documented here and in the README; `kdeploy schema` prints the
// JSON Schema derived from this file. Durations use `.prefault` so defaults pass through parsing.

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS label: lower-case letters, digits and -')
  .max(63);
// Names derived from the app get suffixes (`-canary`, `-green`), so the app name leaves room for them.
const appName = dnsLabel.max(45, 'at most 45 characters (kdeploy appends suffixes such as -canary)');
const stringMap = z.record(z.string(), z.string());
const quantity = z.union([z.string(), z.number()]).transform(String);
const percentOrCount = z.union([
  z.number().int().min(0),
  z.string().regex(/^\d{1,3}%$/, 'expected a count or a percentage such as 25%'),
]);

const portSchema = z.strictObject({
  name: dnsLabel.max(15).default('http'),
  containerPort: z.number().int().min(1).max(65535),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
});

const envSchema = z.union([
  stringMap.describe('name: value pairs'),
  z.array(
    z.looseObject({
      name: z.string().min(1),
      value: z.string().optional(),
      valueFrom: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
]);

const resourcesSchema = z.strictObject({
  requests: z.record(z.string(), quantity).optional(),
  limits: z.record(z.string(), quantity).optional(),
});

// Probes are passed to Kubernetes as written (Kubernetes' own Probe object).
const probeSchema = z.looseObject({
  httpGet: z.looseObject({ path: z.string(), port: z.union([z.number().int(), z.string()]) }).optional(),
  tcpSocket: z.looseObject({ port: z.union([z.number().int(), z.string()]) }).optional(),
  exec: z.looseObject({ command: z.array(z.string()) }).optional(),
  initialDelaySeconds: z.number().int().min(0).optional(),
  periodSeconds: z.number().int().min(1).optional(),
  failureThreshold: z.number().int().min(1).optional(),
  successThreshold: z.number().int().min(1).optional(),
  timeoutSeconds: z.number().int().min(1).optional(),
});

const serviceSchema = z.strictObject({
  type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP'),
  port: z.number().int().min(1).max(65535).default(80),
  targetPort: z.union([z.number().int().min(1).max(65535), z.string()]).optional(),
  annotations: stringMap.default({}),
});

const imageSchema = z.strictObject({
  repository: z
    .string()
    .min(1)
    .regex(
      /^[a-z0-9][a-z0-9._\-/:]*[a-z0-9]$/,
      'expected an image repository such as 123.dkr.ecr.eu-west-1.amazonaws.com/checkout',
    )
    .refine(
      (r) => !(r.split('/').pop() ?? '').includes(':'),
      'the repository must not carry a tag; pass the tag with --to',
    ),
  pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
  pullSecrets: z.array(z.string()).default([]),
});

const rollingSchema = z.strictObject({
  maxSurge: percentOrCount.default('25%'),
  maxUnavailable: percentOrCount.default(0),
  progressDeadline: duration.prefault('10m'),
  analysis: analysisRefSchema.optional(),
});

const blueGreenSchema = z.strictObject({
  autoPromote: z.boolean().default(true),
  scaleDownDelay: duration.prefault('30s'),
  previewService: z.boolean().default(true),
  prePromotionAnalysis: analysisRefSchema.optional(),
  postPromotionAnalysis: analysisRefSchema.optional(),
  router: routerSchema.optional().describe('Defaults to the Service selector flip (type: service)'),
});

const stepSchema = z.union([
  z.strictObject({ setWeight: z.number().min(0).max(100) }),
  z.strictObject({
    pause: z
      .strictObject({ duration: duration.optional() })
      .describe('without duration: wait for kdeploy promote'),
  }),
  z.strictObject({ analysis: analysisRefSchema }),
]);

const canarySchema = z.strictObject({
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
  baseline: z.boolean().default(false).describe('Run a baseline Deployment at the canary size for the judge'),
});

const clusterSchema = z.strictObject({
  kubeconfig: z.string().optional(),
  context: z.string().optional(),
  eks: z
    .strictObject({
      name: z.string().min(1),
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as eu-west-1'),
    })
    .optional(),
});

export const configSchema = z
  .strictObject({
    app: appName.describe('The app name: Deployment, Service and lock are named after it'),
    namespace: dnsLabel.default('default'),
    image: imageSchema,
    replicas: z.number().int().min(1).max(1000).default(2),
    ports: z
      .array(portSchema)
      .min(1)
      .default([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]),
    env: envSchema.default({}),
    resources: resourcesSchema.optional(),
    probes: z
      .strictObject({
        readiness: probeSchema.optional(),
        liveness: probeSchema.optional(),
        startup: probeSchema.optional(),
      })
      .default({}),
    labels: stringMap.default({}),
    annotations: stringMap.default({}),
    podLabels: stringMap.default({}),
    podAnnotations: stringMap.default({}),
    nodeSelector: stringMap.optional(),
    tolerations: z.array(z.record(z.string(), z.unknown())).optional(),
    affinity: z.record(z.string(), z.unknown()).optional(),
    serviceAccountName: z.string().optional(),
    service: serviceSchema.prefault({}),
    strategy: z
      .strictObject({
        rolling: rollingSchema.prefault({}),
        bluegreen: blueGreenSchema.prefault({}),
        canary: canarySchema.prefault({}),
      })
      .prefault({}),
    analysis: analysisSchema.prefault({}),
    cluster: clusterSchema.default({}),
    templates: z.string().optional().describe('A folder whose templates override the built-in ones'),
    historyLimit: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(10)
      .describe('Past releases kept in the release record'),
  })
  .describe('kdeploy.yaml');

export type KdeployConfig = z.output<typeof configSchema>;
export type KdeployConfigInput = z.input<typeof configSchema>;
export type CanaryStep = z.output<typeof stepSchema>;
export type StrategyName = 'rolling' | 'bluegreen' | 'canary';
