// Routers by name (the `type` of a router in kdeploy.yaml). `replicas` and `service` are built in; the AWS
// routers are imported only when a config names them, so neither the AWS SDK nor their code loads
// otherwise. A third party registers its own with registerRouter.
import type { RouterConfig } from '../config/router-schema.js';
import type { Cluster } from '../core/cluster.js';
import { LABELS } from '../core/labels.js';
import type { Clock, Router } from '../core/ports.js';
import { UnsupportedError } from '../core/ports.js';
import type { RoutedServices } from './aws-routers.js';
import type { ReplicasRouterOptions } from './replicas.js';
import type { ServiceRouterOptions } from './service.js';
export interface RouterDeps {
  /** Absent for `kdeploy plan` without a cluster: only describe() may be called then. */
  cluster?: Cluster;
  clock: Clock;
  app: string;
  namespace: string;
  replicas: number;
  /** replicas router: waits until one side's pods are ready (with failure diagnosis). */
  awaitReady?: ReplicasRouterOptions['awaitReady'];
  /** service router: which Service and label flip. Default: the app's Service on `kdeploy.dev/color`, blue = 0, green = 100. */
  flip?: Omit<ServiceRouterOptions, 'cluster' | 'namespace'>;
  /** AWS routers: the Services in front of the two sides (default `<app>` and `<app>-canary`). */
  services?: RoutedServices;
  /** AWS routers: the user's templates folder (kdeploy.yaml `templates:`), which may override targetgroupbinding.yaml.hbs. */
  templatesDir?: string;
}

export type RouterFactory = (config: RouterConfig, deps: RouterDeps) => Promise<Router>;

/** Stands in for the cluster when there is none: the first call says why it can't be made. */
const offline = new Proxy({} as Cluster, {
  get: (_t, method) => () => {
    throw new Error(`no cluster access: cannot ${String(method)} (plan only describes router calls)`);
  },
});

const factories = new Map<string, RouterFactory>();

export function registerRouter(type: string, factory: RouterFactory): void {
  factories.set(type, factory);
}

export async function createRouter(config: RouterConfig, deps: RouterDeps): Promise<Router> {
  const factory = factories.get(config.type);
  if (!factory)
    throw new UnsupportedError(
      `router type "${config.type}" is not supported yet (known: ${[...factories.keys()].join(', ')})`,
    );
  return factory(config, deps);
}

registerRouter('replicas', async (_config, deps) => {
  const { ReplicasRouter } = await import('./replicas.js');
  return new ReplicasRouter({
    cluster: deps.cluster ?? offline,
    app: deps.app,
    namespace: deps.namespace,
    replicas: deps.replicas,
    awaitReady:
      deps.awaitReady ??
      (() => {
        throw new Error('the replicas router was created without a readiness watch');
      }),
  });
});

registerRouter('service', async (_config, deps) => {
  const { ServiceRouter } = await import('./service.js');
  return new ServiceRouter({
    cluster: deps.cluster ?? offline,
    namespace: deps.namespace,
    ...(deps.flip ?? { service: deps.app, label: LABELS.color, values: { stable: 'blue', canary: 'green' } }),
  });
});

const aws: RouterFactory = async (config, deps) => {
  let module: typeof import('./aws-routers.js');
  try {
    module = await import('./aws-routers.js');
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new UnsupportedError(`router type "${config.type}" is not supported yet in this build`);
  }
  return module.createAwsRouter(config as never, {
    app: deps.app,
    namespace: deps.namespace,
    clock: deps.clock,
    kube: deps.cluster,
    services: deps.services,
    templatesDir: deps.templatesDir,
  });
};
for (const type of ['alb', 'alb-ingress', 'route53']) registerRouter(type, aws);
