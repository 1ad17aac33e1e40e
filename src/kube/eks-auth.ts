import { toAwsError } from '../aws/errors.js';

// EKS authentication without the aws CLI (the Lambda has none): the bearer token is "k8s-aws-v1." plus the
// unpadded base64url of a presigned STS GetCallerIdentity URL whose signature covers the header
// `x-k8s-aws-id: <cluster name>`. The API server replays the URL to STS to learn who is calling
// (aws-iam-authenticator pkg/token). The URL is accepted for 15 minutes after X-Amz-Date whatever
// X-Amz-Expires says; clients send X-Amz-Expires=60 for old servers, and the reference client calls a token
// expired after 14 minutes. kdeploy signs a new one a minute before that.
//
// The AWS SDK pieces (signer, credential chain, EKS client) are imported on first use only.

/** What the signer needs: static credentials or the SDK's credential provider shape. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}
export type CredentialSource = AwsCredentials | (() => Promise<AwsCredentials>);

export interface EksCluster {
  /** The EKS cluster name (goes into x-k8s-aws-id). */
  name: string;
  region: string;
}

export interface EksTokenOptions extends EksCluster {
  /** Defaults to the AWS SDK's default chain (env, SSO, profile, web identity, ECS/EC2 metadata). */
  credentials?: CredentialSource;
  /** Milliseconds since the epoch; injectable so the known-answer test is deterministic. */
  now?: () => number;
}

export const TOKEN_PREFIX = 'k8s-aws-v1.';
/** The reference client's validity (the server allows 15 minutes). */
export const TOKEN_LIFETIME_MS = 14 * 60_000;
/** Sign a fresh token this long before the old one's 14 minutes are up. */
export const REFRESH_MARGIN_MS = 60_000;

export interface EksToken {
  token: string;
  /** When the token was signed (ms). */
  signedAt: number;
  /** After this instant the token must not be sent (ms). */
  expiresAt: number;
}

async function defaultCredentials(): Promise<() => Promise<AwsCredentials>> {
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  return fromNodeProviderChain();
}

/** Signs one token. */
export async function eksToken(options: EksTokenOptions): Promise<EksToken> {
  const [{ SignatureV4 }, { HttpRequest }, { Sha256 }] = await Promise.all([
    import('@smithy/signature-v4'),
    import('@smithy/protocol-http'),
    import('@aws-crypto/sha256-js'),
  ]);
  const hostname = `sts.${options.region}.amazonaws.com`;
  const signer = new SignatureV4({
    service: 'sts',
    region: options.region,
    sha256: Sha256,
    credentials: options.credentials ?? (await defaultCredentials()),
  });
  const signedAt = options.now?.() ?? Date.now();
  // presign hoists only x-amz-* headers into the query string, so x-k8s-aws-id stays a signed header.
  const presigned = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, 'x-k8s-aws-id': options.name },
    }),
    { expiresIn: 60, signingDate: new Date(signedAt) },
  );
  const query = new URLSearchParams(presigned.query as Record<string, string>).toString();
  const url = `https://${hostname}/?${query}`;
  return {
    token: TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url'), // Node's base64url has no padding
    signedAt,
    expiresAt: signedAt + TOKEN_LIFETIME_MS,
  };
}

/** Hands out a cached token, signing a new one shortly before expiry; concurrent callers share one signing. */
export class EksTokenSource {
  private current?: EksToken;
  private pending?: Promise<EksToken>;

  constructor(private readonly options: EksTokenOptions) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  async token(): Promise<string> {
    if (this.current && this.now() < this.current.expiresAt - REFRESH_MARGIN_MS) return this.current.token;
    this.pending ??= eksToken(this.options).finally(() => {
      this.pending = undefined;
    });
    this.current = await this.pending;
    return this.current.token;
  }
}

export interface EksAccessOptions extends EksCluster {
  /** API server URL; looked up with eks:DescribeCluster when absent. */
  endpoint?: string;
  /** Base64 PEM of the cluster CA (DescribeCluster's certificateAuthority.data). */
  caData?: string;
  credentials?: CredentialSource;
  /** EKS API endpoint override (tests). */
  eksEndpoint?: string;
  now?: () => number;
}

/** The API server URL and CA of an EKS cluster: as given, else from eks:DescribeCluster. */
export async function eksEndpoint(options: EksAccessOptions): Promise<{ endpoint: string; caData?: string }> {
  let { endpoint, caData } = options;
  if (!endpoint) {
    const { EKSClient, DescribeClusterCommand } = await import('@aws-sdk/client-eks');
    const eks = new EKSClient({
      region: options.region,
      ...(options.eksEndpoint ? { endpoint: options.eksEndpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
    const out = await eks.send(new DescribeClusterCommand({ name: options.name })).catch((err: unknown) => {
      throw toAwsError(err, `eks:DescribeCluster ${options.name} in ${options.region} (cluster.eks)`);
    });
    endpoint = out.cluster?.endpoint;
    caData ??= out.cluster?.certificateAuthority?.data;
    if (!endpoint)
      throw new Error(
        `EKS cluster ${options.name} in ${options.region} has no endpoint yet (status ${out.cluster?.status})`,
      );
  }
  return { endpoint, ...(caData ? { caData } : {}) };
}
