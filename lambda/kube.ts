// The Lambda's way into the cluster: no kubeconfig file and no aws CLI, only UserParameters' `cluster`.
import { KubeConfig } from '@kubernetes/client-node';
import type { ClusterParams } from './job.js';

/** A KubeConfig for a plain API server URL; no credentials are sent (a test cluster or an authenticating proxy). */
export function serverKubeConfig(server: string, certificateAuthorityData?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'target',
        server,
        ...(certificateAuthorityData ? { caData: certificateAuthorityData } : {}),
        skipTLSVerify: false,
      },
    ],
    users: [{ name: 'kdeploy' }],
    contexts: [{ name: 'target', cluster: 'target', user: 'kdeploy' }],
    currentContext: 'target',
  });
  return kc;
}

export async function kubeConfigFor(cluster: ClusterParams, region: string | undefined): Promise<KubeConfig> {
  if (!cluster.eks) return serverKubeConfig(cluster.server as string, cluster.certificateAuthorityData);
  throw new Error(`EKS access for ${cluster.eks.name} in ${cluster.eks.region ?? region} is not wired yet`);
}
