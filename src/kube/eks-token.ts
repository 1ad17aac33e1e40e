// client-node integration of the in-process EKS token (eks-auth.ts): a kubeconfig auth-provider for the CLI's
// `cluster.eks`. A static import: a dynamic import('@kubernetes/client-node') keeps the package's whole generated API in the
// bundle (its namespace object is live), ~3 MB in the Lambda. This module is itself loaded lazily.
// The Lambda uses eks-auth.ts without this file, and so without client-node.
import { KubeConfig, type User } from '@kubernetes/client-node';
import {
  type EksAccessOptions,
  type EksCluster,
  type EksTokenOptions,
  EksTokenSource,
  eksEndpoint,
} from './eks-auth.js';

export * from './eks-auth.js';

// client-node's Authenticator interface isn't re-exported from its index; take it from addAuthenticator.
type Authenticator = Parameters<KubeConfig['addAuthenticator']>[0];
/** The same options as eksEndpoint's. */
export type EksKubeConfigOptions = EksAccessOptions;

/** The kubeconfig auth-provider name that selects the in-process EKS token. */
export const EKS_AUTH_PROVIDER = 'kdeploy-eks';

/** client-node Authenticator for users whose auth-provider is `kdeploy-eks` ({cluster, region} in its config). */
export class EksAuthenticator implements Authenticator {
  private readonly sources = new Map<string, EksTokenSource>();

  constructor(private readonly defaults: Omit<EksTokenOptions, 'name' | 'region'> = {}) {}

  isAuthProvider(user: User): boolean {
    return user.authProvider?.name === EKS_AUTH_PROVIDER;
  }

  async applyAuthentication(user: User, opts: { headers?: Record<string, unknown> }): Promise<void> {
    const { cluster, region } = (user.authProvider?.config ?? {}) as { cluster?: string; region?: string };
    if (!cluster || !region)
      throw new Error(
        `kubeconfig user ${user.name}: auth-provider ${EKS_AUTH_PROVIDER} needs config.cluster and config.region`,
      );
    const key = `${region}/${cluster}`;
    let source = this.sources.get(key);
    if (!source) {
      source = new EksTokenSource({ ...this.defaults, name: cluster, region });
      this.sources.set(key, source);
    }
    opts.headers ??= {};
    opts.headers.Authorization = `Bearer ${await source.token()}`;
  }
}

/**
 * Makes the current context of `kc` authenticate with the in-process EKS token (for example a kubeconfig
 * written by `aws eks update-kubeconfig`, whose exec plugin needs the aws CLI).
 */
export function useEksAuth(
  kc: KubeConfig,
  cluster: EksCluster,
  defaults: Omit<EksTokenOptions, 'name' | 'region'> = {},
): KubeConfig {
  const context = kc.getContextObject(kc.getCurrentContext());
  if (!context) throw new Error('the kubeconfig has no current context to attach EKS authentication to');
  const userName = `${EKS_AUTH_PROVIDER}-${cluster.region}-${cluster.name}`;
  const user: User = {
    name: userName,
    authProvider: { name: EKS_AUTH_PROVIDER, config: { cluster: cluster.name, region: cluster.region } },
  };
  const users = [...kc.getUsers().filter((u) => u.name !== userName), user];
  const contexts = kc.getContexts().map((c) => (c.name === context.name ? { ...c, user: userName } : c));
  kc.loadFromOptions({ clusters: kc.getClusters(), users, contexts, currentContext: context.name });
  kc.addAuthenticator(new EksAuthenticator(defaults));
  return kc;
}

/** A KubeConfig for an EKS cluster from its name and region alone, authenticating with a refreshing token. */
export async function eksKubeConfig(options: EksKubeConfigOptions): Promise<KubeConfig> {
  const { endpoint, caData } = await eksEndpoint(options);
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: options.name, server: endpoint, ...(caData ? { caData } : {}) }],
    users: [],
    contexts: [{ name: options.name, cluster: options.name, user: '' }],
    currentContext: options.name,
  });
  return useEksAuth(kc, options, {
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}
