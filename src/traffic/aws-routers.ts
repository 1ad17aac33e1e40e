import type { KubernetesObject } from '@kubernetes/client-node';
import type { AwsRouterConfig } from '../config/router-schema.js';
import type { Clock, Router } from '../core/ports.js';
import type { AwsAccess, RetryPolicy } from './aws-clients.js';

// The factory the strategies call for `alb`, `alb-ingress` and `route53` routers. Each router module is
// imported only when its type is asked for, so neither the AWS SDK nor the router code loads otherwise.

/** One Kubernetes object, as src/kube's Cluster names it. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** The Kubernetes access the AWS routers need; src/kube's Cluster provides it. */
export interface KubeObjects {
  get<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined>;
  /** A JSON merge patch (RFC 7386). */
  patch<T extends KubernetesObject>(ref: ObjectRef, body: unknown, type?: 'merge'): Promise<T>;
  /** Create-or-update of a whole object. */
  apply<T extends KubernetesObject>(obj: T): Promise<T>;
}

/** The Services in front of the stable and canary pods (blue/green: the two colours). */
export interface RoutedServices {
  stable: string;
  canary: string;
  port: number | string;
}

export interface AwsRouterContext {
  app: string;
  namespace: string;
  clock: Clock;
  /** Needed for TargetGroupBindings (alb), the Ingress annotation (alb-ingress) and external-dns mode (route53). */
  kube?: KubeObjects;
  /** Defaults: `<app>` and `<app>-canary` on port 80. */
  services?: RoutedServices;
  /** Credentials/endpoint/region override; the router's own `region`/`endpoint` settings win. */
  aws?: AwsAccess;
  /** The user's templates folder (kdeploy.yaml `templates:`): may override targetgroupbinding.yaml.hbs. */
  templatesDir?: string;
  /** Back-off for throttled AWS calls (tests make it deterministic). */
  retry?: RetryPolicy;
}

export function servicesOf(ctx: AwsRouterContext): RoutedServices {
  return ctx.services ?? { stable: ctx.app, canary: `${ctx.app}-canary`, port: 80 };
}

/** The AWS access for one router: its config's region and endpoint over the context's. */
export function accessOf(
  config: { region?: string; endpoint?: string },
  ctx: AwsRouterContext,
  arnRegion?: string,
): AwsAccess {
  const region = config.region ?? ctx.aws?.region ?? arnRegion;
  const endpoint = config.endpoint ?? ctx.aws?.endpoint;
  return {
    ...ctx.aws,
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
  };
}

/** Throws when a router needs the cluster and the caller gave it none. */
export function requireKube(ctx: AwsRouterContext, why: string): KubeObjects {
  if (!ctx.kube) throw new Error(`the router needs cluster access to ${why}, but none was given`);
  return ctx.kube;
}

export async function createAwsRouter(config: AwsRouterConfig, ctx: AwsRouterContext): Promise<Router> {
  switch (config.type) {
    case 'alb': {
      const { AlbRouter } = await import('./alb.js');
      return new AlbRouter(config, ctx);
    }
    case 'alb-ingress': {
      const { AlbIngressRouter } = await import('./alb-ingress.js');
      return new AlbIngressRouter(config, ctx);
    }
    case 'route53': {
      const { Route53Router } = await import('./route53.js');
      return new Route53Router(config, ctx);
    }
  }
}
