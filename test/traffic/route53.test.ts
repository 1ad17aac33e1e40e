import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import type { KubernetesObject } from '@kubernetes/client-node';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { type Route53RouterConfig, routerSchema } from '../../src/config/router-schema.js';
import { Route53Router, weightsFromRecords } from '../../src/traffic/route53.js';
import { FakeKube } from '../support/fake-kube.js';
import { SteppingClock } from '../support/stepping-clock.js';

function config(extra: Record<string, unknown> = {}): Route53RouterConfig {
  const c = routerSchema.parse({
    type: 'route53',
    hostedZoneId: '/hostedzone/Z123',
    recordName: 'shop.example.com',
    stable: { value: 'blue.example.net' },
    canary: { value: 'green.example.net' },
    syncTimeout: '1m',
    ...extra,
  });
  if (c.type !== 'route53') throw new Error('unreachable');
  return c;
}

const ids = { stable: 'prod-shop-stable', canary: 'prod-shop-canary' };
const rec = (
  SetIdentifier: string | undefined,
  Weight?: number,
  Name = 'shop.example.com.',
): ResourceRecordSet => ({
  Name,
  Type: 'CNAME',
  ...(SetIdentifier ? { SetIdentifier, Weight } : {}),
  TTL: 60,
});

describe('weightsFromRecords', () => {
  it('finds our two records among others of the zone, names compared as Route 53 writes them', () => {
    const records = [
      rec('prod-shop-stable', 150, 'SHOP.example.com.'),
      rec('prod-shop-canary', 50),
      rec('x', 9, 'other.example.com.'),
    ];
    expect(weightsFromRecords(records, ids, 'shop.example.com', 'CNAME')).toEqual({
      stable: 150,
      canary: 50,
    });
    expect(weightsFromRecords([], ids, 'shop.example.com', 'CNAME')).toEqual({
      stable: undefined,
      canary: undefined,
    });
  });

  it('refuses a foreign weighted record that takes traffic, accepts one at 0', () => {
    expect(
      weightsFromRecords([rec('old', 0), rec('prod-shop-stable', 200)], ids, 'shop.example.com', 'CNAME')
        .stable,
    ).toBe(200);
    expect(() => weightsFromRecords([rec('old', 10)], ids, 'shop.example.com', 'CNAME')).toThrow(
      /other weighted records taking traffic \(old=10\)/,
    );
  });
});

const r53 = mockClient(Route53Client);
afterEach(() => r53.reset());

describe('Route53Router (API mode, stubbed client)', () => {
  it('writes both records in one batch, polls GetChange until INSYNC, and asks for a TTL dwell', async () => {
    r53
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } });
    r53
      .on(GetChangeCommand)
      .resolvesOnce({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } })
      .resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date() } });
    r53
      .on(ListResourceRecordSetsCommand)
      .resolves({ ResourceRecordSets: [rec('prod-shop-stable', 150), rec('prod-shop-canary', 50)] });
    const clock = new SteppingClock();
    const router = new Route53Router(config({ ttl: 45 }), { app: 'shop', namespace: 'prod', clock });
    const result = await router.setWeight(25);
    expect(result).toMatchObject({ requested: 25, achieved: 25, verified: true, dwellMs: 45_000 });
    expect(clock.sleeps).toEqual([5_000]);
    const input = r53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input;
    expect(input.HostedZoneId).toBe('Z123');
    expect(input.ChangeBatch!.Changes).toEqual([
      {
        Action: 'UPSERT',
        ResourceRecordSet: {
          Name: 'shop.example.com',
          Type: 'CNAME',
          SetIdentifier: 'prod-shop-stable',
          Weight: 150,
          TTL: 45,
          ResourceRecords: [{ Value: 'blue.example.net' }],
        },
      },
      {
        Action: 'UPSERT',
        ResourceRecordSet: {
          Name: 'shop.example.com',
          Type: 'CNAME',
          SetIdentifier: 'prod-shop-canary',
          Weight: 50,
          TTL: 45,
          ResourceRecords: [{ Value: 'green.example.net' }],
        },
      },
    ]);
  });

  it('gives up when the change stays PENDING past syncTimeout (exit 5)', async () => {
    r53
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: '/change/C2', Status: 'PENDING', SubmittedAt: new Date() } });
    r53
      .on(GetChangeCommand)
      .resolves({ ChangeInfo: { Id: '/change/C2', Status: 'PENDING', SubmittedAt: new Date() } });
    const router = new Route53Router(config(), {
      app: 'shop',
      namespace: 'prod',
      clock: new SteppingClock(),
    });
    await expect(router.setWeight(10)).rejects.toMatchObject({
      exitCode: 5,
      message: expect.stringMatching(/still PENDING after 1m \(router.syncTimeout\)/),
    });
  });

  it('writes alias records without a TTL and dwells 60 s for them', async () => {
    r53
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: 'C3', Status: 'INSYNC', SubmittedAt: new Date() } });
    r53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [] });
    const alias = (dnsName: string) => ({ alias: { dnsName, hostedZoneId: 'Z32O12XQLNTSW2' } });
    const router = new Route53Router(
      config({
        recordType: 'A',
        stable: alias('blue-alb.eu-west-1.elb.amazonaws.com'),
        canary: alias('green-alb.eu-west-1.elb.amazonaws.com'),
      }),
      { app: 'shop', namespace: 'prod', clock: new SteppingClock() },
    );
    await router.prepare({ stable: { version: 'v1' }, canary: { version: 'v2' } });
    const change = r53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input.ChangeBatch!
      .Changes![0]!;
    expect(change.ResourceRecordSet).toEqual({
      Name: 'shop.example.com',
      Type: 'A',
      SetIdentifier: 'prod-shop-stable',
      Weight: 200,
      AliasTarget: {
        DNSName: 'blue-alb.eu-west-1.elb.amazonaws.com',
        HostedZoneId: 'Z32O12XQLNTSW2',
        EvaluateTargetHealth: true,
      },
    });
    expect(router.dwellMs).toBe(60_000);
  });

  it('describe shows the change batch and the dwell without calling AWS', () => {
    const router = new Route53Router(config(), {
      app: 'shop',
      namespace: 'prod',
      clock: new SteppingClock(),
    });
    expect(router.describe(50)).toEqual([
      'route53:ChangeResourceRecordSets Z123 UPSERT shop.example.com CNAME prod-shop-stable=100 prod-shop-canary=100',
      'route53:GetChange (until INSYNC, at most 1m)',
      'route53:ListResourceRecordSets Z123 shop.example.com CNAME (verify)',
      'then dwell 1m for resolver caches',
    ]);
    expect(r53.calls()).toHaveLength(0);
  });
});

describe('Route53Router (external-dns mode)', () => {
  const svc = (name: string): KubernetesObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'prod', annotations: { keep: 'me' } },
  });
  const services = { stable: 'shop-blue', canary: 'shop-green', port: 80 };
  const annotations = (kube: FakeKube, name: string) =>
    kube.find('Service', 'prod', name)!.metadata!.annotations;

  it('edits the external-dns annotations on both Services instead of calling Route 53', async () => {
    const kube = new FakeKube();
    kube.add(svc('shop-blue'));
    kube.add(svc('shop-green'));
    const router = new Route53Router(config({ mode: 'external-dns', stable: {}, canary: {} }), {
      app: 'shop',
      namespace: 'prod',
      clock: new SteppingClock(),
      kube,
      services,
    });
    await router.prepare({ stable: { version: 'v1' }, canary: { version: 'v2' } });
    const result = await router.setWeight(10);
    expect(result).toMatchObject({ achieved: 10, verified: true, dwellMs: 60_000 });
    expect(annotations(kube, 'shop-green')).toEqual({
      keep: 'me',
      'external-dns.alpha.kubernetes.io/hostname': 'shop.example.com',
      'external-dns.alpha.kubernetes.io/set-identifier': 'prod-shop-canary',
      'external-dns.alpha.kubernetes.io/aws-weight': '20',
      'external-dns.alpha.kubernetes.io/ttl': '60',
    });
    expect(annotations(kube, 'shop-blue')?.['external-dns.alpha.kubernetes.io/aws-weight']).toBe('180');
    // The side that gains weight is written first, so the pair never passes through 0/0.
    expect(kube.writes.slice(-2).map((w) => w.ref)).toEqual([
      'Service/prod/shop-green',
      'Service/prod/shop-blue',
    ]);
    await router.setWeight(0);
    expect(kube.writes.slice(-2).map((w) => w.ref)).toEqual([
      'Service/prod/shop-blue',
      'Service/prod/shop-green',
    ]);
    expect(r53.calls()).toHaveLength(0);
  });

  it('with verify, waits for Route 53 to show what external-dns wrote', async () => {
    const kube = new FakeKube();
    kube.add(svc('shop-blue'));
    kube.add(svc('shop-green'));
    r53
      .on(ListResourceRecordSetsCommand)
      .resolvesOnce({ ResourceRecordSets: [rec('prod-shop-stable', 200), rec('prod-shop-canary', 0)] })
      .resolves({ ResourceRecordSets: [rec('prod-shop-stable', 100), rec('prod-shop-canary', 100)] });
    const clock = new SteppingClock();
    const router = new Route53Router(config({ mode: 'external-dns', externalDns: { verify: true } }), {
      app: 'shop',
      namespace: 'prod',
      clock,
      kube,
      services,
    });
    expect(await router.setWeight(50)).toMatchObject({ verified: true });
    expect(clock.sleeps).toEqual([5_000]);
  });

  it('names the missing object', async () => {
    const router = new Route53Router(
      config({ mode: 'external-dns', externalDns: { kind: 'Ingress', canary: 'shop-preview' } }),
      {
        app: 'shop',
        namespace: 'prod',
        clock: new SteppingClock(),
        kube: new FakeKube(),
      },
    );
    await expect(router.getWeights()).rejects.toMatchObject({
      exitCode: 2,
      message: 'router.externalDns.stable: Ingress prod/shop not found',
    });
  });
});
