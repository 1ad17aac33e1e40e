import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  type DescribeTargetHealthCommandOutput,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { type AlbRouterConfig, routerSchema } from '../../src/config/router-schema.js';
import { unescapedOutputs } from '../../src/manifests/escape.js';
import { AlbRouter, targetHealthVerdict, withSplit } from '../../src/traffic/alb.js';
import { FakeKube } from '../support/fake-kube.js';
import { SteppingClock } from '../support/stepping-clock.js';

const arn = (kind: string, rest: string) =>
  `arn:aws:elasticloadbalancing:eu-west-1:123456789012:${kind}/${rest}`;
const STABLE = arn('targetgroup', 'shop-stable/1111');
const CANARY = arn('targetgroup', 'shop-canary/2222');
const OTHER = arn('targetgroup', 'legacy/3333');
const LISTENER = arn('listener', 'app/shop/aaaa/bbbb');
const RULE = arn('listener-rule', 'app/shop/aaaa/bbbb/cccc');
const tgs = { stable: STABLE, canary: CANARY };

function config(extra: Record<string, unknown> = {}): AlbRouterConfig {
  const c = routerSchema.parse({
    type: 'alb',
    listenerArn: LISTENER,
    stableTargetGroupArn: STABLE,
    canaryTargetGroupArn: CANARY,
    targetGroupBinding: false,
    healthTimeout: '1m',
    region: 'eu-west-1',
    ...extra,
  });
  if (c.type !== 'alb') throw new Error('unreachable');
  return c;
}

const forward = (weights: [string, number][], stickiness = true): Action => ({
  Type: 'forward',
  Order: 2,
  ForwardConfig: {
    TargetGroups: weights.map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })),
    ...(stickiness ? { TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 } } : {}),
  },
});
const oidc: Action = {
  Type: 'authenticate-oidc',
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://idp',
    AuthorizationEndpoint: 'https://idp/a',
    TokenEndpoint: 'https://idp/t',
    UserInfoEndpoint: 'https://idp/u',
    ClientId: 'kdeploy',
  },
};

describe('withSplit', () => {
  it('sets the two weights and writes every other action and the stickiness back', () => {
    const next = withSplit([oidc, forward([[STABLE, 1]])], tgs, { stable: 900, canary: 100 }, 'listener');
    expect(next[0]).toEqual({
      ...oidc,
      AuthenticateOidcConfig: { ...oidc.AuthenticateOidcConfig, UseExistingClientSecret: true },
    });
    expect(next[1]).toEqual(
      forward([
        [STABLE, 900],
        [CANARY, 100],
      ]),
    );
  });

  it('turns a plain forward (TargetGroupArn) into a weighted ForwardConfig', () => {
    const next = withSplit(
      [{ Type: 'forward', TargetGroupArn: STABLE }],
      tgs,
      { stable: 999, canary: 0 },
      'listener',
    );
    expect(next).toEqual([
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: STABLE, Weight: 999 },
            { TargetGroupArn: CANARY, Weight: 0 },
          ],
        },
      },
    ]);
  });

  it('keeps an idle third target group but refuses one that takes traffic', () => {
    const idle = withSplit(
      [
        forward([
          [STABLE, 5],
          [OTHER, 0],
        ]),
      ],
      tgs,
      { stable: 500, canary: 500 },
      'listener',
    );
    expect(idle[0]!.ForwardConfig!.TargetGroups).toEqual([
      { TargetGroupArn: STABLE, Weight: 500 },
      { TargetGroupArn: OTHER, Weight: 0 },
      { TargetGroupArn: CANARY, Weight: 500 },
    ]);
    expect(() =>
      withSplit(
        [
          forward([
            [STABLE, 5],
            [OTHER, 1],
          ]),
        ],
        tgs,
        { stable: 1, canary: 1 },
        'rule X',
      ),
    ).toThrow(/rule X also forwards to .*legacy.*weight 1/);
  });

  it('refuses what ALB would reject: a sixth target group', () => {
    const five = [STABLE, 'a', 'b', 'c', 'd'].map(
      (x, i) => [i ? arn('targetgroup', `${x}/1`) : x, i ? 0 : 1] as [string, number],
    );
    expect(() => withSplit([forward(five)], tgs, { stable: 1, canary: 0 }, 'listener')).toThrow(
      /at most 5 target groups/,
    );
  });

  it('names the actions it found when none forwards to the stable target group', () => {
    expect(() =>
      withSplit(
        [{ Type: 'fixed-response' }, forward([[OTHER, 1]])],
        tgs,
        { stable: 1, canary: 0 },
        'listener L',
      ),
    ).toThrow(
      /listener L has no forward action to the stable target group .*fixed-response; forward → .*legacy/,
    );
  });
});

describe('targetHealthVerdict', () => {
  const t = (State: string, Reason?: string) => ({ TargetHealth: { State, Reason } }) as never;
  it('is ready only when every live target is healthy', () => {
    expect(targetHealthVerdict([t('healthy'), t('draining')])).toEqual({ ready: true, summary: '1 healthy' });
    expect(targetHealthVerdict([t('healthy'), t('initial', 'Elb.InitialHealthChecking')])).toEqual({
      ready: false,
      summary: '1 healthy, 1 initial Elb.InitialHealthChecking',
    });
    expect(targetHealthVerdict([t('unused', 'Target.NotInUse')]).ready).toBe(false);
    expect(targetHealthVerdict([])).toEqual({ ready: false, summary: 'no targets registered' });
  });
});

describe('AlbRouter with a stubbed ELBv2', () => {
  const elb = mockClient(ElasticLoadBalancingV2Client);
  afterEach(() => elb.reset());
  const listener = (action: Action) => ({ Listeners: [{ ListenerArn: LISTENER, DefaultActions: [action] }] });
  const health = (...states: TargetHealthStateEnum[]): DescribeTargetHealthCommandOutput => ({
    $metadata: {},
    TargetHealthDescriptions: states.map((State, i) => ({
      Target: { Id: `10.0.0.${i}` },
      TargetHealth: {
        State,
        ...(State === 'unhealthy' ? { Reason: 'Target.FailedHealthChecks' as const } : {}),
      },
    })),
  });

  it('never gives weight to a canary whose targets stay unhealthy, and says why', async () => {
    elb.on(DescribeListenersCommand).resolves(
      listener(
        forward([
          [STABLE, 999],
          [CANARY, 0],
        ]),
      ),
    );
    elb
      .on(DescribeTargetHealthCommand)
      .resolvesOnce(health('initial'))
      .resolves(health('healthy', 'unhealthy'));
    const clock = new SteppingClock();
    const router = new AlbRouter(config(), { app: 'shop', namespace: 'prod', clock });
    await expect(router.setWeight(10)).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(
        /canary target group .*shop-canary.* not healthy after 1m \(1 healthy, 1 unhealthy Target.FailedHealthChecks\)/,
      ),
    });
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(0);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(60_000);
  });

  it('waits for the canary to turn healthy, then shifts and verifies', async () => {
    elb
      .on(DescribeTargetHealthCommand)
      .resolvesOnce(health('initial'))
      .resolvesOnce(health('initial'))
      .resolves(health('healthy'));
    elb
      .on(DescribeListenersCommand)
      .resolvesOnce(
        listener(
          forward([
            [STABLE, 999],
            [CANARY, 0],
          ]),
        ),
      )
      .resolves(
        listener(
          forward([
            [STABLE, 750],
            [CANARY, 250],
          ]),
        ),
      );
    elb.on(ModifyListenerCommand).resolves({});
    const clock = new SteppingClock();
    const router = new AlbRouter(config(), { app: 'shop', namespace: 'prod', clock });
    const result = await router.setWeight(25);
    expect(result).toMatchObject({ requested: 25, achieved: 25, verified: true });
    expect(clock.sleeps).toEqual([5_000, 5_000]);
    const [call] = elb.commandCalls(ModifyListenerCommand);
    expect(call!.args[0].input).toEqual({
      ListenerArn: LISTENER,
      DefaultActions: [
        forward([
          [STABLE, 750],
          [CANARY, 250],
        ]),
      ],
    });
  });

  it('reports verified: false when the read-back differs from what it wrote', async () => {
    elb.on(DescribeListenersCommand).resolves(
      listener(
        forward([
          [STABLE, 999],
          [CANARY, 0],
        ]),
      ),
    );
    elb.on(ModifyListenerCommand).resolves({});
    elb.on(DescribeTargetHealthCommand).resolves(health('healthy'));
    const router = new AlbRouter(config(), { app: 'shop', namespace: 'prod', clock: new SteppingClock() });
    expect(await router.setWeight(50)).toMatchObject({
      achieved: 0,
      verified: false,
      detail: expect.stringMatching(/wrote stable=500 canary=500/),
    });
  });

  it('setWeight(0) needs no health check and skips the write when already there', async () => {
    elb.on(DescribeListenersCommand).resolves(
      listener(
        forward([
          [STABLE, 999],
          [CANARY, 0],
        ]),
      ),
    );
    const router = new AlbRouter(config(), { app: 'shop', namespace: 'prod', clock: new SteppingClock() });
    expect(await router.setWeight(0)).toMatchObject({ achieved: 0, verified: true });
    expect(elb.commandCalls(DescribeTargetHealthCommand)).toHaveLength(0);
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(0);
  });

  it('uses ModifyRule for a rule, and refuses a default rule ARN', async () => {
    elb
      .on(DescribeRulesCommand)
      .resolves({ Rules: [{ RuleArn: RULE, IsDefault: false, Actions: [forward([[STABLE, 1]])] }] });
    elb.on(ModifyRuleCommand).resolves({});
    const router = new AlbRouter(config({ listenerArn: undefined, ruleArn: RULE }), {
      app: 'shop',
      namespace: 'prod',
      clock: new SteppingClock(),
    });
    await router.prepare({ stable: { version: 'v1' }, canary: { version: 'v2' } });
    expect(elb.commandCalls(ModifyRuleCommand)[0]!.args[0].input).toEqual({
      RuleArn: RULE,
      Actions: [
        forward([
          [STABLE, 999],
          [CANARY, 0],
        ]),
      ],
    });

    elb.on(DescribeRulesCommand).resolves({ Rules: [{ RuleArn: RULE, IsDefault: true, Actions: [] }] });
    await expect(router.getWeights()).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/default rule; set router.listenerArn/),
    });
  });

  it('prepare creates TargetGroupBindings for both Services; values cannot inject YAML', async () => {
    elb.on(DescribeListenersCommand).resolves(
      listener(
        forward([
          [STABLE, 999],
          [CANARY, 0],
        ]),
      ),
    );
    const kube = new FakeKube();
    const router = new AlbRouter(config({ targetGroupBinding: true }), {
      app: 'shop\nkind: Secret',
      namespace: 'prod',
      clock: new SteppingClock(),
      kube,
      services: { stable: 'shop-blue', canary: 'shop-green', port: 8080 },
    });
    await router.prepare({ stable: { version: 'v1' }, canary: { version: 'v2' } });
    expect(kube.writes.map((w) => w.ref)).toEqual([
      'TargetGroupBinding/prod/shop-blue',
      'TargetGroupBinding/prod/shop-green',
    ]);
    const green = kube.find('TargetGroupBinding', 'prod', 'shop-green');
    expect(green).toEqual({
      apiVersion: 'elbv2.k8s.aws/v1beta1',
      kind: 'TargetGroupBinding',
      metadata: {
        name: 'shop-green',
        namespace: 'prod',
        labels: {
          'app.kubernetes.io/name': 'shop\nkind: Secret',
          'app.kubernetes.io/managed-by': 'kdeploy',
          'kdeploy.io/role': 'canary',
        },
      },
      spec: { serviceRef: { name: 'shop-green', port: 8080 }, targetGroupARN: CANARY, targetType: 'ip' },
    });
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(0); // the canary was already attached
  });

  it('the TargetGroupBinding template escapes every value', () => {
    const source = readFileSync(
      new URL('../../templates/targetgroupbinding.yaml.hbs', import.meta.url),
      'utf8',
    );
    expect(unescapedOutputs(source)).toEqual([]);
  });

  it("a user's templates folder overrides the TargetGroupBinding", () => {
    const dir = mkdtempSync(join(tmpdir(), 'kdeploy-tgb-'));
    try {
      const builtin = readFileSync(
        new URL('../../templates/targetgroupbinding.yaml.hbs', import.meta.url),
        'utf8',
      );
      writeFileSync(
        join(dir, 'targetgroupbinding.yaml.hbs'),
        builtin.replace('targetType: ip', 'targetType: instance'),
      );
      const router = new AlbRouter(config(), {
        app: 'shop',
        namespace: 'prod',
        clock: new SteppingClock(),
        templatesDir: dir,
      });
      expect(router.bindings().map((b) => (b as { spec: { targetType: string } }).spec.targetType)).toEqual([
        'instance',
        'instance',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prepare without cluster access fails before any AWS call when bindings are asked for', async () => {
    const router = new AlbRouter(config({ targetGroupBinding: true }), {
      app: 'shop',
      namespace: 'prod',
      clock: new SteppingClock(),
    });
    await expect(router.prepare({ stable: { version: 'v1' }, canary: { version: 'v2' } })).rejects.toThrow(
      /needs cluster access/,
    );
    expect(elb.calls()).toHaveLength(0);
  });

  it('describe(0) has no health wait; capabilities are honest', () => {
    const router = new AlbRouter(config(), { app: 'shop', namespace: 'prod', clock: new SteppingClock() });
    expect(router.describe(0)).toEqual([
      `elbv2:DescribeListeners ${LISTENER}`,
      `elbv2:ModifyListener ${LISTENER} forward stable=999 canary=0 (other actions and stickiness kept)`,
      `elbv2:DescribeListeners ${LISTENER} (verify)`,
    ]);
    expect(router.capabilities).toEqual({ granularity: 0.1, readBack: true, partialWeights: true });
    expect(elb.calls()).toHaveLength(0);
  });
});
