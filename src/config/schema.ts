import * as z from 'zod';
import { analysisSchema } from './analysis-schema.js';
import type { SectionSchema } from './section.js';

// The kdeploy.yaml schema. Defaults are documented here and in the README; `kdeploy schema` prints the
// JSON Schema derived from this file. Durations use `.prefault` so defaults pass through parsing. The
// `strategy:` sections belong to the strategies (strategies/config/): the schema is built from the sections
// registered, so a plugin's section is validated by its own schema.

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS label: lower-case letters, digits and -')
  .max(63);
// Names derived from the app get suffixes (`-canary`, `-green`), so the app name leaves room for them.
const appName = dnsLabel.max(45, 'at most 45 characters (kdeploy appends suffixes such as -canary)');
const stringMap = z.record(z.string(), z.string());
const quantity = z.union([z.string(), z.number()]).transform(String);

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

/** The fields before `strategy:` (the order `kdeploy schema` and "allowed keys" messages list them in). */
const appShape = {
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
};

const restShape = {
  analysis: analysisSchema.prefault({}),
  cluster: clusterSchema.default({}),
  templates: z.string().optional().describe('A folder whose templates override the built-in ones'),
  plugins: z
    .array(z.string().min(1))
    .default([])
    .describe(
      "npm packages or paths (from this file's folder) that register strategies, routers or providers (CLI)",
    ),
  historyLimit: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(10)
    .describe('Past releases kept in the release record'),
};

function schemaWith(strategy: z.ZodType) {
  return z.strictObject({ ...appShape, strategy, ...restShape }).describe('kdeploy.yaml');
}

/**
 * The schemas of the `strategy:` sections by key. Each strategy declares its own by declaration merging
 * (`declare module '…/config/schema.js' { interface StrategySectionSchemas { canary: typeof canarySchema } }`),
 * which keeps `config.strategy.canary` typed without the config layer importing strategies.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface StrategySectionSchemas {}

type Output<S> = S extends z.ZodType ? z.output<S> : never;
type Input<S> = S extends z.ZodType ? z.input<S> : never;
type AppConfig = z.output<ReturnType<typeof schemaWith>>;
type AppConfigInput = z.input<ReturnType<typeof schemaWith>>;

export type KdeployConfig = Omit<AppConfig, 'strategy'> & {
  strategy: { [K in keyof StrategySectionSchemas]: Output<StrategySectionSchemas[K]> };
};
export type KdeployConfigInput = Omit<AppConfigInput, 'strategy'> & {
  strategy?: { [K in keyof StrategySectionSchemas]?: Input<StrategySectionSchemas[K]> };
};

/**
 * The kdeploy.yaml schema with these `strategy:` sections, in their order; an unknown key under `strategy:`
 * is reported with the keys allowed. Typed with the sections the program declares (StrategySectionSchemas):
 * the caller passes the sections registered, which are those.
 */
export function buildConfigSchema(
  sections: readonly SectionSchema[],
): z.ZodType<KdeployConfig, KdeployConfigInput> {
  const strategy = z.strictObject(Object.fromEntries(sections.map((s) => [s.key, s.schema]))).prefault({});
  return schemaWith(strategy) as unknown as z.ZodType<KdeployConfig, KdeployConfigInput>;
}
