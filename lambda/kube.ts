// The Lambda's way into the cluster: no kubeconfig file and no aws CLI, only UserParameters' `cluster`. A
// bearer-token transport over node:https, so neither client-node nor undici is loaded (issue 9's size target).
import { ConfigError } from '../src/config/errors.js';
import { nodeTransport } from '../src/kube/transport-node.js';
import type { KubeTarget } from './create-handler.js';
import type { ClusterParams } from './job.js';

export interface KubeOptions {
  /** The Lambda's region: the default for `cluster.eks.region`. */
  region?: string;
  /** EKS API endpoint override (moto in tests). */
  eksEndpoint?: string;
}

/**
 * EKS: the in-process token with the Lambda role's credentials, refreshed before it expires; the endpoint
 * and CA come from eks:DescribeCluster unless `server` is given. Otherwise the plain server URL, sending no
 * credentials (a test cluster or an authenticating proxy).
 */
export async function kubeTargetFor(cluster: ClusterParams, options: KubeOptions = {}): Promise<KubeTarget> {
  if (!cluster.eks) {
    return {
      transport: nodeTransport({
        server: cluster.server as string,
        caData: cluster.certificateAuthorityData,
      }),
    };
  }
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
  const { EksTokenSource, eksEndpoint } = await import('../src/kube/eks-auth.js');
  try {
    const { endpoint, caData } = await eksEndpoint({
      name: cluster.eks.name,
      region,
      ...(cluster.server ? { endpoint: cluster.server } : {}),
      ...(cluster.certificateAuthorityData ? { caData: cluster.certificateAuthorityData } : {}),
      ...(options.eksEndpoint ? { eksEndpoint: options.eksEndpoint } : {}),
    });
    const tokens = new EksTokenSource({ name: cluster.eks.name, region });
    return { transport: nodeTransport({ server: endpoint, caData, token: () => tokens.token() }) };
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
