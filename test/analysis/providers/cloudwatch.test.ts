import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createCloudWatch } from '../../../src/analysis/providers/cloudwatch.js';

// The SDK mocked at client.send: what the provider asks for and how it reads answers. The real wire protocol
// is exercised against moto in test/e2e/analysis/cloudwatch.test.ts.
const cw = mockClient(CloudWatchClient);
afterEach(() => cw.reset());

import { vars } from '../../support/metric-vars.js';

const queries = [
  {
    Id: 'err',
    ReturnData: false,
    MetricStat: {
      Period: 60,
      Stat: 'Sum',
      Metric: {
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'HTTPCode_Target_5XX_Count',
        Dimensions: [{ Name: 'TargetGroup', Value: 'targetgroup/{{app}}-canary/1' }],
      },
    },
  },
  { Id: 'rate', Expression: 'err / 100', ReturnData: true },
];
const clock = { now: () => Date.parse('2025-01-01T10:05:30Z'), sleep: async () => {} };
const t = (hhmm: string) => new Date(`2025-01-01T${hhmm}:00Z`);

async function provider() {
  const bound = await createCloudWatch(
    { region: 'eu-west-1', window: 300_000, queries },
    { clock, awsCredentials: { accessKeyId: 'a', secretAccessKey: 'b' } },
  );
  return bound;
}

describe('cloudwatch provider', () => {
  it('asks for the window ending now with the templates rendered, newest value first', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        {
          Id: 'rate',
          StatusCode: 'Complete',
          Timestamps: [t('10:01'), t('10:02'), t('10:03')],
          Values: [0.01, 0.02, 0.07],
        },
      ],
    });
    const { provider: p, query } = await provider();
    const m = await p.measure(query, vars);
    expect(m.values).toEqual([0.07, 0.02, 0.01]);
    expect(m.at).toBe(t('10:03').getTime());
    const input = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    // The start on a whole minute (as CloudWatch rounds it), the end just past now (EndTime is exclusive).
    expect(input.StartTime).toEqual(t('10:00'));
    expect(input.EndTime).toEqual(new Date(Date.parse('2025-01-01T10:05:30.001Z')));
    expect(input.MetricDataQueries?.[0]?.MetricStat?.Metric?.Dimensions?.[0]?.Value).toBe(
      'targetgroup/checkout-canary/1',
    );
  });

  it('follows NextToken and merges the pages; an empty window is no data', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        NextToken: 'n1',
        MetricDataResults: [{ Id: 'rate', StatusCode: 'PartialData', Timestamps: [t('10:01')], Values: [1] }],
      })
      .resolvesOnce({
        MetricDataResults: [{ Id: 'rate', StatusCode: 'Complete', Timestamps: [t('10:02')], Values: [2] }],
      })
      .resolves({ MetricDataResults: [{ Id: 'rate', StatusCode: 'Complete', Timestamps: [], Values: [] }] });
    const { provider: p, query } = await provider();
    const range = await p.measureRange!(query, vars, t('10:00').getTime(), t('10:05').getTime(), 60_000);
    expect(range.points).toEqual([
      { at: t('10:01').getTime(), values: [1] },
      { at: t('10:02').getTime(), values: [2] },
    ]);
    expect(cw.commandCalls(GetMetricDataCommand)[1]!.args[0].input.NextToken).toBe('n1');
    expect((await p.measure(query, vars)).values).toEqual([]);
  });

  it('reports Forbidden and SDK errors as provider errors', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'rate', StatusCode: 'Forbidden', Messages: [{ Code: 'x', Value: 'denied' }] },
      ],
    });
    const { provider: p, query } = await provider();
    await expect(p.measure(query, vars)).rejects.toMatchObject({
      retryable: false,
      message: 'cloudwatch rate: forbidden x: denied',
    });
    cw.on(GetMetricDataCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'Throttling',
        $metadata: { httpStatusCode: 400 },
        $retryable: { throttling: true },
      }),
    );
    await expect(p.measure(query, vars)).rejects.toMatchObject({
      retryable: true,
      message: 'cloudwatch GetMetricData: Throttling: Rate exceeded',
    });
  });
});
