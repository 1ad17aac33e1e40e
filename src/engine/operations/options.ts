// What a front end passes to an operation: where the cluster is, how long to work, what to report to.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock, MetricProvider, Router } from '../../core/ports.js';
import type { ReleaseEvent, StrategyKind } from '../../core/release.js';
import type { Transport } from '../../kube/transport.js';
import type { EngineTuning } from '../strategy.js';

export interface ConnectionOptions {
  /** Path to a kubeconfig file, or a loaded KubeConfig. Default: $KUBECONFIG, ~/.kube/config, in-cluster. */
  kubeconfig?: string | KubeConfig;
  /** Instead of a kubeconfig: a ready bearer-token transport (the Lambda's; src/kube/transport-node.ts). */
  transport?: Transport;
  context?: string;
  /** Overrides the config's namespace. */
  namespace?: string;
}

export interface RunOptions extends ConnectionOptions {
  /** `paused`: return (exit 3) when the release waits for promote instead of waiting. */
  until?: 'completed' | 'paused';
  /** Epoch ms: stop working before it and return `suspended`; `resume` continues later. */
  deadline?: number;
  /** Aborting it stops the work the same way as a deadline (the release stays resumable). */
  signal?: AbortSignal;
  onEvent?: (event: ReleaseEvent) => void;
  clock?: Clock;
  /** Lock holder identity; default `<hostname>/<pid>/<releaseId>`. */
  identity?: string;
  /** Lease TTL; the lease is renewed every third of it. Default 15 s. */
  leaseSeconds?: number;
  router?: Router;
  metrics?: Record<string, MetricProvider>;
  tuning?: EngineTuning;
}

export interface ReleaseOptions extends RunOptions {
  /** Path to kdeploy.yaml, or the config as an object (validated the same way). */
  config: string | object;
  strategy: StrategyKind;
  /** A tag of the configured repository, or a full image reference. */
  to: string;
  /** A folder whose templates replace the built-in ones; wins over kdeploy.yaml's `templates`. */
  templates?: string;
}

export interface AppOptions extends RunOptions {
  /** The app, or a config (path or object) naming it. One of the two is needed. */
  app?: string;
  config?: string | object;
}
