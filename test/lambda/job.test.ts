// The pure CodePipeline decisions: what each engine outcome and error becomes, and the limits CodePipeline
// enforces on what the Lambda sends.
import { describe, expect, it } from 'vitest';
import {
  decodeToken,
  type EngineResult,
  encodeToken,
  failure,
  failureTypeOf,
  MAX_TOKEN,
  parseUserParameters,
  resultFor,
} from '../../lambda/job.js';
import { ConfigError } from '../../src/config/errors.js';

const result = (outcome: EngineResult['outcome'], extra: Partial<EngineResult> = {}): EngineResult => ({
  releaseId: '20260101-120000-abcd',
  app: 'shop',
  outcome,
  exitCode: 0,
  version: 'v2',
  ...extra,
});

describe('resultFor', () => {
  it('continues a suspended release with a pointer token and progress, without output variables', () => {
    const r = resultFor(result('suspended', { reason: 'deadline reached' }), 'web', {
      step: 5,
      total: 11,
      weight: 25,
    });
    expect(r).toEqual({
      kind: 'success',
      continuationToken: '{"v":1,"releaseId":"20260101-120000-abcd","app":"shop","namespace":"web"}',
      executionDetails: {
        externalExecutionId: '20260101-120000-abcd',
        percentComplete: 45,
        summary: 'shop v2 in progress, canary at 25%: deadline reached',
      },
    });
  });

  it('keeps a paused release going (waiting for promote) and never reports 100% before the end', () => {
    const r = resultFor(result('paused'), 'web', { step: 11, total: 11 });
    expect(r.kind === 'success' && r.continuationToken).toBeTruthy();
    expect(r.kind === 'success' && r.executionDetails).toMatchObject({
      percentComplete: 99,
      summary: 'shop v2 paused, waiting for `kdeploy promote`',
    });
  });

  it('fails aborted releases as JobFailed with the release id', () => {
    expect(resultFor(result('aborted', { version: 'v1', reason: 'aborted by ops@laptop' }), 'web')).toEqual(
      failure('JobFailed', 'shop v1 was aborted: aborted by ops@laptop', '20260101-120000-abcd'),
    );
  });
});

describe('limits', () => {
  it('clips failure messages to 5000 characters and never sends an empty one', () => {
    const long = failure('JobFailed', 'x'.repeat(6000));
    expect(long.kind === 'failure' && long.failureDetails.message).toHaveLength(5000);
    expect(failure('JobFailed', '  ')).toMatchObject({
      failureDetails: { message: 'kdeploy failed without a message' },
    });
  });

  it('round-trips the continuation token and refuses one that is too long or foreign', () => {
    const c = { releaseId: 'r1', app: 'shop', namespace: 'web' };
    expect(decodeToken(encodeToken(c))).toEqual(c);
    expect(() => encodeToken({ ...c, app: 'a'.repeat(MAX_TOKEN) })).toThrow(/over 2048/);
    expect(() => decodeToken('{"previous_job_id":"x"}')).toThrow(ConfigError);
    expect(() => decodeToken('not json')).toThrow(/not a kdeploy continuation token/);
  });
});

describe('parseUserParameters', () => {
  it('applies defaults and accepts an EKS cluster', () => {
    expect(parseUserParameters('{"strategy":"rolling","cluster":{"eks":{"name":"prod"}}}')).toEqual({
      strategy: 'rolling',
      config: 'kdeploy.yaml',
      cluster: { eks: { name: 'prod' } },
    });
  });

  it.each([
    ['{"strategy":"canary","cluster":{}}', 'cluster: expected eks: {name, region} or server'],
    ['{"strategy":"canary","cluster":{"eks":{"name":"p","region":"mars"}}}', 'cluster.eks.region'],
    ['{"strategy":"canary","cluster":{"server":"ftp://x"}}', 'cluster.server'],
    ['[]', 'UserParameters'],
    [
      '{"strategy":"canry"}',
      'strategy: expected a registered strategy (did you mean "canary"? known: rolling, bluegreen, canary)',
    ],
  ])('names the field in %s', (text, field) => {
    expect(() => parseUserParameters(text)).toThrow(field);
  });
});

describe('failureTypeOf', () => {
  it('maps exit codes and AWS error names to CodePipeline failure types', () => {
    const err = (props: object) => Object.assign(new Error('x'), props);
    expect(failureTypeOf(new ConfigError([{ path: [], source: 's', message: 'm' }]))).toBe(
      'ConfigurationError',
    );
    expect(failureTypeOf(err({ exitCode: 5, reason: 'Unauthorized' }))).toBe('PermissionError');
    expect(failureTypeOf(err({ name: 'AccessDenied' }))).toBe('PermissionError');
    expect(failureTypeOf(err({ name: 'NoSuchKey' }))).toBe('RevisionUnavailable');
    expect(failureTypeOf(err({ exitCode: 1 }))).toBe('JobFailed');
  });
});
