// The CodePipeline job handler, built from injected pieces so tests can point it at loopback servers. Each
// invocation ends with exactly one PutJobSuccessResult or PutJobFailureResult and never throws: a thrown
// error would make Lambda's async invoke retry the job and start the release again (aws-contracts §1.6).
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CodePipelineClient, CodePipelineClientConfig } from '@aws-sdk/client-codepipeline';
import { ConfigError } from '../src/config/errors.js';
import { loadConfig } from '../src/config/load.js';
import type { ReleaseEvent } from '../src/core/release.js';
import type {
  AppOptions,
  ConnectionOptions,
  ReleaseOptions,
  ReleaseResult,
  StatusReport,
} from '../src/engine/api.js';
import { strategySections } from '../src/engine/strategy.js';
import { registerBuiltinStrategies } from '../strategies/index.js';
import {
  chooseArtifact,
  extractArtifact,
  imageFromDetail,
  type S3Options,
  s3ObjectReader,
} from './artifact.js';
import {
  type ClusterParams,
  type CodePipelineJob,
  type CodePipelineJobEvent,
  decodeToken,
  failure,
  failureTypeOf,
  type JobResult,
  type LambdaContext,
  type Progress,
  parseUserParameters,
  resultFor,
  type UserParameters,
} from './job.js';

/** The library operations the Lambda drives (src/engine/api.ts). */
export interface Engine {
  release(options: ReleaseOptions): PromiseLike<ReleaseResult>;
  resume(options: AppOptions): PromiseLike<ReleaseResult>;
  status(options: AppOptions): Promise<Pick<StatusReport, 'release'>>;
}

export interface HandlerOptions {
  /** SDK config of the CodePipeline client that reports results (region, endpoint, credentials). */
  codepipeline?: CodePipelineClientConfig;
  /** Where the artifact zip is read from (always with the job's artifactCredentials). */
  s3?: S3Options;
  /** The Lambda's region: the default for `cluster.eks.region` and the S3 client's. */
  region?: string;
  /** EKS API endpoint override (moto in tests). */
  eksEndpoint?: string;
  /** How the engine reaches the target cluster; default the EKS token or a plain server URL (lambda/kube.ts). */
  kube?: (cluster: ClusterParams) => Promise<KubeTarget>;
  engine?: () => Promise<Engine>;
  /**
   * Time kept free before the Lambda timeout: the engine stops this long before it, and the invocation stops
   * waiting for the engine at half of it, leaving the rest for PutJob*Result.
   */
  safetyMarginMs?: number;
  /** One JSON line per call; CloudWatch Logs in the Lambda. Never given the event (it holds credentials). */
  log?: (line: string) => void;
}

export interface InvocationSummary {
  jobId?: string;
  result?: JobResult;
  /** False when reporting to CodePipeline failed too (logged). */
  reported: boolean;
}

export type JobHandler = (event: CodePipelineJobEvent, context: LambdaContext) => Promise<InvocationSummary>;

/**
 * How the engine reaches the cluster: a bearer-token transport (lambda/kube.ts; tests pass their own). The
 * Lambda's package leaves out kubeconfig access (client-node, undici: ~1 MB, scripts/build.mjs), so there is
 * no KubeConfig option here.
 */
export type KubeTarget = Required<Pick<ConnectionOptions, 'transport'>>;

const DEFAULT_MARGIN_MS = 60_000;

/** What one invocation learned while running, so a failure or a timeout can still name the release. */
interface Tracker extends Progress {
  releaseId?: string;
  app?: string;
  namespace?: string;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

export function createHandler(options: HandlerOptions = {}): JobHandler {
  // The Lambda is a composition root: the built-in strategies are registered here.
  registerBuiltinStrategies();
  const log = options.log ?? ((line: string) => console.log(line));
  const margin = options.safetyMarginMs ?? DEFAULT_MARGIN_MS;
  const readObject = s3ObjectReader({ region: options.region, ...options.s3 });
  const kube =
    options.kube ??
    (async (cluster: ClusterParams) =>
      (await import('./kube.js')).kubeTargetFor(cluster, {
        region: options.region,
        eksEndpoint: options.eksEndpoint,
      }));
  const engine = options.engine ?? (() => import('../src/engine/api.js'));
  // One client per container: warm invocations reuse its connections.
  let client: Promise<CodePipelineClient> | undefined;
  const codepipeline = () => {
    client ??= import('@aws-sdk/client-codepipeline').then(
      ({ CodePipelineClient }) => new CodePipelineClient(options.codepipeline ?? {}),
    );
    return client;
  };

  async function report(jobId: string, result: JobResult): Promise<boolean> {
    try {
      const sdk = await import('@aws-sdk/client-codepipeline');
      const cp = await codepipeline();
      if (result.kind === 'success') {
        const { kind: _kind, ...fields } = result;
        await cp.send(new sdk.PutJobSuccessResultCommand({ jobId, ...fields }));
      } else {
        await cp.send(new sdk.PutJobFailureResultCommand({ jobId, failureDetails: result.failureDetails }));
      }
      return true;
    } catch (err) {
      // Nothing else can be done: CodePipeline fails the action when its reply timer runs out.
      log(
        JSON.stringify({ level: 'error', jobId, message: `cannot report the job result: ${messageOf(err)}` }),
      );
      return false;
    }
  }

  /** Runs the engine for this job until it ends, suspends, or the invocation's own deadline. */
  async function run(job: CodePipelineJob, context: LambdaContext, track: Tracker): Promise<JobResult> {
    if (job.data.outputArtifacts?.length) {
      throw new ConfigError([
        {
          path: [],
          source: 'action',
          message: 'kdeploy writes no output artifacts: remove outputArtifacts from the action',
        },
      ]);
    }
    const params = parseUserParameters(job.data.actionConfiguration?.configuration?.UserParameters);
    const continuation = job.data.continuationToken ? decodeToken(job.data.continuationToken) : undefined;
    const remaining = context.getRemainingTimeInMillis();
    if (remaining <= margin) {
      throw new ConfigError([
        {
          path: [],
          source: 'Lambda',
          message: `only ${remaining} ms left at the start, under the ${margin} ms safety margin: raise the function timeout`,
        },
      ]);
    }
    const started = Date.now();
    const deadline = started + remaining - margin;
    const onEvent = (e: ReleaseEvent) => {
      observe(track, e);
      log(JSON.stringify(e));
    };
    const stop = new AbortController();
    let artifactDir: string | undefined;
    const keep = (dir: string) => {
      artifactDir = dir;
    };
    /** Everything with I/O, so the watchdog below covers a hanging S3 or EKS call as well as the engine. */
    const work = async (): Promise<ReleaseResult | JobResult> => {
      if (continuation) {
        Object.assign(track, continuation);
        const cluster = params.cluster ?? (await fromArtifact(job, params, keep)).cluster;
        const access = await kube(cluster);
        const api = await engine();
        const target = { app: continuation.app, namespace: continuation.namespace, ...access };
        // resume() runs whatever release is current: make sure it is still this job's.
        const current = (await api.status(target)).release?.id;
        if (current !== continuation.releaseId) {
          return failure(
            'JobFailed',
            `release ${continuation.releaseId} of ${continuation.app} is no longer current (now: ${current ?? 'none'}): someone started another release meanwhile`,
            continuation.releaseId,
          );
        }
        return api.resume({ ...target, deadline, signal: stop.signal, onEvent });
      }
      const input = await fromArtifact(job, params, keep);
      track.app = input.app;
      track.namespace = input.namespace;
      const access = await kube(input.cluster);
      return (await engine()).release({
        config: input.configPath,
        strategy: params.strategy,
        to: input.to,
        namespace: params.namespace,
        ...access,
        deadline,
        signal: stop.signal,
        onEvent,
      });
    };
    try {
      const running = work();
      // Work that ignores the signal must not take the report down with it.
      running.catch(() => {});
      const hardStop = Math.max(0, deadline + margin / 2 - Date.now());
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), hardStop);
      });
      const outcome = await Promise.race([running, timedOut]).finally(() => clearTimeout(timer));
      if (outcome === 'timeout') {
        stop.abort(new Error('the Lambda deadline is near'));
        return timedOutResult(track);
      }
      if ('kind' in outcome) return outcome;
      return resultFor(outcome, outcome.release.namespace, {
        ...track,
        paused: outcome.release.phase === 'paused',
      });
    } finally {
      if (artifactDir) await rm(artifactDir, { recursive: true, force: true }).catch(() => {});
    }
  }

  /** Reads kdeploy.yaml and imageDetail.json from the input artifact and validates them before any cluster call. */
  async function fromArtifact(job: CodePipelineJob, params: UserParameters, keep: (dir: string) => void) {
    const artifact = chooseArtifact(job.data.inputArtifacts ?? [], params.artifact);
    const { bucketName: bucket, objectKey: key } = artifact.location.s3Location;
    const zip = await readObject({ bucket, key }, job.data.artifactCredentials);
    const extracted = await extractArtifact(artifact.name, zip);
    keep(extracted.dir);
    const detail = extracted.files.includes('imageDetail.json')
      ? await readFile(join(extracted.dir, 'imageDetail.json'), 'utf8')
      : undefined;
    const to = params.to ?? imageFromDetail(detail, artifact.name);
    if (!to) {
      throw new ConfigError([
        {
          path: ['to'],
          source: 'UserParameters',
          message: `no version to release: set "to" (e.g. "#{BuildVariables.IMAGE_TAG}") or put imageDetail.json in artifact ${artifact.name}`,
        },
      ]);
    }
    const configPath = join(extracted.dir, params.config);
    const loaded = await loadConfig({
      file: configPath,
      to,
      namespace: params.namespace,
      sections: await strategySections(),
    });
    if (params.app && params.app !== loaded.config.app) {
      throw new ConfigError([
        {
          path: ['app'],
          source: 'UserParameters',
          message: `"${params.app}" does not match app "${loaded.config.app}" of ${params.config}`,
        },
      ]);
    }
    const cluster =
      params.cluster ?? (loaded.config.cluster.eks ? { eks: loaded.config.cluster.eks } : undefined);
    if (!cluster) {
      throw new ConfigError([
        {
          path: ['cluster'],
          source: 'UserParameters',
          message: `no cluster: set "cluster": {"eks": {"name": …}} or cluster.eks in ${params.config}`,
        },
      ]);
    }
    return { configPath, to, cluster, app: loaded.config.app, namespace: loaded.config.namespace };
  }

  return async (event, context) => {
    const job = event?.['CodePipeline.job'];
    if (!job?.id) {
      log(JSON.stringify({ level: 'error', message: 'not a CodePipeline job event: nothing to report to' }));
      return { reported: false };
    }
    const track: Tracker = {};
    let result: JobResult;
    try {
      result = await run(job, context, track);
    } catch (err) {
      result = failure(failureTypeOf(err), messageOf(err), track.releaseId);
    }
    log(JSON.stringify({ level: result.kind === 'success' ? 'info' : 'error', jobId: job.id, result }));
    return { jobId: job.id, result, reported: await report(job.id, result) };
  };
}

function observe(track: Tracker, e: ReleaseEvent): void {
  if (e.releaseId) track.releaseId = e.releaseId;
  if (e.type === 'step-started' && !e.rollback) {
    track.step = e.index;
    track.total = e.total;
  } else if (e.type === 'weight') {
    track.weight = e.canary;
  }
}

/** The engine did not stop in time: hand over to the next invocation if a release exists, which resumes it. */
function timedOutResult(track: Tracker): JobResult {
  if (track.releaseId && track.app && track.namespace) {
    return resultFor(
      {
        releaseId: track.releaseId,
        app: track.app,
        outcome: 'suspended',
        exitCode: 3,
        version: '',
        reason: 'the engine did not stop by its deadline',
      },
      track.namespace,
      track,
    );
  }
  return failure(
    'SystemUnavailable',
    'kdeploy did not get a release started before the Lambda deadline (are S3, EKS and the cluster reachable?)',
    track.releaseId,
  );
}
