import { describe, expect, it } from 'vitest';
import { routerSchema } from '../../src/config/router-schema.js';

const tg = (n: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${n}/abc`;
const listenerArn = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/1/2';

function issues(input: unknown) {
  const r = routerSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('router schema (AWS routers)', () => {
  it('alb: defaults and durations', () => {
    const r = routerSchema.parse({
      type: 'alb',
      listenerArn,
      stableTargetGroupArn: tg('a'),
      canaryTargetGroupArn: tg('b'),
    });
    expect(r).toMatchObject({ targetGroupBinding: true, healthTimeout: 300_000 });
  });

  it('alb: names the offending field', () => {
    expect(issues({ type: 'alb', stableTargetGroupArn: tg('a'), canaryTargetGroupArn: tg('a') })).toEqual([
      'listenerArn: set exactly one of listenerArn (default action) or ruleArn',
      'canaryTargetGroupArn: the canary target group must differ from the stable one',
    ]);
    expect(
      issues({
        type: 'alb',
        listenerArn: tg('x'),
        stableTargetGroupArn: tg('a'),
        canaryTargetGroupArn: tg('b'),
      }),
    ).toEqual(['listenerArn: expected an ELBv2 listener ARN (…:listener/app/<lb>/<id>/<id>)']);
    expect(
      issues({
        type: 'alb',
        listenerArn,
        stableTargetGroupArn: tg('a'),
        canaryTargetGroupArn: tg('b'),
        weight: 1,
      })[0],
    ).toMatch(/Unrecognized key: "weight"/);
  });

  it('route53: api mode needs a value or an alias per record; alias needs A/AAAA', () => {
    expect(
      issues({ type: 'route53', hostedZoneId: 'Z1', recordName: 'shop.example.com', stable: { value: 'x' } }),
    ).toEqual(['canary: set exactly one of value or alias (mode: api writes the record)']);
    expect(
      issues({
        type: 'route53',
        hostedZoneId: 'Z1',
        recordName: 'shop.example.com',
        stable: { alias: { dnsName: 'a', hostedZoneId: 'Z2' } },
        canary: { value: 'b', setIdentifier: 'same' },
      }),
    ).toEqual(['stable.alias: alias records need recordType A or AAAA']);
    expect(issues({ type: 'route53', hostedZoneId: 'Z1', recordName: 'a.b', mode: 'external-dns' })).toEqual(
      [],
    );
    expect(
      issues({ type: 'route53', hostedZoneId: 'z-1', recordName: 'a.b', mode: 'external-dns' })[0],
    ).toMatch(/^hostedZoneId: expected a hosted zone id/);
  });

  it('route53: distinct set identifiers', () => {
    expect(
      issues({
        type: 'route53',
        hostedZoneId: 'Z1',
        recordName: 'a.b',
        stable: { value: 'x', setIdentifier: 'v' },
        canary: { value: 'y', setIdentifier: 'v' },
      }),
    ).toEqual(['canary.setIdentifier: must differ from the stable setIdentifier']);
  });
});
