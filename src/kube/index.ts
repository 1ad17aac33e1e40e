// Cluster access: kubeconfig loading as kubectl does it, the Cluster port, watches and error mapping.
export { ApiStatusError, type ClusterAccess, KubeCluster } from './cluster.js';
export {
  describeTarget,
  KubeConfigError,
  KubeError,
  type RequestTarget,
  statusOf,
  toKubeError,
} from './errors.js';
export { type KubeAccess, type KubeAccessOptions, loadKubeConfig, selectContext } from './kubeconfig.js';
export { resourceInfo, resourcePath } from './resources.js';
export { isTransient, type RetryOptions, withRetry } from './retry.js';
export type { StreamResponse, Transport, TransportRequest, TransportResponse } from './transport.js';
export { type NodeTransportOptions, nodeTransport } from './transport-node.js';
export { watchObjects } from './watch.js';
