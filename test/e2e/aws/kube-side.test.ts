import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CoreV1Api, CustomObjectsApi, type KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerSchema } from '../../../src/config/router-schema.js';
import { KubeCluster, selectContext, statusOf } from '../../../src/kube/index.js';
import { type AwsRouterContext, createAwsRouter } from '../../../src/traffic/aws-routers.js';
import { type Moto, startMoto } from '../../support/moto.js';
import { SteppingClock } from '../../support/stepping-clock.js';
import { testbedKubeConfig, useTestNamespace } from '../../testbed/namespace.js';
import { service } from '../fixtures.js';

// The Kubernetes side of the AWS routers against the real kube-apiserver of the test bed (with moto for the
// AWS side): TargetGroupBindings created through a CRD as the AWS Load Balancer Controller installs it, the
// alb-ingress annotation on a real Ingress, and external-dns annotations on real Services.

const TGB_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'targetgroupbindings.elbv2.k8s.aws' },
  spec: {
    group: 'elbv2.k8s.aws',
    scope: 'Namespaced',
    names: {
      plural: 'targetgroupbindings',
      singular: 'targetgroupbinding',
      kind: 'TargetGroupBinding',
      listKind: 'TargetGroupBindingList',
    },
    versions: [
      {
        name: 'v1beta1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['serviceRef'],
                properties: {
                  serviceRef: {
                    type: 'object',
                    required: ['name', 'port'],
                    properties: { name: { type: 'string' }, port: { 'x-kubernetes-int-or-string': true } },
                  },
                  targetGroupARN: { type: 'string' },
                  targetType: { type: 'string', enum: ['instance', 'ip'] },
                },
              },
            },
          },
        },
      },
    ],
  },
};

const ns = useTestNamespace('aws-routers');
let kc: KubeConfig;
let moto: Moto;
const region = 'eu-west-1';

// Created as plain JSON: client-node's typed serializer drops `x-kubernetes-*` schema keys.
async function ensureCrd(): Promise<void> {
  const cluster = new KubeCluster(selectContext(kc));
  const path = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  try {
    await cluster.request('POST', path, { body: TGB_CRD });
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
  }
  for (let i = 0; i < 100; i++) {
    const crd = await cluster.request<{ status?: { conditions?: { type: string; status: string }[] } }>(
      'GET',
      `${path}/${TGB_CRD.metadata.name}`,
    );
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('TargetGroupBinding CRD not established');
}

function context(): AwsRouterContext {
  return {
    app: 'shop',
    namespace: ns.name,
    clock: new SteppingClock(),
    kube: new KubeCluster(selectContext(kc, { namespace: ns.name })),
    services: { stable: 'shop-stable', canary: 'shop-canary', port: 80 },
    aws: { region, endpoint: moto.endpoint, credentials: moto.credentials },
  };
}

beforeAll(async () => {
  kc = testbedKubeConfig();
  moto = await startMoto();
  await ensureCrd();
  const core = kc.makeApiClient(CoreV1Api);
  for (const name of ['shop-stable', 'shop-canary'])
    await core.createNamespacedService({ namespace: ns.name, body: service(name) });
});
afterAll(async () => {
  await moto?.stop();
});

describe('AWS routers, Kubernetes side, on a real kube-apiserver', () => {
  it('alb: prepare creates the TargetGroupBindings and attaches the canary target group at weight 0', async () => {
    const access = { region, endpoint: moto.endpoint, credentials: moto.credentials };
    const [elb, ec2] = [new ElasticLoadBalancingV2Client(access), new EC2Client(access)];
    const VpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))).Vpc!.VpcId!;
    const subnets = await Promise.all(
      ['a', 'b'].map(
        async (az, i) =>
          (
            await ec2.send(
              new CreateSubnetCommand({
                VpcId,
                CidrBlock: `10.1.${i}.0/24`,
                AvailabilityZone: `${region}${az}`,
              }),
            )
          ).Subnet!.SubnetId!,
      ),
    );
    const lb = (
      await elb.send(new CreateLoadBalancerCommand({ Name: `shop-${ns.name.slice(-6)}`, Subnets: subnets }))
    ).LoadBalancers![0]!;
    const tg = async (Name: string) => {
      const arn = (
        await elb.send(
          new CreateTargetGroupCommand({ Name, Protocol: 'HTTP', Port: 80, VpcId, TargetType: 'ip' }),
        )
      ).TargetGroups![0]!.TargetGroupArn!;
      await elb.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: '10.1.0.5' }] }));
      return arn;
    };
    const [stable, canary] = [await tg(`st-${ns.name.slice(-6)}`), await tg(`ca-${ns.name.slice(-6)}`)];
    const listener = (
      await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb.LoadBalancerArn,
          Protocol: 'HTTP',
          Port: 80,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: stable }],
        }),
      )
    ).Listeners![0]!;

    const config = routerSchema.parse({
      type: 'alb',
      listenerArn: listener.ListenerArn,
      stableTargetGroupArn: stable,
      canaryTargetGroupArn: canary,
    });
    if (config.type !== 'alb') throw new Error('unreachable');
    const router = await createAwsRouter(config, context());
    await router.prepare({ stable: { version: 'v1' }, canary: { version: 'v2' } });
    await router.prepare({ stable: { version: 'v1' }, canary: { version: 'v2' } }); // idempotent

    const custom = kc.makeApiClient(CustomObjectsApi);
    const list = (await custom.listNamespacedCustomObject({
      group: 'elbv2.k8s.aws',
      version: 'v1beta1',
      namespace: ns.name,
      plural: 'targetgroupbindings',
    })) as {
      items: { metadata: { name: string }; spec: unknown }[];
    };
    expect(Object.fromEntries(list.items.map((i) => [i.metadata.name, i.spec]))).toEqual({
      'shop-stable': {
        serviceRef: { name: 'shop-stable', port: 80 },
        targetGroupARN: stable,
        targetType: 'ip',
      },
      'shop-canary': {
        serviceRef: { name: 'shop-canary', port: 80 },
        targetGroupARN: canary,
        targetType: 'ip',
      },
    });
    const action = (await elb.send(new DescribeListenersCommand({ ListenerArns: [listener.ListenerArn!] })))
      .Listeners![0]!.DefaultActions![0]!;
    expect(action.ForwardConfig?.TargetGroups?.map((t) => [t.TargetGroupArn, t.Weight])).toEqual([
      [stable, 999],
      [canary, 0],
    ]);
    expect(await router.setWeight(30)).toMatchObject({ achieved: 30, verified: true });
  });

  it('alb-ingress: the weighted forward annotation lands on the Ingress, other annotations kept', async () => {
    const net = kc.makeApiClient(NetworkingV1Api);
    await net.createNamespacedIngress({
      namespace: ns.name,
      body: {
        metadata: { name: 'shop', annotations: { 'alb.ingress.kubernetes.io/scheme': 'internal' } },
        spec: {
          ingressClassName: 'alb',
          rules: [
            {
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: 'shop-root', port: { name: 'use-annotation' } } },
                  },
                ],
              },
            },
          ],
        },
      },
    });
    const config = routerSchema.parse({ type: 'alb-ingress', ingress: 'shop' });
    if (config.type !== 'alb-ingress') throw new Error('unreachable');
    const router = await createAwsRouter(config, context());
    await router.prepare({ stable: { version: 'v1' }, canary: { version: 'v2' } });
    for (const [percent, stable, canary] of [
      [10, 900, 100],
      [50, 500, 500],
      [100, 0, 999],
      [0, 999, 0],
    ] as const) {
      expect(await router.setWeight(percent)).toMatchObject({ achieved: percent, verified: true });
      const ingress = await net.readNamespacedIngress({ name: 'shop', namespace: ns.name });
      const action = JSON.parse(
        ingress.metadata!.annotations!['alb.ingress.kubernetes.io/actions.shop-root']!,
      );
      const weights = action.forwardConfig.targetGroups.map(
        (t: { serviceName: string; weight: number }) => `${t.serviceName}=${t.weight}`,
      );
      expect(weights).toEqual([`shop-stable=${stable}`, `shop-canary=${canary}`]);
      expect(ingress.metadata!.annotations!['alb.ingress.kubernetes.io/scheme']).toBe('internal');
    }
  });

  it('route53 external-dns mode: weights go into the Services’ annotations', async () => {
    const config = routerSchema.parse({
      type: 'route53',
      hostedZoneId: 'Z123',
      recordName: 'shop.example.com',
      mode: 'external-dns',
    });
    if (config.type !== 'route53') throw new Error('unreachable');
    const router = await createAwsRouter(config, context());
    await router.prepare({ stable: { version: 'v1' }, canary: { version: 'v2' } });
    await router.setWeight(25);
    const core = kc.makeApiClient(CoreV1Api);
    const weight = async (name: string) =>
      (await core.readNamespacedService({ name, namespace: ns.name })).metadata!.annotations![
        'external-dns.alpha.kubernetes.io/aws-weight'
      ];
    expect([await weight('shop-stable'), await weight('shop-canary')]).toEqual(['150', '50']);
    expect(await router.getWeights()).toEqual({ stable: 75, canary: 25 });
  });
});
