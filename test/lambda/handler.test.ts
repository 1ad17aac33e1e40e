// The CodePipeline contract of the Lambda, with CodePipeline played by the loopback fake and the engine by a
// small stand-in that keeps its state outside the handler (as the cluster does): continuation across
// invocations, one result per invocation, failure types, and the never-throw rule.
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler, type Engine, type HandlerOptions } from '../../lambda/create-handler.js';
import { decodeToken } from '../../lambda/job.js';
import type { ReleaseState } from '../../src/core/release.js';
import type { AppOptions, ReleaseOptions, ReleaseResult } from '../../src/engine/api.js';
import { CodePipelineFake, type Invoke, type JobRun } from '../support/codepipeline-fake.js';

const CONFIG = 'app: shop\nnamespace: web\nimage:\n  repository: registry.example.com/shop\n';
const enc = (s: string) => new TextEncoder().encode(s);

let fake: CodePipelineFake;
beforeAll(async () => {
  fake = await CodePipelineFake.start();
  fake.putObject(
    'artifacts',
    'pipe/BuildOutpu/abc',
    zipSync({
      'kdeploy.yaml': enc(CONFIG),
      'imageDetail.json': enc('{"ImageURI":"registry.example.com/shop:v2"}'),
    }),
  );
  fake.putObject(
    'artifacts',
    'pipe/BuildOutpu/bad',
    zipSync({ 'kdeploy.yaml': enc('app: shop\nreplicas: many\n') }),
  );
});
afterAll(() => fake.stop());

const params = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ strategy: 'canary', cluster: { server: 'http://127.0.0.1:1' }, ...extra });
const artifact = { bucket: 'artifacts', key: 'pipe/BuildOutpu/abc' };

/** A release of `steps` steps of `stepMs` each; state lives in `store`, like the release record in the cluster. */
function stepEngine(
  store: Map<string, { id: string; done: number }>,
  steps: number,
  stepMs: number,
  calls: string[],
): Engine {
  const run = async (
    app: string,
    o: { deadline?: number; onEvent?: (e: never) => void },
  ): Promise<ReleaseResult> => {
    const rec = store.get(app)!;
    while (rec.done < steps) {
      if (o.deadline !== undefined && Date.now() + stepMs > o.deadline) {
        return {
          releaseId: rec.id,
          app,
          outcome: 'suspended',
          exitCode: 3,
          version: 'v1',
          release: { namespace: 'web' },
        } as ReleaseResult;
      }
      await new Promise((r) => setTimeout(r, stepMs));
      rec.done++;
    }
    return {
      releaseId: rec.id,
      app,
      outcome: 'completed',
      exitCode: 0,
      version: 'v2',
      release: { namespace: 'web' },
    } as ReleaseResult;
  };
  return {
    async release(o: ReleaseOptions) {
      calls.push(`release ${o.strategy} ${o.to} ${o.namespace ?? ''}`);
      store.set('shop', { id: `r-${store.size + 1}`, done: 0 });
      o.onEvent?.({ type: 'release-started', releaseId: store.get('shop')!.id, app: 'shop', at: 0 } as never);
      return run('shop', o);
    },
    async resume(o: AppOptions) {
      calls.push(`resume ${o.app} ${o.namespace}`);
      return run(o.app!, o);
    },
    async status(o: AppOptions) {
      return { release: store.has(o.app!) ? ({ id: store.get(o.app!)!.id } as ReleaseState) : null };
    },
  };
}

/** For engines whose releases end in the first invocation. */
const neverResumed = {
  resume: async (): Promise<never> => {
    throw new Error('not called');
  },
  status: async (): Promise<never> => {
    throw new Error('not called');
  },
};

function handlerWith(engine: Engine, extra: HandlerOptions = {}) {
  return createHandler({
    codepipeline: {
      endpoint: fake.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'lambda-role', secretAccessKey: 'x' },
    },
    s3: { endpoint: fake.endpoint, region: 'eu-west-1' },
    kube: async () => ({}) as never,
    engine: async () => engine,
    safetyMarginMs: 400,
    log: () => {},
    ...extra,
  });
}

/** Every invocation returned before the runtime's budget ran out (the Lambda's own clock, not the test's). */
function expectReturnedInBudget(run: JobRun) {
  for (const inv of run.invocations) expect(inv.remainingMs).toBeGreaterThan(0);
}

function expectOneResultPerInvocation(run: JobRun) {
  for (const inv of run.invocations) {
    expect(inv.threw).toBeUndefined();
    expect(inv.results.map((c) => c.action)).toHaveLength(1);
    expect(inv.results[0]!.error).toBeUndefined();
  }
}

describe('CodePipeline Lambda handler', () => {
  it('spans several invocations with continuation tokens and ends with output variables', async () => {
    const calls: string[] = [];
    const handler = handlerWith(stepEngine(new Map(), 8, 100, calls));
    const run = await fake.runJob({
      invoke: handler,
      userParameters: params({ to: 'v2' }),
      artifact,
      budgetMs: 800,
    });
    expectOneResultPerInvocation(run);
    expect(run.invocations.length).toBeGreaterThanOrEqual(3);
    expect(calls[0]).toBe('release canary v2 ');
    expect(calls.slice(1).every((c) => c === 'resume shop web')).toBe(true);
    // Every continuation points at the same release and carries nothing else.
    const tokens = run.invocations.slice(0, -1).map((i) => i.results[0]!.body.continuationToken as string);
    expect(tokens.map(decodeToken)).toEqual(
      tokens.map(() => ({ releaseId: 'r-1', app: 'shop', namespace: 'web' })),
    );
    expect(run.final?.action).toBe('PutJobSuccessResult');
    expect(run.final?.body.continuationToken).toBeUndefined();
    expect(run.final?.body.outputVariables).toEqual({
      version: 'v2',
      outcome: 'completed',
      releaseId: 'r-1',
    });
    // The artifact was read once, with the first job's own artifact credentials.
    const reads = fake.calls.filter((c) => c.action === 'S3:GetObject' && c.body.key === artifact.key);
    expect(reads.at(-1)?.error).toBeUndefined();
    expect(reads.at(-1)?.body.accessKey).toBe(
      run.invocations[0]!.event['CodePipeline.job'].data.artifactCredentials.accessKeyId,
    );
  });

  it('takes the version from imageDetail.json when UserParameters has no "to"', async () => {
    const calls: string[] = [];
    const run = await fake.runJob({
      invoke: handlerWith(stepEngine(new Map(), 1, 1, calls)),
      userParameters: params(),
      artifact,
      budgetMs: 5000,
    });
    expectOneResultPerInvocation(run);
    expect(calls[0]).toBe('release canary registry.example.com/shop:v2 ');
  });

  it('resumes on a fresh handler instance (a new container) from the token alone', async () => {
    const store = new Map<string, { id: string; done: number }>();
    const calls: string[] = [];
    const engine = stepEngine(store, 6, 100, calls);
    let instances = 0;
    // Each invocation gets a brand-new handler: no state survives but the "cluster" (store).
    const invoke: Invoke = (event, context) => {
      instances++;
      return handlerWith(engine)(event, context);
    };
    const run = await fake.runJob({ invoke, userParameters: params({ to: 'v2' }), artifact, budgetMs: 800 });
    expectOneResultPerInvocation(run);
    expect(instances).toBe(run.invocations.length);
    expect(run.invocations.length).toBeGreaterThan(1);
    expect(run.final?.body.outputVariables).toMatchObject({ outcome: 'completed' });
  });

  it('does not resume a release someone else started meanwhile', async () => {
    const store = new Map<string, { id: string; done: number }>();
    const calls: string[] = [];
    const engine = stepEngine(store, 8, 100, calls);
    const handler = handlerWith(engine);
    let n = 0;
    const invoke: Invoke = async (event, context) => {
      // Between the first and the second invocation a person aborts and starts their own release.
      if (++n === 2) store.set('shop', { id: 'r-someone', done: 0 });
      return handler(event, context);
    };
    const run = await fake.runJob({ invoke, userParameters: params({ to: 'v2' }), artifact, budgetMs: 800 });
    expectOneResultPerInvocation(run);
    expect(run.invocations).toHaveLength(2);
    expect(calls).toEqual(['release canary v2 ']);
    expect(run.final?.body.failureDetails).toEqual({
      type: 'JobFailed',
      message:
        'release r-1 of shop is no longer current (now: r-someone): someone started another release meanwhile',
      externalExecutionId: 'r-1',
    });
  });

  it('reports a failed release as JobFailed with the release id, once', async () => {
    const engine: Engine = {
      release: async () =>
        ({
          releaseId: 'r-9',
          app: 'shop',
          outcome: 'failed',
          exitCode: 1,
          version: 'v1',
          reason: 'analysis error-rate failed',
          release: { namespace: 'web' },
        }) as ReleaseResult,
      ...neverResumed,
    };
    const run = await fake.runJob({
      invoke: handlerWith(engine),
      userParameters: params({ to: 'v2' }),
      artifact,
      budgetMs: 5000,
    });
    expectOneResultPerInvocation(run);
    expect(run.invocations).toHaveLength(1);
    expect(run.final?.action).toBe('PutJobFailureResult');
    expect(run.final?.body.failureDetails).toEqual({
      type: 'JobFailed',
      message: 'shop v1 failed and was rolled back: analysis error-rate failed',
      externalExecutionId: 'r-9',
    });
  });

  it('turns an exception inside the engine into exactly one failure result, naming the release', async () => {
    const engine: Engine = {
      async release(o) {
        o.onEvent?.({ type: 'release-started', releaseId: 'r-5', app: 'shop', at: 0 } as never);
        throw new TypeError('x'.repeat(9000));
      },
      ...neverResumed,
    };
    const run = await fake.runJob({
      invoke: handlerWith(engine),
      userParameters: params({ to: 'v2' }),
      artifact,
      budgetMs: 5000,
    });
    expectOneResultPerInvocation(run);
    const details = run.final?.body.failureDetails as {
      type: string;
      message: string;
      externalExecutionId: string;
    };
    expect(details.type).toBe('JobFailed');
    expect(details.message.length).toBe(5000);
    expect(details.externalExecutionId).toBe('r-5');
  });

  it('maps errors with exit codes to failure types', async () => {
    const throwing = (err: unknown): Engine => ({
      release: async () => {
        throw err;
      },
      ...neverResumed,
    });
    const types: string[] = [];
    for (const err of [
      Object.assign(new Error('forbidden: kdeploy may not patch deployments'), {
        exitCode: 5,
        reason: 'Forbidden',
      }),
      Object.assign(new Error('cannot reach the cluster'), { exitCode: 5, reason: 'ECONNREFUSED' }),
      Object.assign(new Error('app shop is locked by ci/12'), { exitCode: 6 }),
    ]) {
      const run = await fake.runJob({
        invoke: handlerWith(throwing(err)),
        userParameters: params({ to: 'v2' }),
        artifact,
        budgetMs: 5000,
      });
      expectOneResultPerInvocation(run);
      types.push((run.final!.body.failureDetails as { type: string }).type);
    }
    expect(types).toEqual(['PermissionError', 'SystemUnavailable', 'JobFailed']);
  });

  it.each([
    ['not JSON', '{strategy: canary', 'UserParameters: not valid JSON'],
    ['an unknown strategy', params({ strategy: 'yolo' }), 'UserParameters: strategy:'],
    ['an unknown key', params({ stratgy: 'canary' }), 'stratgy'],
    [
      'an unresolved variable',
      params({ to: '#{BuildVariables.IMAGE_TAG}' }),
      'unresolved CodePipeline variable',
    ],
    ['a wrong app', params({ app: 'cart', to: 'v2' }), '"cart" does not match app "shop"'],
  ])(
    'rejects UserParameters with %s as ConfigurationError before touching anything',
    async (_what, userParameters, message) => {
      const calls: string[] = [];
      const run = await fake.runJob({
        invoke: handlerWith(stepEngine(new Map(), 1, 1, calls)),
        userParameters,
        artifact,
        budgetMs: 5000,
      });
      expectOneResultPerInvocation(run);
      expect(calls).toEqual([]);
      const details = run.final?.body.failureDetails as { type: string; message: string };
      expect(details.type).toBe('ConfigurationError');
      expect(details.message).toContain(message);
    },
  );

  it('rejects a bad kdeploy.yaml in the artifact as ConfigurationError naming the field', async () => {
    const calls: string[] = [];
    const run = await fake.runJob({
      invoke: handlerWith(stepEngine(new Map(), 1, 1, calls)),
      userParameters: params({ to: 'v2' }),
      artifact: { bucket: 'artifacts', key: 'pipe/BuildOutpu/bad' },
      budgetMs: 5000,
    });
    expectOneResultPerInvocation(run);
    expect(calls).toEqual([]);
    expect(run.final?.body.failureDetails).toMatchObject({
      type: 'ConfigurationError',
      message: expect.stringMatching(/replicas/),
    });
  });

  it('reports a missing artifact object as RevisionUnavailable', async () => {
    const run = await fake.runJob({
      invoke: handlerWith(stepEngine(new Map(), 1, 1, [])),
      userParameters: params({ to: 'v2' }),
      artifact: { bucket: 'artifacts', key: 'gone' },
      budgetMs: 5000,
    });
    expectOneResultPerInvocation(run);
    expect(run.final?.body.failureDetails).toMatchObject({ type: 'RevisionUnavailable' });
  });

  it('hands over with a token when the engine ignores its deadline', async () => {
    const engine: Engine = {
      async release(o) {
        o.onEvent?.({ type: 'release-started', releaseId: 'r-7', app: 'shop', at: 0 } as never);
        return new Promise<never>(() => {});
      },
      resume: async () =>
        ({
          releaseId: 'r-7',
          app: 'shop',
          outcome: 'completed',
          exitCode: 0,
          version: 'v2',
          release: { namespace: 'web' },
        }) as ReleaseResult,
      status: async () => ({ release: { id: 'r-7' } as ReleaseState }),
    };
    const run = await fake.runJob({
      invoke: handlerWith(engine),
      userParameters: params({ to: 'v2' }),
      artifact,
      budgetMs: 1000,
    });
    expectOneResultPerInvocation(run);
    expect(run.invocations).toHaveLength(2);
    expect(decodeToken(run.invocations[0]!.results[0]!.body.continuationToken as string)).toEqual({
      releaseId: 'r-7',
      app: 'shop',
      namespace: 'web',
    });
    // It stopped waiting at deadline + margin/2, inside the budget.
    expectReturnedInBudget(run);
  });

  it('reports in time when S3 never answers', async () => {
    const silent = createServer(() => {});
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const handler = handlerWith(stepEngine(new Map(), 1, 1, []), {
        s3: { endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, region: 'eu-west-1' },
      });
      const run = await fake.runJob({
        invoke: handler,
        userParameters: params({ to: 'v2' }),
        artifact,
        budgetMs: 1000,
      });
      expectOneResultPerInvocation(run);
      expect(run.final?.body.failureDetails).toMatchObject({ type: 'SystemUnavailable' });
      expectReturnedInBudget(run);
    } finally {
      silent.close();
    }
  });

  it('returns normally when even the report fails', async () => {
    const handler = handlerWith(stepEngine(new Map(), 1, 1, []), {
      codepipeline: {
        endpoint: 'http://127.0.0.1:1',
        region: 'eu-west-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        maxAttempts: 1,
      },
    });
    const event = fake.newJob({ userParameters: params({ to: 'v2' }), artifact });
    const summary = await handler(event, { getRemainingTimeInMillis: () => 5000 });
    expect(summary).toMatchObject({ reported: false, result: { kind: 'success' } });
  });

  it('refuses a job that declares output artifacts', async () => {
    const run = await fake.runJob({
      invoke: handlerWith(stepEngine(new Map(), 1, 1, [])),
      userParameters: params({ to: 'v2' }),
      artifact,
      budgetMs: 5000,
      outputArtifacts: [
        {
          name: 'Out',
          revision: null,
          location: { type: 'S3', s3Location: { bucketName: 'b', objectKey: 'k' } },
        },
      ],
    });
    expectOneResultPerInvocation(run);
    expect(run.final?.body.failureDetails).toMatchObject({
      type: 'ConfigurationError',
      message: expect.stringContaining('outputArtifacts'),
    });
  });
});
