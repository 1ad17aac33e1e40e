import type { KubeConfig } from '@kubernetes/client-node';
import type { Cluster } from '../core/cluster.js';
import { KubeCluster } from '../kube/cluster.js';
import { KubeConfigError } from './errors.js';
import type { KubeAccess, KubeAccessOptions } from './kubeconfig.js';
import type { Transport } from './transport.js';
export interface ConnectOptions extends KubeAccessOptions {
  /** An already loaded KubeConfig (library callers, tests) instead of a file. */
  kubeConfig?: KubeConfig;
  /** A ready transport (the Lambda's bearer-token access): no kubeconfig is read and client-node never loads. */
  transport?: Transport;
  /** kdeploy.yaml's `cluster.eks`: authenticate with an in-process EKS token instead of the kubeconfig's user. */
  eks?: { name: string; region: string };
}

/**
 * Connects to the cluster for a release: the kubeconfig as kubectl finds it, and with `cluster.eks` the
 * in-process EKS token (no aws CLI). With `cluster.eks` and no kubeconfig at all, the endpoint and CA come
 * from eks:DescribeCluster. client-node and the AWS SDK load only on the paths that need them.
 */
export async function connectCluster(options: ConnectOptions): Promise<Cluster> {
  if (options.transport) {
    const namespace = options.namespace ?? options.configNamespace ?? 'default';
    return new KubeCluster({ transport: options.transport, namespace });
  }
  return new KubeCluster(await kubeAccess(options));
}

async function kubeAccess(options: ConnectOptions): Promise<KubeAccess> {
  const { loadKubeConfig, selectContext } = await import('./kubeconfig.js');
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
