// The Lambda's way into the cluster: no kubeconfig file and no aws CLI, only UserParameters' `cluster`.
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '../src/config/errors.js';
import type { ClusterParams } from './job.js';

export interface KubeOptions {
  /** The Lambda's region: the default for `cluster.eks.region`. */
  region?: string;
  /** EKS API endpoint override (moto in tests). */
  eksEndpoint?: string;
}

/** A KubeConfig for a plain API server URL; no credentials are sent (a test cluster or an authenticating proxy). */
export function serverKubeConfig(server: string, certificateAuthorityData?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'target',
        server,
        ...(certificateAuthorityData ? { caData: certificateAuthorityData } : {}),
        // client-node refuses a plain-http server unless told TLS is off; there is no TLS to verify.
        skipTLSVerify: server.startsWith('http:'),
      },
    ],
    users: [{ name: 'kdeploy' }],
    contexts: [{ name: 'target', cluster: 'target', user: 'kdeploy' }],
    currentContext: 'target',
  });
  return kc;
}

/**
 * EKS: the in-process token with the Lambda role's credentials; the endpoint comes from eks:DescribeCluster
 * unless `server` is given. Otherwise the plain server URL.
 */
export async function kubeConfigFor(cluster: ClusterParams, options: KubeOptions = {}): Promise<KubeConfig> {
  if (!cluster.eks) return serverKubeConfig(cluster.server as string, cluster.certificateAuthorityData);
  const region = cluster.eks.region ?? options.region;
  if (!region) {
    throw new ConfigError([
      {
        path: ['cluster', 'eks', 'region'],
        source: 'UserParameters',
        message: 'required outside Lambda (no AWS_REGION)',
      },
    ]);
  }
  const { eksKubeConfig } = await import('../src/kube/eks-token.js');
  try {
    return await eksKubeConfig({
      name: cluster.eks.name,
      region,
      ...(cluster.server ? { endpoint: cluster.server } : {}),
      ...(cluster.certificateAuthorityData ? { caData: cluster.certificateAuthorityData } : {}),
      ...(options.eksEndpoint ? { eksEndpoint: options.eksEndpoint } : {}),
    });
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') {
      throw new ConfigError([
        {
          path: ['cluster', 'eks', 'name'],
          source: 'UserParameters',
          message: `no EKS cluster ${cluster.eks.name} in ${region}`,
        },
      ]);
    }
    throw err;
  }
}
