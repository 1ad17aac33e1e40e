import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import {
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { routerSchema } from '../../../src/config/router-schema.js';
import { createAwsRouter } from '../../../src/traffic/aws-routers.js';
import { type Moto, startMoto } from '../../support/moto.js';
import { SteppingClock } from '../../support/stepping-clock.js';

// The route53 router against moto: weighted CNAME records read back with ListResourceRecordSets after every
// step, and a Throttling answer injected by a loopback proxy in front of moto (moto itself never throttles).

let moto: Moto;
let r53: Route53Client;
let zoneId: string;

/** Forwards to moto; answers the first `throttle` ChangeResourceRecordSets calls with Route 53's Throttling error. */
async function throttlingProxy(
  target: string,
  throttle: number,
): Promise<{ endpoint: string; changes: () => number; close: () => Promise<void> }> {
  let changes = 0;
  const server: Server = createServer((req, res) => {
    const isChange = req.method === 'POST' && /\/rrset\/?$/.test(req.url ?? '');
    if (isChange && ++changes <= throttle) {
      req.resume();
      res.writeHead(400, { 'content-type': 'text/xml' });
      res.end(
        '<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type>' +
          '<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>injected</RequestId></ErrorResponse>',
      );
      return;
    }
    const url = new URL(req.url ?? '/', target);
    const upstream = request(
      url,
      { method: req.method, headers: { ...req.headers, host: url.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    changes: () => changes,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

async function recordWeights(): Promise<Record<string, number | undefined>> {
  const out = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  const weighted = (out.ResourceRecordSets ?? []).filter(
    (r) => r.Name === 'shop.example.com.' && r.Type === 'CNAME',
  );
  return Object.fromEntries(weighted.map((r) => [r.SetIdentifier!, r.Weight]));
}

function router(endpoint = moto.endpoint, clock = new SteppingClock(), extra: Record<string, unknown> = {}) {
  const config = routerSchema.parse({
    type: 'route53',
    hostedZoneId: zoneId,
    recordName: 'shop.example.com',
    ttl: 30,
    stable: { value: 'shop-blue.eu-west-1.elb.amazonaws.com' },
    canary: { value: 'shop-green.eu-west-1.elb.amazonaws.com' },
    ...extra,
  });
  if (config.type !== 'route53') throw new Error('unreachable');
  return createAwsRouter(config, {
    app: 'shop',
    namespace: 'prod',
    clock,
    aws: { endpoint, credentials: moto.credentials },
    retry: { retries: 4, baseMs: 200, maxMs: 5_000, random: () => 0.5 },
  });
}

const targets = { stable: { version: 'v1' }, canary: { version: 'v2' } };

beforeAll(async () => {
  moto = await startMoto();
  r53 = new Route53Client({ region: 'us-east-1', endpoint: moto.endpoint, credentials: moto.credentials });
});
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  const zone = await r53.send(
    new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: `kdeploy-${Date.now()}` }),
  );
  zoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '');
});

describe('route53 router on moto', () => {
  it('runs a canary 10 → 50 → 100; ListResourceRecordSets shows the weights after every step', async () => {
    const r = await router();
    await r.prepare(targets);
    expect(await recordWeights()).toEqual({ 'prod-shop-stable': 200, 'prod-shop-canary': 0 });

    for (const [percent, stable, canary] of [
      [10, 180, 20],
      [50, 100, 100],
      [100, 0, 200],
    ] as const) {
      const result = await r.setWeight(percent);
      expect(result).toMatchObject({
        requested: percent,
        achieved: percent,
        verified: true,
        dwellMs: 30_000,
      });
      expect(await recordWeights()).toEqual({ 'prod-shop-stable': stable, 'prod-shop-canary': canary });
    }
    expect(await r.getWeights()).toEqual({ stable: 0, canary: 100 });
  });

  it('an abort leaves the canary record at weight 0, one TTL for the group', async () => {
    const r = await router();
    await r.prepare(targets);
    await r.setWeight(50);
    await r.setWeight(0);
    expect(await recordWeights()).toEqual({ 'prod-shop-stable': 200, 'prod-shop-canary': 0 });
    const out = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    const ttls = out.ResourceRecordSets!.filter((x) => x.SetIdentifier).map((x) => x.TTL);
    expect(ttls).toEqual([30, 30]);
  });

  it('blue/green flips exactly 0 ↔ 100 between the two records', async () => {
    const r = await router();
    await r.prepare(targets);
    expect(await r.setWeight(100)).toMatchObject({ achieved: 100, verified: true });
    expect(await recordWeights()).toEqual({ 'prod-shop-stable': 0, 'prod-shop-canary': 200 });
    expect(await r.setWeight(0)).toMatchObject({ achieved: 0, verified: true });
    expect(await recordWeights()).toEqual({ 'prod-shop-stable': 200, 'prod-shop-canary': 0 });
  });

  it('retries a Throttling answer with back-off on the injected clock', async () => {
    const proxy = await throttlingProxy(moto.endpoint, 1);
    try {
      const clock = new SteppingClock();
      const r = await router(proxy.endpoint, clock);
      await r.prepare(targets);
      expect(proxy.changes()).toBe(2); // the throttled call and its retry
      expect(clock.sleeps).toEqual([100]); // full jitter: random 0.5 × base 200 ms
      await r.setWeight(10);
      expect(await recordWeights()).toEqual({ 'prod-shop-stable': 180, 'prod-shop-canary': 20 });
    } finally {
      await proxy.close();
    }
  });

  it('gives up after the retry budget with exit code 5 and a message naming the call', async () => {
    const proxy = await throttlingProxy(moto.endpoint, 100);
    try {
      const r = await router(proxy.endpoint);
      await expect(r.setWeight(10)).rejects.toMatchObject({
        exitCode: 5,
        message: expect.stringMatching(
          /route53:ChangeResourceRecordSets .*Throttling.*gave up after retries/,
        ),
      });
      expect(proxy.changes()).toBe(5);
    } finally {
      await proxy.close();
    }
  });

  it('refuses to take over a name that has a non-weighted record', async () => {
    const { ChangeResourceRecordSetsCommand } = await import('@aws-sdk/client-route-53');
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: 'shop.example.com',
                Type: 'CNAME',
                TTL: 60,
                ResourceRecords: [{ Value: 'old.example.net' }],
              },
            },
          ],
        },
      }),
    );
    const r = await router();
    await expect(r.prepare(targets)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/non-weighted record/),
    });
  });
});
