// Plays CodePipeline's part for the Lambda tests (moto has no job API): serves the CodePipeline JSON 1.1 job
// API on loopback with the real limits, invokes the handler with real-shaped job events, and re-invokes with a
// new job id whenever the handler reports a continuation token, until a final result. Every call is logged so
// a test can check the one-result-per-invocation rule. It can also serve the artifact zip as a path-style S3
// GetObject that accepts only the job's artifactCredentials (moto stands in for S3 in test/e2e/lambda).
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CodePipelineJobEvent, LambdaContext } from '../../lambda/job.js';

export const TARGET_PREFIX = 'CodePipeline_20150709.';
const FAILURE_TYPES = [
  'JobFailed',
  'ConfigurationError',
  'PermissionError',
  'RevisionOutOfSync',
  'RevisionUnavailable',
  'SystemUnavailable',
];

export interface ApiCall {
  /** PutJobSuccessResult, PutJobFailureResult, or S3:GetObject. */
  action: string;
  jobId?: string;
  body: Record<string, unknown>;
  /** The error the fake answered with, if the request broke a rule. */
  error?: string;
}

export interface Invocation {
  jobId: string;
  event: CodePipelineJobEvent;
  /** What the handler returned (or threw: a handler must not). */
  returned?: unknown;
  threw?: unknown;
  /** The PutJob*Result calls made for this job id. */
  results: ApiCall[];
  /** getRemainingTimeInMillis when the handler returned: 0 means the runtime would have cut it off. */
  remainingMs?: number;
}

export type Invoke = (event: CodePipelineJobEvent, context: LambdaContext) => Promise<unknown>;

export interface RunJobOptions {
  invoke: Invoke;
  userParameters: string;
  /** Where the input artifact zip lives; `put` stores it (in the fake's own S3 or in moto). */
  artifact?: { bucket: string; key: string; name?: string };
  /** getRemainingTimeInMillis at the start of each invocation. */
  budgetMs: number;
  /** Stop re-invoking after this many (a handler that never finishes). */
  maxInvocations?: number;
  outputArtifacts?: CodePipelineJobEvent['CodePipeline.job']['data']['outputArtifacts'];
}

export interface JobRun {
  invocations: Invocation[];
  /** The last result call: a success without a token, a failure, or whatever the last invocation reported. */
  final?: ApiCall;
}

interface PendingJob {
  reported?: ApiCall;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
}

export class CodePipelineFake {
  readonly calls: ApiCall[] = [];
  private readonly jobs = new Map<string, PendingJob>();
  private readonly objects = new Map<string, Uint8Array>();
  private server!: Server;
  endpoint = '';

  static async start(): Promise<CodePipelineFake> {
    const fake = new CodePipelineFake();
    fake.server = createServer((req, res) => {
      fake.handle(req, res).catch((err) => {
        res.writeHead(500).end(String(err));
      });
    });
    fake.server.listen(0, '127.0.0.1');
    await once(fake.server, 'listening');
    fake.endpoint = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Stores an object for the built-in S3 GetObject. */
  putObject(bucket: string, key: string, data: Uint8Array): void {
    this.objects.set(`${bucket}/${key}`, data);
  }

  /** A job event as CodePipeline sends it, registered so its result calls are accepted. */
  newJob(
    options: Omit<RunJobOptions, 'invoke' | 'budgetMs'>,
    continuationToken?: string,
  ): CodePipelineJobEvent {
    const id = randomUUID();
    const credentials = {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(20).toString('base64'),
      sessionToken: randomBytes(32).toString('base64'),
    };
    this.jobs.set(id, { credentials });
    const a = options.artifact;
    return {
      'CodePipeline.job': {
        id,
        accountId: '111122223333',
        data: {
          actionConfiguration: {
            configuration: { FunctionName: 'kdeploy', UserParameters: options.userParameters },
          },
          inputArtifacts: a
            ? [
                {
                  name: a.name ?? 'BuildOutput',
                  revision: null,
                  location: { type: 'S3', s3Location: { bucketName: a.bucket, objectKey: a.key } },
                },
              ]
            : [],
          outputArtifacts: options.outputArtifacts ?? [],
          artifactCredentials: { ...credentials, expirationTime: Date.now() + 3_600_000 },
          ...(continuationToken ? { continuationToken } : {}),
        },
      },
    };
  }

  /** Runs a job as CodePipeline does: invoke, and re-invoke with each continuation token. */
  async runJob(options: RunJobOptions): Promise<JobRun> {
    const invocations: Invocation[] = [];
    let token: string | undefined;
    const max = options.maxInvocations ?? 20;
    for (let i = 0; i < max; i++) {
      const event = this.newJob(options, token);
      const jobId = event['CodePipeline.job'].id;
      const started = Date.now();
      const context: LambdaContext = {
        getRemainingTimeInMillis: () => Math.max(0, started + options.budgetMs - Date.now()),
      };
      const invocation: Invocation = { jobId, event, results: [] };
      invocations.push(invocation);
      try {
        invocation.returned = await options.invoke(event, context);
      } catch (err) {
        invocation.threw = err;
      }
      invocation.remainingMs = context.getRemainingTimeInMillis();
      invocation.results = this.resultsFor(jobId);
      const last = invocation.results.at(-1);
      token =
        last?.action === 'PutJobSuccessResult' && !last.error
          ? (last.body.continuationToken as string | undefined)
          : undefined;
      if (!token) return { invocations, final: last };
    }
    return { invocations, final: invocations.at(-1)?.results.at(-1) };
  }

  /** The accepted and rejected PutJob*Result calls for a job id. */
  resultsFor(jobId: string): ApiCall[] {
    return this.calls.filter((c) => c.jobId === jobId && c.action.startsWith('PutJob'));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method === 'POST' && target.startsWith(TARGET_PREFIX)) {
      return this.jobApi(target.slice(TARGET_PREFIX.length), Buffer.concat(chunks).toString('utf8'), res);
    }
    if (req.method === 'GET') return this.getObject(req, res);
    res.writeHead(400).end();
  }

  private jobApi(action: string, text: string, res: ServerResponse) {
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    const jobId = typeof body.jobId === 'string' ? body.jobId : undefined;
    const call: ApiCall = { action, jobId, body };
    this.calls.push(call);
    const reject = (type: string, message: string) => {
      call.error = `${type}: ${message}`;
      res
        .writeHead(400, { 'content-type': 'application/x-amz-json-1.1' })
        .end(JSON.stringify({ __type: type, message }));
    };
    const job = jobId ? this.jobs.get(jobId) : undefined;
    if (action !== 'PutJobSuccessResult' && action !== 'PutJobFailureResult')
      return reject('UnknownOperationException', action);
    if (!job) return reject('JobNotFoundException', `job ${jobId} not found`);
    if (job.reported) return reject('InvalidJobStateException', `job ${jobId} already has a result`);
    const problem = action === 'PutJobSuccessResult' ? successProblem(body) : failureProblem(body);
    if (problem) return reject('ValidationException', problem);
    job.reported = call;
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end();
  }

  /** Path-style GetObject; only the credentials of a job CodePipeline issued may read. */
  private getObject(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', this.endpoint);
    const [bucket, ...rest] = url.pathname.slice(1).split('/').map(decodeURIComponent);
    const key = rest.join('/');
    const accessKey = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
    const token = req.headers['x-amz-security-token'];
    const allowed = [...this.jobs.values()].some(
      (j) => j.credentials.accessKeyId === accessKey && j.credentials.sessionToken === token,
    );
    this.calls.push({
      action: 'S3:GetObject',
      body: { bucket, key, accessKey },
      ...(allowed ? {} : { error: 'AccessDenied' }),
    });
    const xml = (status: number, code: string) => {
      res
        .writeHead(status, { 'content-type': 'application/xml' })
        .end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`,
        );
    };
    if (!allowed) return xml(403, 'AccessDenied');
    const data = this.objects.get(`${bucket}/${key}`);
    if (!data) return xml(404, 'NoSuchKey');
    res
      .writeHead(200, { 'content-type': 'application/zip', 'content-length': data.length })
      .end(Buffer.from(data));
  }
}

function successProblem(body: Record<string, unknown>): string | undefined {
  const token = body.continuationToken;
  if (token !== undefined && (typeof token !== 'string' || token.length < 1 || token.length > 2048))
    return 'continuationToken must be 1-2048 chars';
  if (token !== undefined && body.outputVariables !== undefined)
    return 'outputVariables are not allowed with a continuationToken';
  const vars = (body.outputVariables ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(vars)) {
    if (!/^[A-Za-z0-9@\-_]+$/.test(k) || typeof v !== 'string') return `bad output variable ${k}`;
  }
  const d = body.executionDetails as
    | { externalExecutionId?: string; percentComplete?: number; summary?: string }
    | undefined;
  if (d?.summary !== undefined && (d.summary.length < 1 || d.summary.length > 2048))
    return 'executionDetails.summary must be 1-2048 chars';
  if (
    d?.percentComplete !== undefined &&
    !(Number.isInteger(d.percentComplete) && d.percentComplete >= 0 && d.percentComplete <= 100)
  )
    return 'executionDetails.percentComplete must be an integer 0-100';
  if (
    d?.externalExecutionId !== undefined &&
    (d.externalExecutionId.length < 1 || d.externalExecutionId.length > 1500)
  )
    return 'executionDetails.externalExecutionId must be 1-1500 chars';
  return undefined;
}

function failureProblem(body: Record<string, unknown>): string | undefined {
  const d = body.failureDetails as
    | { type?: string; message?: string; externalExecutionId?: string }
    | undefined;
  if (!d) return 'failureDetails is required';
  if (!d.type || !FAILURE_TYPES.includes(d.type))
    return `failureDetails.type ${d.type} is not one of ${FAILURE_TYPES.join(', ')}`;
  if (!d.message || d.message.length > 5000) return 'failureDetails.message must be 1-5000 chars';
  if (
    d.externalExecutionId !== undefined &&
    (d.externalExecutionId.length < 1 || d.externalExecutionId.length > 1500)
  )
    return 'failureDetails.externalExecutionId must be 1-1500 chars';
  return undefined;
}
