import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { routerSchema } from '../../../src/config/router-schema.js';
import { createAwsRouter } from '../../../src/traffic/aws-routers.js';
import { type Moto, startMoto } from '../../support/moto.js';
import { SteppingClock } from '../../support/stepping-clock.js';

// The alb router against moto's ELBv2: a VPC, two subnets, an ALB, a listener whose default action forwards
// to the stable target group, and a path rule. Every step is checked by reading the listener/rule back
// through the SDK, not through the router.

const region = 'eu-west-1';
let moto: Moto;
let elb: ElasticLoadBalancingV2Client;
let ec2: EC2Client;

interface Infra {
  listenerArn: string;
  ruleArn: string;
  stable: string;
  canary: string;
  spare: string[];
}
let infra: Infra;

async function createInfra(): Promise<Infra> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const VpcId = vpc.Vpc!.VpcId!;
  const subnets = await Promise.all(
    ['a', 'b'].map((az, i) =>
      ec2.send(
        new CreateSubnetCommand({ VpcId, CidrBlock: `10.0.${i}.0/24`, AvailabilityZone: `${region}${az}` }),
      ),
    ),
  );
  const lb = await elb.send(
    new CreateLoadBalancerCommand({
      Name: 'shop',
      Subnets: subnets.map((s) => s.Subnet!.SubnetId!),
      Type: 'application',
    }),
  );
  const LoadBalancerArn = lb.LoadBalancers![0]!.LoadBalancerArn!;
  const tg = async (Name: string) => {
    const out = await elb.send(
      new CreateTargetGroupCommand({ Name, Protocol: 'HTTP', Port: 8080, VpcId, TargetType: 'ip' }),
    );
    const arn = out.TargetGroups![0]!.TargetGroupArn!;
    await elb.send(
      new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: '10.0.0.10', Port: 8080 }] }),
    );
    return arn;
  };
  const [stable, canary, ...spare] = await Promise.all(
    ['shop-stable', 'shop-canary', 's1', 's2', 's3', 's4'].map(tg),
  );
  const listener = await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn,
      Protocol: 'HTTP',
      Port: 80,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: stable }],
    }),
  );
  const listenerArn = listener.Listeners![0]!.ListenerArn!;
  const rule = await elb.send(
    new CreateRuleCommand({
      ListenerArn: listenerArn,
      Priority: 10,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }],
      Actions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [{ TargetGroupArn: stable!, Weight: 1 }],
            TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
          },
        },
      ],
    }),
  );
  return { listenerArn, ruleArn: rule.Rules![0]!.RuleArn!, stable: stable!, canary: canary!, spare };
}

async function listenerWeights(): Promise<Record<string, number>> {
  const out = await elb.send(new DescribeListenersCommand({ ListenerArns: [infra.listenerArn] }));
  const action = out.Listeners![0]!.DefaultActions![0]!;
  // A plain forward (as created) carries only TargetGroupArn, which ALB treats as weight 1.
  const groups = action.ForwardConfig?.TargetGroups ?? [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }];
  return Object.fromEntries(
    groups.map((g) => [
      g.TargetGroupArn === infra.stable
        ? 'stable'
        : g.TargetGroupArn === infra.canary
          ? 'canary'
          : g.TargetGroupArn!,
      g.Weight!,
    ]),
  );
}

function router(extra: Record<string, unknown> = {}) {
  const config = routerSchema.parse({
    type: 'alb',
    listenerArn: infra.listenerArn,
    stableTargetGroupArn: infra.stable,
    canaryTargetGroupArn: infra.canary,
    targetGroupBinding: false,
    ...extra,
  });
  if (config.type !== 'alb') throw new Error('unreachable');
  return createAwsRouter(config, {
    app: 'shop',
    namespace: 'prod',
    clock: new SteppingClock(),
    aws: { region, endpoint: moto.endpoint, credentials: moto.credentials },
  });
}

const targets = { stable: { version: 'v1' }, canary: { version: 'v2' } };

beforeAll(async () => {
  moto = await startMoto();
  const access = { region, endpoint: moto.endpoint, credentials: moto.credentials };
  elb = new ElasticLoadBalancingV2Client(access);
  ec2 = new EC2Client(access);
});
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  infra = await createInfra();
});

describe('alb router on moto', () => {
  it('runs a canary 10 → 50 → 100 on the default action, weights read back after every step', async () => {
    const r = await router();
    await r.prepare(targets);
    expect(await listenerWeights()).toEqual({ stable: 999, canary: 0 });

    for (const [percent, stable, canary] of [
      [10, 900, 100],
      [50, 500, 500],
      [100, 0, 999],
    ] as const) {
      const result = await r.setWeight(percent);
      expect(result).toMatchObject({ requested: percent, achieved: percent, verified: true });
      expect(await listenerWeights()).toEqual({ stable, canary });
      expect(await r.getWeights()).toEqual({ stable: 100 - percent, canary: percent });
    }
  });

  it('an abort after a failed analysis leaves the canary at weight 0', async () => {
    const r = await router();
    await r.prepare(targets);
    await r.setWeight(10);
    await r.setWeight(50);
    const result = await r.setWeight(0);
    expect(result).toMatchObject({ achieved: 0, verified: true });
    expect(await listenerWeights()).toEqual({ stable: 999, canary: 0 });
  });

  it('blue/green flips exactly 0 ↔ 100', async () => {
    const r = await router();
    await r.prepare(targets);
    expect((await r.setWeight(100)).achieved).toBe(100);
    expect(await listenerWeights()).toEqual({ stable: 0, canary: 999 });
    expect((await r.setWeight(0)).achieved).toBe(0);
    expect(await listenerWeights()).toEqual({ stable: 999, canary: 0 });
  });

  it('on a rule: keeps its conditions and stickiness config', async () => {
    const r = await router({ listenerArn: undefined, ruleArn: infra.ruleArn });
    await r.prepare(targets);
    await r.setWeight(25);
    const rule = (await elb.send(new DescribeRulesCommand({ RuleArns: [infra.ruleArn] }))).Rules![0]!;
    expect(rule.Conditions?.[0]?.PathPatternConfig?.Values).toEqual(['/api/*']);
    expect(rule.Actions![0]!.ForwardConfig).toMatchObject({
      TargetGroups: [
        { TargetGroupArn: infra.stable, Weight: 750 },
        { TargetGroupArn: infra.canary, Weight: 250 },
      ],
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
    });
    // The listener's default action is untouched.
    expect(await listenerWeights()).toEqual({ stable: 1 });
  });

  it('refuses a sixth target group in the action and changes nothing', async () => {
    await elb.send(
      new (await import('@aws-sdk/client-elastic-load-balancing-v2')).ModifyListenerCommand({
        ListenerArn: infra.listenerArn,
        DefaultActions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [infra.stable, ...infra.spare].map((TargetGroupArn, i) => ({
                TargetGroupArn,
                Weight: i === 0 ? 1 : 0,
              })),
            },
          },
        ],
      }),
    );
    const before = await listenerWeights();
    const r = await router();
    await expect(r.prepare(targets)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/at most 5 target groups/),
    });
    expect(await listenerWeights()).toEqual(before);
  });

  it('describe lists the calls without making them', async () => {
    const r = await router();
    const calls = r.describe(10);
    expect(calls).toContain(
      `elbv2:ModifyListener ${infra.listenerArn} forward stable=900 canary=100 (other actions and stickiness kept)`,
    );
    expect(calls[0]).toMatch(/^elbv2:DescribeTargetHealth .*until healthy/);
    expect(await listenerWeights()).toEqual({ stable: 1 });
  });
});
