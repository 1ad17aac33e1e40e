import { z } from 'zod';
import { duration } from './duration.js';

// Router settings. `replicas` and `service` are implemented by the strategies issue; the AWS routers
// (alb, alb-ingress, route53) by the AWS issue. A router that isn't available yet is rejected at run time
// with "not supported yet", never ignored.

const replicasRouter = z.strictObject({ type: z.literal('replicas') });
const serviceRouter = z.strictObject({ type: z.literal('service') });

const albRouter = z.strictObject({
  type: z.literal('alb'),
  region: z.string().optional(),
  listenerArn: z.string().regex(/^arn:aws[\w-]*:elasticloadbalancing:/, 'expected an ELBv2 listener ARN'),
  ruleArn: z.string().regex(/^arn:aws[\w-]*:elasticloadbalancing:/, 'expected an ELBv2 rule ARN').optional(),
  stableTargetGroupArn: z.string().regex(/^arn:aws[\w-]*:elasticloadbalancing:/, 'expected a target group ARN'),
  canaryTargetGroupArn: z.string().regex(/^arn:aws[\w-]*:elasticloadbalancing:/, 'expected a target group ARN'),
  targetGroupBinding: z.boolean().default(true).describe('Render TargetGroupBinding objects; false when you register targets yourself'),
  endpoint: z.string().url().optional(),
});

const albIngressRouter = z.strictObject({
  type: z.literal('alb-ingress'),
  ingress: z.string().min(1),
  servicePort: z.union([z.number().int(), z.string()]).optional(),
  verify: z.boolean().default(false).describe('Also read the weights back from ELBv2 (like --aws-verify-target-group)'),
  region: z.string().optional(),
  endpoint: z.string().url().optional(),
});

const route53Router = z.strictObject({
  type: z.literal('route53'),
  hostedZoneId: z.string().min(1),
  recordName: z.string().min(1),
  recordType: z.enum(['A', 'AAAA', 'CNAME']).default('CNAME'),
  ttl: z.number().int().min(0).max(172800).default(60),
  stable: z.strictObject({ value: z.string().min(1), setIdentifier: z.string().optional() }),
  canary: z.strictObject({ value: z.string().min(1), setIdentifier: z.string().optional() }),
  mode: z.enum(['api', 'external-dns']).default('api'),
  dwell: duration.optional().describe('How long to wait after a change before judging; defaults to the TTL'),
  endpoint: z.string().url().optional(),
});

export const routerSchema = z.discriminatedUnion('type', [
  replicasRouter,
  serviceRouter,
  albRouter,
  albIngressRouter,
  route53Router,
]);

export type RouterConfig = z.output<typeof routerSchema>;
