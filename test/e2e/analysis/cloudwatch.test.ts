import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudWatch } from '../../../src/analysis/providers/cloudwatch.js';
import { replayAnalysis } from '../../../src/analysis/replay.js';
import { type MetricDefinition, runAnalysis } from '../../../src/analysis/runner.js';
import { RealClock } from '../../../src/core/clock.js';
import type { MetricVars } from '../../../src/core/ports.js';
import { type Moto, startMoto } from '../../support/moto.js';

// The cloudwatch provider against moto's server: ALB-style metrics fed with PutMetricData, read back with
// GetMetricData over the wire protocol the provider pins (AWS JSON 1.0). moto answers metric-math queries
// (`err / req`) with no datapoints, so these tests read the 5XX count itself; the math shape of a request is
// covered by test/analysis/cloudwatch.test.ts.
const vars: MetricVars = { app: 'checkout', namespace: 'shop', stableVersion: 'v1', canaryVersion: 'v2' };
const REGION = 'eu-west-1';
const MINUTE = 60_000;
let moto: Moto;
const now = Math.floor(Date.now() / MINUTE) * MINUTE;
// Canary 5XX per minute, oldest first, with 1000 requests a minute: 0.1 % … then 3 % in the last two minutes.
const errors = [1, 1, 2, 1, 30, 30];
const at = (i: number) => new Date(now - (errors.length - 1 - i) * MINUTE);

beforeAll(async () => {
  moto = await startMoto();
  const cw = new CloudWatchClient({ region: REGION, endpoint: moto.endpoint, credentials: moto.credentials });
  const dimensions = [
    { Name: 'LoadBalancer', Value: 'app/shop/50dc6c495c0c9188' },
    { Name: 'TargetGroup', Value: 'targetgroup/checkout-v2/9a1b2c3d4e5f6a7b' },
  ];
  await cw.send(
    new PutMetricDataCommand({
      Namespace: 'AWS/ApplicationELB',
      MetricData: errors.flatMap((n, i) => [
        {
          MetricName: 'HTTPCode_Target_5XX_Count',
          Dimensions: dimensions,
          Timestamp: at(i),
          Value: n,
          Unit: 'Count' as const,
        },
        {
          MetricName: 'RequestCount',
          Dimensions: dimensions,
          Timestamp: at(i),
          Value: 1000,
          Unit: 'Count' as const,
        },
      ]),
    }),
  );
});
afterAll(() => moto?.stop());

const stat = (id: string, name: string) => ({
  Id: id,
  ReturnData: false,
  MetricStat: {
    Period: 60,
    Stat: 'Sum',
    Metric: {
      Namespace: 'AWS/ApplicationELB',
      MetricName: name,
      Dimensions: [
        { Name: 'LoadBalancer', Value: 'app/shop/50dc6c495c0c9188' },
        { Name: 'TargetGroup', Value: 'targetgroup/{{app}}-{{canaryVersion}}/9a1b2c3d4e5f6a7b' },
      ],
    },
  },
});
const options = () => ({
  region: REGION,
  endpoint: moto.endpoint,
  window: 10 * MINUTE,
  queries: [{ ...stat('err', 'HTTPCode_Target_5XX_Count'), ReturnData: true }, stat('req', 'RequestCount')],
});
const context = () => ({ awsCredentials: moto.credentials });

describe('cloudwatch provider on moto', () => {
  it('reads the 5XX count of the canary target group, newest datapoint first', async () => {
    const { provider, query } = await createCloudWatch(options(), context());
    const m = await provider.measure(query, vars);
    expect(m.values).toEqual([30, 30, 1, 2, 1, 1]);
    expect(m.at).toBe(at(errors.length - 1).getTime());
  });

  it('fails an analysis on it, and gives no data for a target group without datapoints', async () => {
    const metric: MetricDefinition = {
      name: 'alb-5xx',
      provider: { cloudwatch: options() },
      interval: 1000,
      count: 1,
      failureCondition: 'result > 10',
      failureLimit: 0,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 0,
    };
    const clock = new RealClock();
    const failed = await runAnalysis({ metrics: [metric], vars, clock, context: context() });
    expect(failed).toMatchObject({
      verdict: 'failed',
      reason: expect.stringMatching(/^alb-5xx: 1 failed measurement/),
    });
    const none = await runAnalysis({
      metrics: [metric],
      vars: { ...vars, canaryVersion: 'v9' },
      clock,
      context: context(),
    });
    expect(none.metrics['alb-5xx']!.recent[0]).toMatchObject({ phase: 'no-data' });
  });

  it('replays the window minute by minute and finds where the analysis would have failed', async () => {
    const report = await replayAnalysis({
      metrics: [
        {
          name: 'alb-5xx',
          provider: { cloudwatch: options() },
          interval: MINUTE,
          failureCondition: 'result > 10',
          failureLimit: 0,
          inconclusiveLimit: 0,
          consecutiveErrorLimit: 0,
        },
      ],
      vars,
      from: at(0).getTime(),
      // Through the end of the last minute: its period is complete, as moto (and a careful replay) wants it.
      to: now + MINUTE - 1,
      context: context(),
    });
    expect(report.metrics[0]!.measurements.map((r) => r.values[0])).toEqual([1, 1, 2, 1, 30, 30]);
    expect(report).toMatchObject({ verdict: 'failed', decidedAt: at(4).getTime() });
  });
});
