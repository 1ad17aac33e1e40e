// The Lambda entry (Handler: index.handler in template.yaml). It is a front end, so it is the one place that
// reads the function's environment. Everything else loads on the first invocation, which keeps module init
// (the cold start before CodePipeline's job even begins) close to bare node; see bench/lambda.mjs.

import type { HandlerOptions, InvocationSummary, JobHandler } from './create-handler.js';
import type { CodePipelineJobEvent, LambdaContext } from './job.js';

/**
 * KDEPLOY_AWS_ENDPOINT points every AWS client at one endpoint (moto in tests); KDEPLOY_CODEPIPELINE_ENDPOINT
 * overrides it for the job API, which moto lacks. KDEPLOY_SAFETY_MARGIN_MS: see HandlerOptions.
 */
export function optionsFromEnv(env: NodeJS.ProcessEnv): HandlerOptions {
  const endpoint = env.KDEPLOY_AWS_ENDPOINT || undefined;
  const cpEndpoint = env.KDEPLOY_CODEPIPELINE_ENDPOINT || endpoint;
  const margin = env.KDEPLOY_SAFETY_MARGIN_MS ? Number(env.KDEPLOY_SAFETY_MARGIN_MS) : undefined;
  return {
    region: env.AWS_REGION,
    codepipeline: {
      ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
      ...(cpEndpoint ? { endpoint: cpEndpoint } : {}),
    },
    s3: { region: env.AWS_REGION, endpoint },
    eksEndpoint: endpoint,
    ...(margin !== undefined && Number.isFinite(margin) && margin > 0 ? { safetyMarginMs: margin } : {}),
  };
}

let handle: Promise<JobHandler> | undefined;

export const handler = async (
  event: CodePipelineJobEvent,
  context: LambdaContext,
): Promise<InvocationSummary> => {
  handle ??= import('./create-handler.js').then(({ createHandler }) =>
    createHandler(optionsFromEnv(process.env)),
  );
  return (await handle)(event, context);
};
