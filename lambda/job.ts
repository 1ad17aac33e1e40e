// The CodePipeline job contract, as pure functions: the event's shape, the action's UserParameters, the
// continuation token, and the one PutJob*Result request each invocation ends with. No I/O here, so every
// decision the Lambda makes is unit-testable without AWS.
import * as z from 'zod';
import { ConfigError } from '../src/config/errors.js';
import { describeIssues } from '../src/config/zod-issues.js';
import { ExitCode, exitCodeOf } from '../src/core/exit-codes.js';
import { strategies } from '../src/engine/strategy.js';

export interface S3Location {
  bucketName: string;
  objectKey: string;
}

export interface CodePipelineArtifact {
  name: string;
  revision: string | null;
  location: { type: 'S3'; s3Location: S3Location };
}

export interface ArtifactCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expirationTime?: number;
}

export interface CodePipelineJob {
  id: string;
  accountId: string;
  data: {
    actionConfiguration: { configuration: { FunctionName: string; UserParameters?: string } };
    inputArtifacts: CodePipelineArtifact[];
    outputArtifacts: CodePipelineArtifact[];
    artifactCredentials: ArtifactCredentials;
    continuationToken?: string;
    encryptionKey?: { id: string; type: 'KMS' };
  };
}

export interface CodePipelineJobEvent {
  'CodePipeline.job': CodePipelineJob;
}

/** The subset of the Lambda context the handler uses. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  awsRequestId?: string;
}

// CodePipeline limits (API_PutJobSuccessResult, API_FailureDetails, API_ExecutionDetails).
export const MAX_TOKEN = 2048;
export const MAX_FAILURE_MESSAGE = 5000;
export const MAX_SUMMARY = 2048;
export const MAX_EXTERNAL_ID = 1500;

export type FailureType =
  | 'JobFailed'
  | 'ConfigurationError'
  | 'PermissionError'
  | 'RevisionOutOfSync'
  | 'RevisionUnavailable'
  | 'SystemUnavailable';

const name = z.string().min(1).max(253);

/** `cluster` in UserParameters; when absent the config's own `cluster.eks` is used. */
const clusterParams = z
  .strictObject({
    eks: z
      .strictObject({
        name,
        region: z
          .string()
          .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as eu-west-1')
          .optional()
          .describe("Defaults to the Lambda's own region"),
      })
      .optional(),
    server: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('API server URL; with eks, skips eks:DescribeCluster; alone, no credentials are sent'),
    certificateAuthorityData: z.string().min(1).optional().describe('Base64 PEM of the API server CA'),
  })
  .refine((c) => c.eks || c.server, { message: 'expected eks: {name, region} or server' })
  .refine((c) => !c.certificateAuthorityData || c.server, {
    message: 'certificateAuthorityData needs server',
    path: ['certificateAuthorityData'],
  });

export const userParametersSchema = z.strictObject({
  strategy: z.string().superRefine((value, ctx) => {
    if (!strategies.has(value))
      ctx.addIssue({ code: 'custom', message: `expected a registered strategy ${strategies.known(value)}` });
  }),
  app: name
    .optional()
    .describe("Must match the config's app when given: guards against a mis-wired pipeline"),
  config: name.default('kdeploy.yaml').describe('Path of kdeploy.yaml inside the input artifact'),
  artifact: name.optional().describe('Input artifact to read; default the first one'),
  to: z
    .string()
    .min(1)
    .refine((v) => !/#\{[^}]*\}/.test(v), 'an unresolved CodePipeline variable: check the namespace and name')
    .optional()
    .describe('Tag or image; default the ImageURI of imageDetail.json in the artifact'),
  namespace: name.optional(),
  cluster: clusterParams.optional(),
});

export type UserParameters = z.output<typeof userParametersSchema>;
export type ClusterParams = z.output<typeof clusterParams>;

const SOURCE = 'UserParameters';

/** Parses the action's UserParameters. Throws ConfigError (→ ConfigurationError) naming the field. */
export function parseUserParameters(text: string | undefined): UserParameters {
  const fail = (message: string, path: (string | number)[] = []) =>
    new ConfigError([{ path, message, source: SOURCE }]);
  if (!text?.trim()) throw fail('missing: set the action configuration UserParameters to a JSON object');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw fail(`not valid JSON: ${(err as Error).message}`);
  }
  const parsed = userParametersSchema.safeParse(data);
  if (!parsed.success) {
    throw new ConfigError(
      describeIssues(parsed.error.issues, userParametersSchema, data).map((p) => ({ ...p, source: SOURCE })),
    );
  }
  return parsed.data;
}

/** What a continuation token carries: a pointer to the release record in the cluster, never its state. */
export interface Continuation {
  releaseId: string;
  app: string;
  namespace: string;
}

const continuationSchema = z.strictObject({ v: z.literal(1), releaseId: name, app: name, namespace: name });

export function encodeToken(c: Continuation): string {
  const token = JSON.stringify({ v: 1, releaseId: c.releaseId, app: c.app, namespace: c.namespace });
  // Names are DNS labels and ids are short, so this holds; the check keeps a future field from breaking it.
  if (token.length > MAX_TOKEN)
    throw new Error(`continuation token is ${token.length} chars, over ${MAX_TOKEN}`);
  return token;
}

export function decodeToken(token: string): Continuation {
  let data: unknown;
  try {
    data = JSON.parse(token);
  } catch {
    data = undefined;
  }
  const parsed = continuationSchema.safeParse(data);
  if (!parsed.success) {
    throw new ConfigError([
      {
        path: [],
        source: 'continuationToken',
        message: 'not a kdeploy continuation token (was the action changed mid-run?)',
      },
    ]);
  }
  const { releaseId, app, namespace } = parsed.data;
  return { releaseId, app, namespace };
}

/** The library's release result, as far as the Lambda reads it. */
export interface EngineResult {
  releaseId: string;
  app: string;
  namespace?: string;
  outcome: 'completed' | 'failed' | 'aborted' | 'paused' | 'suspended';
  exitCode: number;
  version: string;
  reason?: string;
}

export interface Progress {
  /** Steps done and total, for percentComplete. */
  step?: number;
  total?: number;
  /** Latest canary weight seen. */
  weight?: number;
  /** The release waits for `kdeploy promote` (its record's phase), though the engine stopped for the deadline. */
  paused?: boolean;
}

export type JobResult =
  | {
      kind: 'success';
      continuationToken?: string;
      executionDetails: { externalExecutionId?: string; percentComplete?: number; summary: string };
      outputVariables?: Record<string, string>;
    }
  | { kind: 'failure'; failureDetails: { type: FailureType; message: string; externalExecutionId?: string } };

/** `app version`, or just `app` when the version isn't known. */
const named = (r: EngineResult) => (r.version ? `${r.app} ${r.version}` : r.app);
const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
const nonEmpty = (text: string, fallback: string) => (text.trim() ? text : fallback);

export function failure(type: FailureType, message: string, releaseId?: string): JobResult {
  return {
    kind: 'failure',
    failureDetails: {
      type,
      message: clip(nonEmpty(message, 'kdeploy failed without a message'), MAX_FAILURE_MESSAGE),
      ...(releaseId ? { externalExecutionId: clip(releaseId, MAX_EXTERNAL_ID) } : {}),
    },
  };
}

function percent(p: Progress): number | undefined {
  if (p.step === undefined || !p.total) return undefined;
  return Math.max(0, Math.min(99, Math.floor((p.step / p.total) * 100)));
}

/**
 * The result for an engine outcome. completed → final success with output variables; suspended (deadline
 * reached) and paused (waiting for `kdeploy promote`) → success with a continuation token, so CodePipeline
 * calls again and the next invocation resumes; failed/aborted → JobFailed.
 */
export function resultFor(r: EngineResult, namespace: string, progress: Progress = {}): JobResult {
  const externalExecutionId = clip(r.releaseId, MAX_EXTERNAL_ID);
  switch (r.outcome) {
    case 'completed':
      return {
        kind: 'success',
        executionDetails: {
          externalExecutionId,
          percentComplete: 100,
          summary: clip(`${r.app} ${r.version} released (${r.releaseId})`, MAX_SUMMARY),
        },
        outputVariables: { version: r.version, outcome: r.outcome, releaseId: r.releaseId },
      };
    case 'suspended':
    case 'paused': {
      const state =
        r.outcome === 'paused' || progress.paused
          ? 'paused, waiting for `kdeploy promote`'
          : `in progress${progress.weight !== undefined ? `, canary at ${progress.weight}%` : ''}`;
      const pct = percent(progress);
      return {
        kind: 'success',
        continuationToken: encodeToken({ releaseId: r.releaseId, app: r.app, namespace }),
        executionDetails: {
          externalExecutionId,
          ...(pct === undefined ? {} : { percentComplete: pct }),
          summary: clip(`${named(r)} ${state}${r.reason ? `: ${r.reason}` : ''}`, MAX_SUMMARY),
        },
      };
    }
    case 'failed':
      return failure(
        'JobFailed',
        `${r.app} ${r.version} failed and was rolled back: ${r.reason ?? 'no reason given'}`,
        r.releaseId,
      );
    case 'aborted':
      return failure(
        'JobFailed',
        `${r.app} ${r.version} was aborted: ${r.reason ?? 'by a person'}`,
        r.releaseId,
      );
  }
}

const S3_PERMISSION = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'KMS.AccessDeniedException',
  'InvalidAccessKeyId',
  'ExpiredToken',
  'SignatureDoesNotMatch',
]);
const S3_MISSING = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound']);

/** The failure type for an error: bad input, permission, missing artifact, unreachable, or the job failed. */
export function failureTypeOf(err: unknown): FailureType {
  const code = exitCodeOf(err);
  if (code === ExitCode.BadInput) return 'ConfigurationError';
  const reason = (err as { reason?: unknown })?.reason;
  if (code === ExitCode.Unreachable)
    return reason === 'Forbidden' || reason === 'Unauthorized' ? 'PermissionError' : 'SystemUnavailable';
  const name = (err as { name?: unknown })?.name;
  if (typeof name === 'string') {
    if (S3_PERMISSION.has(name)) return 'PermissionError';
    if (S3_MISSING.has(name)) return 'RevisionUnavailable';
  }
  return 'JobFailed';
}
