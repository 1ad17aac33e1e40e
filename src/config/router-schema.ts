import * as z from 'zod';
import { duration } from './duration.js';

// Router settings. `replicas` and `service` are implemented by the strategies issue; the AWS routers
// (alb, alb-ingress, route53) live in src/traffic. A router that isn't available yet is rejected at run
// time with "not supported yet", never ignored.

const replicasRouter = z.strictObject({ type: z.literal('replicas') });
const serviceRouter = z.strictObject({ type: z.literal('service') });

const elbArn = (resource: string, what: string) =>
  z
    .string()
    .regex(
      new RegExp(`^arn:aws[\\w-]*:elasticloadbalancing:[a-z0-9-]+:\\d{12}:${resource}/.+`),
      `expected ${what}`,
    );

const region = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as eu-west-1')
  .optional()
  .describe('Defaults to the region of the ARNs, else the AWS SDK default chain');
const endpoint = z.url().optional().describe('Override the AWS API endpoint (tests point it at moto)');
const serviceName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a Service name')
  .max(63);

const albRouter = z
  .strictObject({
    type: z.literal('alb'),
    region,
    listenerArn: elbArn('listener', 'an ELBv2 listener ARN (…:listener/app/<lb>/<id>/<id>)')
      .optional()
      .describe("Shift weights on this listener's default action"),
    ruleArn: elbArn('listener-rule', 'an ELBv2 rule ARN (…:listener-rule/app/<lb>/<id>/<id>/<id>)')
      .optional()
      .describe('Shift weights on this (non-default) rule instead of the default action'),
    stableTargetGroupArn: elbArn('targetgroup', 'a target group ARN (…:targetgroup/<name>/<id>)'),
    canaryTargetGroupArn: elbArn('targetgroup', 'a target group ARN (…:targetgroup/<name>/<id>)'),
    targetGroupBinding: z
      .boolean()
      .default(true)
      .describe(
        'Create TargetGroupBinding objects for the stable and canary Services; false when you register targets yourself',
      ),
    healthTimeout: duration
      .prefault('5m')
      .describe(
        'How long to wait for the canary target group to report healthy targets before giving it traffic',
      ),
    endpoint,
  })
  .refine((r) => (r.listenerArn === undefined) !== (r.ruleArn === undefined), {
    message: 'set exactly one of listenerArn (default action) or ruleArn',
    path: ['listenerArn'],
  })
  .refine((r) => r.stableTargetGroupArn !== r.canaryTargetGroupArn, {
    message: 'the canary target group must differ from the stable one',
    path: ['canaryTargetGroupArn'],
  });

const albIngressRouter = z.strictObject({
  type: z.literal('alb-ingress'),
  ingress: z.string().min(1).describe('The Ingress the AWS Load Balancer Controller reconciles'),
  actionName: serviceName
    .optional()
    .describe(
      'The <name> in alb.ingress.kubernetes.io/actions.<name>; defaults to the one backend with port use-annotation',
    ),
  servicePort: z.union([z.number().int().min(1).max(65535), z.string().min(1)]).optional(),
  verify: z
    .boolean()
    .default(false)
    .describe('Also read the weights back from ELBv2 (like --aws-verify-target-group)'),
  verifyTimeout: duration
    .prefault('2m')
    .describe('How long the controller gets to apply the annotation on the ALB'),
  region,
  endpoint,
});

const recordTarget = z.strictObject({
  value: z.string().min(1).optional().describe('Record value, e.g. the load balancer DNS name for a CNAME'),
  alias: z
    .strictObject({
      dnsName: z.string().min(1),
      hostedZoneId: z
        .string()
        .min(1)
        .describe("The alias target's hosted zone (an ALB's CanonicalHostedZoneId)"),
      evaluateTargetHealth: z.boolean().default(true),
    })
    .optional(),
  setIdentifier: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('Defaults to <namespace>-<app>-stable|canary'),
});

const route53Router = z
  .strictObject({
    type: z.literal('route53'),
    hostedZoneId: z
      .string()
      .regex(/^(\/hostedzone\/)?[A-Z0-9]+$/, 'expected a hosted zone id such as Z0123456789ABC'),
    recordName: z.string().min(1).max(255),
    recordType: z.enum(['A', 'AAAA', 'CNAME']).default('CNAME'),
    ttl: z
      .number()
      .int()
      .min(0)
      .max(172800)
      .default(60)
      .describe('One TTL for both records (Route 53 requires it)'),
    stable: recordTarget.prefault({}),
    canary: recordTarget.prefault({}),
    mode: z
      .enum(['api', 'external-dns'])
      .default('api')
      .describe('external-dns: edit the external-dns annotations and let external-dns write the records'),
    externalDns: z
      .strictObject({
        kind: z.enum(['Service', 'Ingress']).default('Service'),
        stable: z
          .string()
          .min(1)
          .optional()
          .describe('Object carrying the stable record; defaults to the stable Service'),
        canary: z
          .string()
          .min(1)
          .optional()
          .describe('Object carrying the canary record; defaults to the canary Service'),
        verify: z
          .boolean()
          .default(false)
          .describe('Wait until Route 53 shows the weights external-dns wrote'),
      })
      .prefault({}),
    dwell: duration
      .optional()
      .describe(
        'How long to wait after a change before judging; defaults to the TTL (60s for alias records)',
      ),
    syncTimeout: duration.prefault('5m').describe('How long to wait for the change to reach INSYNC'),
    region,
    endpoint,
  })
  .superRefine((r, ctx) => {
    if (r.mode !== 'api') return;
    for (const side of ['stable', 'canary'] as const) {
      const t = r[side];
      if ((t.value === undefined) === (t.alias === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [side],
          message: 'set exactly one of value or alias (mode: api writes the record)',
        });
      }
      if (t.alias && r.recordType === 'CNAME') {
        ctx.addIssue({
          code: 'custom',
          path: [side, 'alias'],
          message: 'alias records need recordType A or AAAA',
        });
      }
    }
    const ids = [r.stable.setIdentifier, r.canary.setIdentifier];
    if (ids[0] !== undefined && ids[0] === ids[1]) {
      ctx.addIssue({
        code: 'custom',
        path: ['canary', 'setIdentifier'],
        message: 'must differ from the stable setIdentifier',
      });
    }
  });

export const routerSchema = z.discriminatedUnion('type', [
  replicasRouter,
  serviceRouter,
  albRouter,
  albIngressRouter,
  route53Router,
]);

export type RouterConfig = z.output<typeof routerSchema>;
export type AlbRouterConfig = z.output<typeof albRouter>;
export type AlbIngressRouterConfig = z.output<typeof albIngressRouter>;
export type Route53RouterConfig = z.output<typeof route53Router>;
export type AwsRouterConfig = AlbRouterConfig | AlbIngressRouterConfig | Route53RouterConfig;
