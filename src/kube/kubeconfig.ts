import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import type { ClusterAccess } from './cluster.js';
import { KubeConfigError } from './errors.js';
import { kubeConfigTransport } from './transport-kubeconfig.js';

export interface KubeAccessOptions {
  /** Path to a kubeconfig file (kubectl's --kubeconfig). */
  kubeconfig?: string;
  /** Context to use instead of current-context (kubectl's --context). */
  context?: string;
  /** Namespace from -n/--namespace; wins over the config file's and the context's. */
  namespace?: string;
  /** Namespace from kdeploy.yaml; wins over the context's. */
  configNamespace?: string;
}

/** Cluster access through a kubeconfig: `new KubeCluster(access)` takes it as it is. */
export interface KubeAccess extends ClusterAccess {
  kc: KubeConfig;
  server: string;
}

/**
 * Loads a kubeconfig the way kubectl does: --kubeconfig, else $KUBECONFIG (colon-separated, merged), else
 * ~/.kube/config, else the in-cluster service account. Exec plugins (`aws eks get-token`) work through
 * client-node's ExecAuth. An unknown context is bad input (exit 2) and no request is made.
 */
export function loadKubeConfig(options: KubeAccessOptions = {}, kc = new KubeConfig()): KubeAccess {
  try {
    if (options.kubeconfig) {
      if (!existsSync(options.kubeconfig))
        throw new KubeConfigError(`kubeconfig file not found: ${options.kubeconfig}`);
      kc.loadFromFile(options.kubeconfig);
    } else if (kc.contexts.length === 0) {
      kc.loadFromDefault();
    }
  } catch (err) {
    if (err instanceof KubeConfigError) throw err;
    throw new KubeConfigError(
      `cannot load kubeconfig${options.kubeconfig ? ` ${options.kubeconfig}` : ''}: ${(err as Error).message}`,
    );
  }
  return selectContext(kc, options);
}

/** Applies --context and the namespace precedence to an already loaded KubeConfig. */
export function selectContext(kc: KubeConfig, options: KubeAccessOptions = {}): KubeAccess {
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.contexts.map((c) => c.name).join(', ') || 'none';
      throw new KubeConfigError(`context "${options.context}" not found in kubeconfig (contexts: ${known})`);
    }
    kc.setCurrentContext(options.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new KubeConfigError(
      'no cluster in the kubeconfig: pass --kubeconfig, set KUBECONFIG, or set current-context (try `kdeploy demo` for the simulated cluster)',
    );
  }
  const contextNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  const namespace = options.namespace ?? options.configNamespace ?? contextNamespace ?? 'default';
  return { kc, namespace, server: cluster.server, transport: kubeConfigTransport(kc, cluster.server) };
}
