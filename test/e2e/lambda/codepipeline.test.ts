// The CodePipeline Lambda against real components: the input artifact is an SSE-KMS zip in moto's S3
// (key without .zip, as CodePipeline names them), read with the job's artifact credentials; the releases run
// on the test bed's real control plane (KWOK pods); CodePipeline is the loopback fake, which re-invokes on
// every continuation token. Every invocation must report exactly one PutJob*Result.
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createHandler } from '../../../lambda/create-handler.js';
import { decodeToken } from '../../../lambda/job.js';
import { release } from '../../../src/engine/api.js';
import { nodeTransport } from '../../../src/kube/transport-node.js';
import { CodePipelineFake, type JobRun } from '../../support/codepipeline-fake.js';
import { type Moto, startMoto } from '../../support/moto.js';
import { testbedKubeConfig, useTestNamespace } from '../../testbed/namespace.js';

const region = 'eu-west-1';
const bucket = 'codepipeline-eu-west-1-123456789012';
const ns = useTestNamespace('lambda');
let moto: Moto;
let fake: CodePipelineFake;
let s3: S3Client;

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), CodePipelineFake.start()]);
  const access = { region, endpoint: moto.endpoint, credentials: moto.credentials, forcePathStyle: true };
  s3 = new S3Client(access);
  await s3.send(
    new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: region } }),
  );
});
afterAll(async () => {
  await Promise.all([moto?.stop(), fake?.stop()]);
});

const steps = [
  { setWeight: 25 },
  { pause: { duration: '2s' } },
  { setWeight: 50 },
  { pause: { duration: '2s' } },
];
const config = (app: string) => ({
  app,
  namespace: ns.name,
  image: { repository: 'registry.example/shop' },
  replicas: 2,
  strategy: { canary: { steps } },
});

/** Uploads the build output as CodePipeline stores it and returns its location. */
async function uploadArtifact(app: string, image: string, revision: string) {
  const enc = (s: string) => new TextEncoder().encode(s);
  const key = `shop-pipeline/BuildOutpu/${revision}`;
  const Body = zipSync({
    'kdeploy.yaml': enc(stringify(config(app))),
    'imageDetail.json': enc(JSON.stringify({ ImageURI: image })),
  });
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body, ServerSideEncryption: 'aws:kms' }));
  return { bucket, key };
}

function bedTransport() {
  const kc = testbedKubeConfig();
  const cluster = kc.getCurrentCluster();
  const token = kc.getCurrentUser()?.token;
  if (!cluster?.caData || !token) throw new Error('the bed kubeconfig has no inline CA or token');
  return nodeTransport({ server: cluster.server, caData: cluster.caData, token: () => token });
}

const handler = () =>
  createHandler({
    codepipeline: {
      endpoint: fake.endpoint,
      region,
      credentials: { accessKeyId: 'lambda-role', secretAccessKey: 'x' },
    },
    s3: { endpoint: moto.endpoint, region },
    // The Lambda's own transport with the bed's CA and admin token standing in for the EKS token (which is
    // covered on moto in test/e2e/aws/eks.test.ts).
    kube: async () => ({ transport: bedTransport() }),
    safetyMarginMs: 1500,
    log: () => {},
  });

function expectOneResultPerInvocation(run: JobRun) {
  for (const inv of run.invocations) {
    expect(inv.threw).toBeUndefined();
    expect(inv.results).toHaveLength(1);
    expect(inv.results[0]!.error).toBeUndefined();
  }
}

describe('CodePipeline Lambda (moto S3 + real control plane)', () => {
  it('releases a canary over several invocations, then reports a crashing one as JobFailed', async () => {
    const first = await release({
      config: config('shop'),
      strategy: 'canary',
      to: 'v1',
      kubeconfig: testbedKubeConfig(),
    });
    expect(first.outcome, first.reason).toBe('completed');

    const cluster = { server: testbedKubeConfig().getCurrentCluster()!.server };
    const userParameters = JSON.stringify({ strategy: 'canary', app: 'shop', to: 'v2', cluster });
    const ok = await fake.runJob({
      invoke: handler(),
      userParameters,
      artifact: await uploadArtifact('shop', 'registry.example/shop:v2', 'Xk3Pq9Z'),
      budgetMs: 4000,
    });
    expectOneResultPerInvocation(ok);
    expect(ok.invocations.length).toBeGreaterThan(1);
    const releaseId = decodeToken(ok.invocations[0]!.results[0]!.body.continuationToken as string).releaseId;
    expect(ok.final?.body.outputVariables).toEqual({ version: 'v2', outcome: 'completed', releaseId });

    // No "to": the version comes from imageDetail.json.
    const bad = await fake.runJob({
      invoke: handler(),
      userParameters: JSON.stringify({ strategy: 'canary', cluster }),
      artifact: await uploadArtifact('shop', 'registry.example/shop:crash-v3', 'Zq81kLm'),
      budgetMs: 60_000,
    });
    expectOneResultPerInvocation(bad);
    expect(bad.final?.action).toBe('PutJobFailureResult');
    expect(bad.final?.body.failureDetails).toMatchObject({
      type: 'JobFailed',
      message: expect.stringMatching(/crash-v3 failed|rolled back/),
    });
  });

  it('fails with RevisionUnavailable when the artifact is gone, touching nothing', async () => {
    const run = await fake.runJob({
      invoke: handler(),
      userParameters: JSON.stringify({
        strategy: 'canary',
        to: 'v9',
        cluster: { server: 'https://127.0.0.1:1' },
      }),
      artifact: { bucket, key: 'shop-pipeline/BuildOutpu/missing' },
      budgetMs: 10_000,
    });
    expectOneResultPerInvocation(run);
    expect(run.final?.body.failureDetails).toMatchObject({ type: 'RevisionUnavailable' });
  });
});
