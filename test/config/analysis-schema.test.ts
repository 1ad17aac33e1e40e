import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { prepareMetrics } from '../../src/analysis/runner.js';
import { analysisSchema } from '../../src/config/analysis-schema.js';
import { parseConfig } from '../../src/config/load.js';
import { sections } from '../support/sections.js';

const prometheus = { prometheus: { address: 'http://prometheus:9090', query: 'up' } };
const issues = (input: unknown) =>
  analysisSchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

describe('analysis schema', () => {
  it('fills the defaults a metric runs with', () => {
    const out = analysisSchema.parse({
      metrics: [{ name: 'error-rate', provider: prometheus, successCondition: 'result < 0.01' }],
    });
    expect(out.metrics[0]).toMatchObject({
      interval: 60_000,
      failureLimit: 0,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 4,
      provider: { prometheus: { timeout: 30_000, headers: {} } },
    });
    expect(out.judge).toEqual({ pass: 95, marginal: 75 });
  });

  it('rejects a failureLimit the metric can never exceed', () => {
    expect(issues({ metrics: [{ name: 'm', provider: prometheus, count: 3, failureLimit: 3 }] })).toEqual([
      'metrics.0.failureLimit: must be less than count (3), or the metric can never fail',
    ]);
  });

  it('accepts judge metrics only where there is history to compare', () => {
    expect(issues({ metrics: [{ name: 'm', provider: prometheus, judge: {} }] })).toEqual([]);
    expect(
      issues({ metrics: [{ name: 'm', provider: { kubernetes: { check: 'restarts' } }, judge: {} }] }),
    ).toEqual([
      'metrics.0.judge: the judge compares samples over time: it needs a prometheus or cloudwatch metric',
    ]);
  });

  it('checks CloudWatch query ids and that exactly one query returns data', () => {
    const cw = (queries: unknown[]) => ({ metrics: [{ name: 'm', provider: { cloudwatch: { queries } } }] });
    expect(
      issues(
        cw([
          { Id: 'err', ReturnData: false },
          { Id: 'rate', Expression: 'err / 2' },
        ]),
      ),
    ).toEqual([]);
    expect(issues(cw([{ Id: 'Err' }]))).toEqual([
      'metrics.0.provider.cloudwatch.queries.0.Id: expected a lower-case letter, then letters, digits or _',
    ]);
    expect(issues(cw([{ Id: 'a' }, { Id: 'b' }]))).toEqual([
      'metrics.0.provider.cloudwatch.queries: exactly one query must return data: set ReturnData: false on the others',
    ]);
  });
});

describe('examples/canary.yaml', () => {
  it('has metrics whose conditions and queries check out', async () => {
    const text = readFileSync(new URL('../../examples/canary.yaml', import.meta.url), 'utf8');
    const { config } = parseConfig(text, { file: 'examples/canary.yaml', purpose: 'render', sections });
    const vars = { app: 'checkout', namespace: 'shop', stableVersion: 'v1', canaryVersion: 'v2' };
    const metrics = await prepareMetrics(config.analysis.metrics, { vars });
    expect(metrics.map((m) => m.name)).toEqual(['error-rate', 'p99-latency']);
  });
});

describe('analysis schema: checked before a release starts', () => {
  it('rejects a condition that is not valid CEL, naming the field', () => {
    expect(issues({ metrics: [{ name: 'm', provider: prometheus, successCondition: 'result <' }] })).toEqual([
      expect.stringMatching(/^metrics\.0\.successCondition: not a valid CEL condition: Unexpected/),
    ]);
    expect(
      issues({ metrics: [{ name: 'm', provider: prometheus, failureCondition: 'result[0] > 1' }] }),
    ).toEqual([expect.stringMatching(/^metrics\.0\.failureCondition: .*\(result is the first value/)]);
  });

  it('rejects query variables a release never has, in every provider', () => {
    const m = (provider: unknown) => ({ metrics: [{ name: 'm', provider }] });
    expect(
      issues(
        m({
          prometheus: { address: 'http://p:9090', query: 'up{v="{{canaryVersion}}",h="{{ canaryHash }}"}' },
        }),
      ),
    ).toEqual([
      'metrics.0.provider.prometheus.query: {{canaryHash}} is not a query variable; variables: app, namespace, stableVersion, canaryVersion, stablePodTemplateHash, canaryPodTemplateHash, version, track',
    ]);
    expect(
      issues(m({ http: { url: 'http://x/{{ap}}', headers: { 'x-v': '{{versio}}' }, jsonPath: '$.v' } })),
    ).toEqual([
      expect.stringMatching(/^metrics\.0\.provider\.http\.url: \{\{ap\}\} is not/),
      expect.stringMatching(/^metrics\.0\.provider\.http\.headers\.x-v: \{\{versio\}\} is not/),
    ]);
    expect(
      issues(
        m({
          cloudwatch: {
            queries: [{ Id: 'a', MetricStat: { Metric: { Dimensions: [{ Value: '{{tg}}' }] } } }],
          },
        }),
      ),
    ).toEqual([expect.stringMatching(/^metrics\.0\.provider\.cloudwatch\.queries: \{\{tg\}\} is not/)]);
    expect(
      issues(
        m({
          prometheus: { address: 'http://p:9090', query: '{{! note }}up{app="{{app}}",v="{{{version}}}"}' },
        }),
      ),
    ).toEqual([]);
  });
});
