import type { KubeConfig } from '@kubernetes/client-node';
import { Cluster } from './cluster.js';
import { KubeConfigError } from './errors.js';
import { type KubeAccess, type KubeAccessOptions, loadKubeConfig, selectContext } from './kubeconfig.js';

export interface ConnectOptions extends KubeAccessOptions {
  /** An already loaded KubeConfig (library callers, tests) instead of a file. */
  kubeConfig?: KubeConfig;
  /** kdeploy.yaml's `cluster.eks`: authenticate with an in-process EKS token instead of the kubeconfig's user. */
  eks?: { name: string; region: string };
}

/**
 * Connects to the cluster for a release: the kubeconfig as kubectl finds it, and with `cluster.eks` the
 * in-process EKS token (no aws CLI). With `cluster.eks` and no kubeconfig at all, the endpoint and CA come
 * from eks:DescribeCluster. The AWS SDK loads only on these paths.
 */
export async function connectCluster(options: ConnectOptions): Promise<Cluster> {
  return new Cluster(await kubeAccess(options));
}

async function kubeAccess(options: ConnectOptions): Promise<KubeAccess> {
  if (options.kubeConfig) {
    if (options.eks) await attachEks(options.kubeConfig, options.eks);
    return selectContext(options.kubeConfig, options);
  }
  if (!options.eks) return loadKubeConfig(options);
  let access: KubeAccess | undefined;
  try {
    access = loadKubeConfig(options);
  } catch (err) {
    // No kubeconfig anywhere is fine with cluster.eks; a broken one named explicitly is not.
    if (!(err instanceof KubeConfigError) || options.kubeconfig || options.context) throw err;
  }
  if (access) {
    await attachEks(access.kc, options.eks);
    return selectContext(access.kc, options);
  }
  const { eksKubeConfig } = await import('./eks-token.js');
  return selectContext(await eksKubeConfig(options.eks), options);
}

async function attachEks(kc: KubeConfig, eks: { name: string; region: string }): Promise<void> {
  const { useEksAuth } = await import('./eks-token.js');
  useEksAuth(kc, eks);
}
