import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { KubernetesObject } from '@kubernetes/client-node';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AlbIngressRouterConfig, routerSchema } from '../../src/config/router-schema.js';
import { AlbIngressRouter, parseAction } from '../../src/traffic/alb-ingress.js';
import { FakeKube } from '../support/fake-kube.js';
import { SteppingClock } from '../support/stepping-clock.js';

const KEY = 'alb.ingress.kubernetes.io/actions.shop-root';
const services = { stable: 'shop-stable', canary: 'shop-canary', port: 80 };

function config(extra: Record<string, unknown> = {}): AlbIngressRouterConfig {
  const c = routerSchema.parse({ type: 'alb-ingress', ingress: 'shop', region: 'eu-west-1', ...extra });
  if (c.type !== 'alb-ingress') throw new Error('unreachable');
  return c;
}

function ingress(annotations: Record<string, string> = {}, backends = ['shop-root']): KubernetesObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: 'shop',
      namespace: 'prod',
      annotations: { 'alb.ingress.kubernetes.io/scheme': 'internet-facing', ...annotations },
    },
    spec: {
      ingressClassName: 'alb',
      rules: [
        {
          http: {
            paths: backends.map((name) => ({
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name, port: { name: 'use-annotation' } } },
            })),
          },
        },
      ],
    },
    status: { loadBalancer: { ingress: [{ hostname: 'k8s-prod-shop-123.eu-west-1.elb.amazonaws.com' }] } },
  } as KubernetesObject;
}

const annotationOf = (kube: FakeKube) =>
  JSON.parse(kube.find('Ingress', 'prod', 'shop')!.metadata!.annotations![KEY]!);

let kube: FakeKube;
beforeEach(() => {
  kube = new FakeKube();
});

describe('AlbIngressRouter', () => {
  it('writes the weighted forward action with a merge patch and reads it back', async () => {
    kube.add(ingress());
    const router = new AlbIngressRouter(config(), {
      app: 'shop',
      namespace: 'prod',
      clock: new SteppingClock(),
      kube,
      services,
    });
    await router.prepare({ stable: { version: 'v1' }, canary: { version: 'v2' } });
    expect(annotationOf(kube)).toEqual({
      type: 'forward',
      forwardConfig: {
        targetGroups: [
          { serviceName: 'shop-stable', servicePort: 80, weight: 999 },
          { serviceName: 'shop-canary', servicePort: 80, weight: 0 },
        ],
      },
    });
    const result = await router.setWeight(10);
    expect(result).toMatchObject({ requested: 10, achieved: 10, verified: true });
    expect(annotationOf(kube).forwardConfig.targetGroups.map((t: { weight: number }) => t.weight)).toEqual([
      900, 100,
    ]);
    expect(await router.getWeights()).toEqual({ stable: 90, canary: 10 });
    // Only the one annotation is in the patch; the other annotations stay as they were.
    expect(kube.writes.at(-1)!.body).toEqual({ metadata: { annotations: { [KEY]: expect.any(String) } } });
    expect(
      kube.find('Ingress', 'prod', 'shop')!.metadata!.annotations!['alb.ingress.kubernetes.io/scheme'],
    ).toBe('internet-facing');
  });

  it('reads an older PascalCase annotation and keeps its stickiness config', async () => {
    const old = JSON.stringify({
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: [{ ServiceName: 'shop-stable', ServicePort: '80', Weight: 100 }],
        TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
      },
    });
    kube.add(ingress({ [KEY]: old }));
    const router = new AlbIngressRouter(config(), {
      app: 'shop',
      namespace: 'prod',
      clock: new SteppingClock(),
      kube,
      services,
    });
    expect(await router.getWeights()).toEqual({ stable: 100, canary: 0 });
    await router.setWeight(100);
    expect(annotationOf(kube).forwardConfig).toEqual({
      targetGroups: [
        { serviceName: 'shop-stable', servicePort: 80, weight: 0 },
        { serviceName: 'shop-canary', servicePort: 80, weight: 999 },
      ],
      targetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
    });
  });

  it('asks for actionName when the Ingress has several use-annotation backends, and changes nothing', async () => {
    kube.add(ingress({}, ['a', 'b']));
    const router = new AlbIngressRouter(config(), {
      app: 'shop',
      namespace: 'prod',
      clock: new SteppingClock(),
      kube,
      services,
    });
    await expect(router.setWeight(10)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/several backends .*\(a, b\); set router.actionName/),
    });
    expect(kube.writes).toEqual([]);
  });

  it('rejects a broken or non-forward annotation naming it', () => {
    expect(() => parseAction('{nope', `annotation ${KEY}`)).toThrow(
      /annotation alb.ingress.kubernetes.io\/actions.shop-root is not valid JSON/,
    );
    expect(() => parseAction('{"type":"redirect"}', 'a')).toThrow(/a is a "redirect" action/);
  });

  it('fails clearly when the Ingress is missing', async () => {
    const router = new AlbIngressRouter(config(), {
      app: 'shop',
      namespace: 'prod',
      clock: new SteppingClock(),
      kube,
      services,
    });
    await expect(router.getWeights()).rejects.toMatchObject({
      exitCode: 2,
      message: 'router.ingress: Ingress prod/shop not found',
    });
  });

  describe('verify on the AWS side', () => {
    const elb = mockClient(ElasticLoadBalancingV2Client);
    afterEach(() => elb.reset());
    const LB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/k8s-prod-shop/1';
    const TG = (n: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/k8s-${n}/1`;

    function stubAlb(weights: [number, number][]) {
      elb.on(DescribeLoadBalancersCommand).resolves({
        LoadBalancers: [{ LoadBalancerArn: LB, DNSName: 'k8s-prod-shop-123.eu-west-1.elb.amazonaws.com' }],
      });
      elb.on(DescribeListenersCommand).resolves({ Listeners: [{ ListenerArn: `${LB}/l1` }] });
      const rules = elb.on(DescribeRulesCommand);
      for (const [s, c] of weights) {
        rules.resolvesOnce({
          Rules: [
            {
              Actions: [
                {
                  Type: 'forward',
                  ForwardConfig: {
                    TargetGroups: [
                      { TargetGroupArn: TG('s'), Weight: s },
                      { TargetGroupArn: TG('c'), Weight: c },
                    ],
                  },
                },
              ],
            },
          ],
        });
      }
      elb.on(DescribeTagsCommand).resolves({
        TagDescriptions: [
          {
            ResourceArn: TG('s'),
            Tags: [{ Key: 'ingress.k8s.aws/resource', Value: 'prod/shop-shop-stable:80' }],
          },
          {
            ResourceArn: TG('c'),
            Tags: [{ Key: 'ingress.k8s.aws/resource', Value: 'prod/shop-shop-canary:80' }],
          },
        ],
      });
    }

    it('polls until the controller has applied the weights to the ALB', async () => {
      kube.add(ingress());
      stubAlb([
        [999, 0],
        [999, 0],
        [900, 100],
      ]);
      const clock = new SteppingClock();
      const router = new AlbIngressRouter(config({ verify: true }), {
        app: 'shop',
        namespace: 'prod',
        clock,
        kube,
        services,
      });
      const result = await router.setWeight(10);
      expect(result).toMatchObject({ verified: true, detail: expect.stringMatching(/verified on the ALB/) });
      expect(clock.sleeps).toEqual([5_000, 5_000]);
    });

    it('reports verified: false when the ALB never shows them', async () => {
      kube.add(ingress());
      stubAlb(Array.from({ length: 40 }, () => [999, 0] as [number, number]));
      const router = new AlbIngressRouter(config({ verify: true, verifyTimeout: '30s' }), {
        app: 'shop',
        namespace: 'prod',
        clock: new SteppingClock(),
        kube,
        services,
      });
      expect(await router.setWeight(10)).toMatchObject({
        verified: false,
        detail: expect.stringMatching(/did not show it within 30s/),
      });
    });
  });
});
