import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseEvent } from '../../../src/core/release.js';
import { abort, promote, type ReleaseRun, release } from '../../../src/engine/api.js';
import { KubeCluster } from '../../../src/kube/cluster.js';
import { selectContext } from '../../../src/kube/kubeconfig.js';
import { type Moto, startMoto } from '../../support/moto.js';
import { testbedKubeConfig, useTestNamespace } from '../../testbed/namespace.js';

// Whole releases through the engine — kdeploy's library API, the canary strategy, the router registry
// and the alb router it loads from kdeploy.yaml — on the test bed's real control plane (KWOK pods), with moto
// as the ALB. After every weight event the listener is read back through ELBv2; a release that is aborted or
// fails on its own must leave the canary target group at weight 0.

const region = 'eu-west-1';
const ns = useTestNamespace('aws-release');
let moto: Moto;
let elb: ElasticLoadBalancingV2Client;
const savedKeys = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

async function createAlb(suffix: string): Promise<{ listenerArn: string; stable: string; canary: string }> {
  const access = { region, endpoint: moto.endpoint, credentials: moto.credentials };
  const ec2 = new EC2Client(access);
  const VpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.2.0.0/16' }))).Vpc!.VpcId!;
  const subnets: string[] = [];
  for (const [i, az] of ['a', 'b'].entries()) {
    const out = await ec2.send(
      new CreateSubnetCommand({ VpcId, CidrBlock: `10.2.${i}.0/24`, AvailabilityZone: `${region}${az}` }),
    );
    subnets.push(out.Subnet!.SubnetId!);
  }
  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: `rel-${suffix}`, Subnets: subnets })))
    .LoadBalancers![0]!;
  const tg = async (Name: string) => {
    const out = await elb.send(
      new CreateTargetGroupCommand({ Name, Protocol: 'HTTP', Port: 8080, VpcId, TargetType: 'ip' }),
    );
    const arn = out.TargetGroups![0]!.TargetGroupArn!;
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: '10.2.0.7' }] }));
    return arn;
  };
  const stable = await tg(`st-${suffix}`);
  const canary = await tg(`ca-${suffix}`);
  const listener = await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lb.LoadBalancerArn,
      Protocol: 'HTTP',
      Port: 80,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: stable }],
    }),
  );
  return { listenerArn: listener.Listeners![0]!.ListenerArn!, stable, canary };
}

async function listenerWeights(alb: {
  listenerArn: string;
  stable: string;
  canary: string;
}): Promise<[number, number]> {
  const action = (await elb.send(new DescribeListenersCommand({ ListenerArns: [alb.listenerArn] })))
    .Listeners![0]!.DefaultActions![0]!;
  const groups = action.ForwardConfig?.TargetGroups ?? [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }];
  const weight = (arn: string) => groups.find((g) => g.TargetGroupArn === arn)?.Weight ?? 0;
  return [weight(alb.stable), weight(alb.canary)];
}

function config(app: string, alb: { listenerArn: string; stable: string; canary: string }) {
  return {
    app,
    namespace: ns.name,
    image: { repository: 'registry.example/shop' },
    replicas: 4,
    strategy: {
      canary: {
        steps: [
          { setWeight: 10 },
          { pause: { duration: '1s' } },
          { setWeight: 50 },
          { pause: {} },
          { setWeight: 100 },
        ],
        router: {
          type: 'alb',
          region,
          endpoint: moto.endpoint,
          listenerArn: alb.listenerArn,
          stableTargetGroupArn: alb.stable,
          canaryTargetGroupArn: alb.canary,
          targetGroupBinding: false,
          healthTimeout: '30s',
        },
      },
    },
  };
}

type Alb = Awaited<ReturnType<typeof createAlb>>;

/** Follows a run; after each weight event, records the listener's weights as ELBv2 reports them. */
async function follow(alb: Alb, start: (onEvent: (e: ReleaseEvent) => void) => ReleaseRun) {
  const seen: { event: number; alb: [number, number] }[] = [];
  const pending: Promise<void>[] = [];
  const result = await start((e) => {
    // Emitted after the router verified its write, so the read must agree.
    if (e.type === 'weight')
      pending.push(listenerWeights(alb).then((w) => void seen.push({ event: e.canary, alb: w })));
  });
  await Promise.all(pending);
  return { result, seen };
}

const connection = () => ({ kubeconfig: process.env.KDEPLOY_TESTBED_KUBECONFIG, namespace: ns.name });
const run = (app: string, alb: Alb, to: string, until?: 'paused') =>
  follow(alb, (onEvent) =>
    release({
      config: config(app, alb),
      strategy: 'canary',
      to,
      ...connection(),
      onEvent,
      ...(until ? { until } : {}),
    }),
  );

beforeAll(async () => {
  moto = await startMoto();
  // The routers use the SDK's default credential chain; moto takes any key.
  process.env.AWS_ACCESS_KEY_ID = moto.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = moto.credentials.secretAccessKey;
  elb = new ElasticLoadBalancingV2Client({ region, endpoint: moto.endpoint, credentials: moto.credentials });
});
afterAll(async () => {
  await moto?.stop();
  for (const [key, value] of [
    ['AWS_ACCESS_KEY_ID', savedKeys.id],
    ['AWS_SECRET_ACCESS_KEY', savedKeys.secret],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe('canary releases over the alb router (engine + real control plane + moto)', () => {
  it('10 → 50 → 100: the listener shows every step, then all traffic back on the promoted stable', async () => {
    const alb = await createAlb('pass');
    expect((await run('shop', alb, 'v1')).result.outcome).toBe('completed'); // creates the stable Deployment

    const paused = await run('shop', alb, 'v2', 'paused');
    expect(paused.result.outcome).toBe('paused');
    expect(paused.seen).toEqual([
      { event: 10, alb: [900, 100] },
      { event: 50, alb: [500, 500] },
    ]);
    const promoted = await follow(alb, (onEvent) =>
      promote({ app: 'shop', config: config('shop', alb), ...connection(), onEvent }),
    );
    expect(promoted.result.outcome).toBe('completed');
    expect(promoted.seen[0]).toEqual({ event: 100, alb: [0, 999] });
    // Promotion moves stable to v2 and shifts all traffic back to the stable target group.
    expect(promoted.seen.at(-1)).toEqual({ event: 0, alb: [999, 0] });
    expect(await listenerWeights(alb)).toEqual([999, 0]);
  });

  it('an abort at a pause sets the canary weight to 0 first', async () => {
    const alb = await createAlb('abort');
    expect((await run('cart', alb, 'v1')).result.outcome).toBe('completed');
    expect((await run('cart', alb, 'v2', 'paused')).result.outcome).toBe('paused');
    expect(await listenerWeights(alb)).toEqual([500, 500]);

    const aborted = await follow(alb, (onEvent) =>
      abort({ app: 'cart', config: config('cart', alb), ...connection(), onEvent }),
    );
    expect(aborted.result.outcome).toBe('aborted');
    expect(aborted.seen[0]).toEqual({ event: 0, alb: [999, 0] });
    expect(await listenerWeights(alb)).toEqual([999, 0]);
  });

  it('a crashing canary fails the release; the canary target group keeps weight 0', async () => {
    const alb = await createAlb('crash');
    expect((await run('till', alb, 'v1')).result.outcome).toBe('completed');
    const { result } = await run('till', alb, 'crash-v2'); // KWOK crash-loops pods whose tag starts with "crash"
    expect(result.outcome).toBe('failed');
    expect(result.exitCode).toBe(1);
    expect(await listenerWeights(alb)).toEqual([999, 0]);
  });
});

describe('blue/green releases over the route53 router (engine + real control plane + moto)', () => {
  it('the second release flips the weighted records exactly to the other colour, the third flips them back', async () => {
    const r53 = new Route53Client({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      credentials: moto.credentials,
    });
    const zone = await r53.send(
      new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: `bg-${ns.name}` }),
    );
    const zoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '');
    const bgConfig = {
      app: 'web',
      namespace: ns.name,
      image: { repository: 'registry.example/web' },
      replicas: 2,
      strategy: {
        bluegreen: {
          scaleDownDelay: '0s',
          router: {
            type: 'route53',
            endpoint: moto.endpoint,
            hostedZoneId: zoneId,
            recordName: 'web.example.com',
            ttl: 1, // the engine dwells one TTL after each change
            stable: { value: 'web-blue.example.net', setIdentifier: 'web-blue' },
            canary: { value: 'web-green.example.net', setIdentifier: 'web-green' },
          },
        },
      },
    };
    const records = async () => {
      const out = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
      return Object.fromEntries(
        (out.ResourceRecordSets ?? [])
          .filter((r) => r.SetIdentifier)
          .map((r) => [r.SetIdentifier!, r.Weight]),
      );
    };
    const bg = (to: string) => release({ config: bgConfig, strategy: 'bluegreen', to, ...connection() });

    // Whichever colour goes live first, the next release flips the pair exactly: 200/0 ↔ 0/200.
    expect((await bg('v1')).outcome).toBe('completed');
    const first = await records();
    expect(Object.values(first).sort()).toEqual([0, 200]);
    const flipped = { 'web-blue': first['web-green'], 'web-green': first['web-blue'] };
    expect((await bg('v2')).outcome).toBe('completed');
    expect(await records()).toEqual(flipped);

    // The third release goes to the idle colour (not onto the live one) and flips the pair back.
    expect((await bg('v3')).outcome).toBe('completed');
    expect(await records()).toEqual(first);
    const apps = new KubeCluster(selectContext(testbedKubeConfig(), {}));
    const deployments = await apps.list<{
      metadata?: { name?: string };
      spec?: { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } };
    }>('apps/v1', 'Deployment', { namespace: ns.name });
    const live = first['web-blue'] === 200 ? 'web-blue' : 'web-green';
    const idle = live === 'web-blue' ? 'web-green' : 'web-blue';
    expect(
      Object.fromEntries(
        deployments.items.map((d) => [
          d.metadata?.name,
          `${d.spec?.replicas}×${d.spec?.template?.spec?.containers?.[0]?.image?.split(':')[1]}`,
        ]),
      ),
    ).toMatchObject({ [live]: '2×v3', [idle]: '0×v2' }); // other tests' apps share the namespace
  });
});
