// The Lambda driving real releases on the simulated cluster, with CodePipeline played by the loopback fake:
// a canary longer than one invocation, a failing release, an engine error, and a cold start mid-release
// (the built bundle in a fresh node process, as a new Lambda container runs it). In every scenario each
// invocation reports exactly one PutJob*Result.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createHandler } from '../../lambda/create-handler.js';
import { decodeToken } from '../../lambda/job.js';
import { promote, type ReleaseResult, release } from '../../src/engine/api.js';
import type { SimulatedCluster } from '../../src/sim/index.js';
import { CodePipelineFake, type Invoke, type JobRun } from '../support/codepipeline-fake.js';
import { appConfig, cluster, runOptions, startSim } from '../support/engine-sim.js';

const CHILD = fileURLToPath(new URL('../support/lambda-child.mjs', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../../dist/lambda/index.mjs', import.meta.url));
const MARGIN_MS = 1000;
const BUDGET_MS = 2500;

let sim: SimulatedCluster;
let fake: CodePipelineFake;
beforeAll(async () => {
  [sim, fake] = await Promise.all([startSim(), CodePipelineFake.start()]);
});
afterAll(async () => {
  await Promise.all([sim?.close(), fake?.stop()]);
});

const steps = [
  { setWeight: 25 },
  { pause: { duration: '1s' } },
  { setWeight: 50 },
  { pause: { duration: '1s' } },
];

/** An app on v1 (released directly), and its kdeploy.yaml + imageDetail.json for `to` in the artifact. */
async function appOnV1(to: string, canarySteps: object[] = steps) {
  const config = appConfig(sim, { replicas: 2, strategy: { canary: { steps: canarySteps } } } as never);
  const first = await release({ ...runOptions(sim), config, strategy: 'canary', to: 'v1' });
  expect(first.outcome, first.reason).toBe('completed');
  const key = `pipe/BuildOutpu/${config.namespace}`;
  const enc = (s: string) => new TextEncoder().encode(s);
  fake.putObject(
    'artifacts',
    key,
    zipSync({
      'kdeploy.yaml': enc(stringify(config)),
      'imageDetail.json': enc(JSON.stringify({ ImageURI: `registry.example/web:${to}` })),
    }),
  );
  return { namespace: config.namespace, artifact: { bucket: 'artifacts', key } };
}

const userParameters = () => JSON.stringify({ strategy: 'canary', app: 'web', cluster: { server: sim.url } });

function inProcess(): Invoke {
  return createHandler({
    codepipeline: {
      endpoint: fake.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'lambda-role', secretAccessKey: 'x' },
    },
    s3: { endpoint: fake.endpoint, region: 'eu-west-1' },
    safetyMarginMs: MARGIN_MS,
    log: () => {},
  });
}

/** One invocation in a fresh node process running the built bundle, configured as template.yaml does: by env. */
const coldStart: Invoke = async (event, context) => {
  const child = spawn(process.execPath, [CHILD], {
    stdio: ['pipe', 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'lambda-role',
      AWS_SECRET_ACCESS_KEY: 'x',
      KDEPLOY_AWS_ENDPOINT: fake.endpoint,
      KDEPLOY_CODEPIPELINE_ENDPOINT: fake.endpoint,
      KDEPLOY_SAFETY_MARGIN_MS: String(MARGIN_MS),
    },
  });
  child.stdin.end(JSON.stringify({ event, budgetMs: context.getRemainingTimeInMillis() }));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`the Lambda process exited with ${code}`);
};

function expectOneResultPerInvocation(run: JobRun) {
  for (const inv of run.invocations) {
    expect(inv.threw).toBeUndefined();
    expect(inv.results).toHaveLength(1);
    expect(inv.results[0]!.error).toBeUndefined();
  }
}

async function deployed(namespace: string) {
  const list = await cluster(sim, namespace).list<{
    metadata?: { name?: string };
    spec?: { template?: { spec?: { containers?: { image?: string }[] } } };
  }>('apps/v1', 'Deployment', { namespace });
  return Object.fromEntries(
    list.items.map((d) => [d.metadata?.name, d.spec?.template?.spec?.containers?.[0]?.image]),
  );
}

describe('CodePipeline Lambda on the simulated cluster', () => {
  it('runs a canary across several invocations and completes with output variables', async () => {
    const { namespace, artifact } = await appOnV1('v2');
    const run = await fake.runJob({
      invoke: inProcess(),
      userParameters: userParameters(),
      artifact,
      budgetMs: BUDGET_MS,
    });
    expectOneResultPerInvocation(run);
    expect(run.invocations.length).toBeGreaterThan(1);
    const releaseId = decodeToken(run.invocations[0]!.results[0]!.body.continuationToken as string).releaseId;
    expect(run.final?.action).toBe('PutJobSuccessResult');
    expect(run.final?.body.outputVariables).toEqual({ version: 'v2', outcome: 'completed', releaseId });
    expect(await deployed(namespace)).toEqual({ web: 'registry.example/web:v2' });
  });

  it('reports a failing release (crashing canary pods) as JobFailed after rolling back', async () => {
    const { namespace, artifact } = await appOnV1('crash-v2');
    const run = await fake.runJob({
      invoke: inProcess(),
      userParameters: userParameters(),
      artifact,
      budgetMs: 20_000,
    });
    expectOneResultPerInvocation(run);
    expect(run.final?.action).toBe('PutJobFailureResult');
    expect(run.final?.body.failureDetails).toMatchObject({
      type: 'JobFailed',
      message: expect.stringMatching(/crash/i),
    });
    expect(await deployed(namespace)).toEqual({ web: 'registry.example/web:v1' });
  });

  it('reports an engine error (the API server failing every write) as one failure result', async () => {
    const { artifact, namespace } = await appOnV1('v2');
    const heal = sim.faults.inject({
      kind: 'error',
      verb: 'create',
      resource: 'deployments',
      namespace,
      count: 1000,
    });
    try {
      const run = await fake.runJob({
        invoke: inProcess(),
        userParameters: userParameters(),
        artifact,
        budgetMs: 20_000,
      });
      expectOneResultPerInvocation(run);
      expect(run.final?.action).toBe('PutJobFailureResult');
      // A 500 on every create is exit 5 (cluster unavailable, state left safe).
      expect(run.final?.body.failureDetails).toMatchObject({
        type: 'SystemUnavailable',
        message: expect.stringMatching(/500/),
      });
    } finally {
      heal();
    }
  });

  it('keeps the action going while the canary waits for kdeploy promote, then completes', async () => {
    const { namespace, artifact } = await appOnV1('v2', [{ setWeight: 50 }, { pause: {} }]);
    let calls = 0;
    let promoted: Promise<ReleaseResult> | undefined;
    const handler = inProcess();
    // A person promotes while CodePipeline keeps re-invoking the paused action.
    const invoke: Invoke = (event, context) => {
      if (++calls === 3) promoted = Promise.resolve(promote({ ...runOptions(sim), app: 'web', namespace }));
      return handler(event, context);
    };
    const run = await fake.runJob({
      invoke,
      userParameters: userParameters(),
      artifact,
      budgetMs: BUDGET_MS,
    });
    expectOneResultPerInvocation(run);
    const summaries = run.invocations.map(
      (i) => (i.results[0]!.body.executionDetails as { summary: string }).summary,
    );
    expect(summaries.slice(0, 2)).toEqual([
      expect.stringMatching(/waiting for `kdeploy promote`/),
      expect.stringMatching(/waiting for `kdeploy promote`/),
    ]);
    expect(run.final?.body.outputVariables).toMatchObject({ version: 'v2', outcome: 'completed' });
    expect((await promoted)?.outcome).toBe('completed');
    expect(await deployed(namespace)).toEqual({ web: 'registry.example/web:v2' });
  });

  it('resumes after a cold start: later invocations run the built bundle in fresh processes', async () => {
    expect(existsSync(BUNDLE), 'dist/lambda/index.mjs is missing: run `npm run build` (npm test does)').toBe(
      true,
    );
    const { namespace, artifact } = await appOnV1('v3');
    let calls = 0;
    // The first invocation in this process, every later one in a new one.
    const first = inProcess();
    const invoke: Invoke = (event, context) =>
      calls++ === 0 ? first(event, context) : coldStart(event, context);
    const run = await fake.runJob({
      invoke,
      userParameters: userParameters(),
      artifact,
      budgetMs: BUDGET_MS,
    });
    expectOneResultPerInvocation(run);
    expect(run.invocations.length).toBeGreaterThan(1);
    expect(run.final?.body.outputVariables).toMatchObject({ version: 'v3', outcome: 'completed' });
    expect(await deployed(namespace)).toEqual({ web: 'registry.example/web:v3' });
  });
});
