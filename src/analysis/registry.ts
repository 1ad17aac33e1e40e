import { RealClock } from '../core/clock.js';
import type { Clock, MetricProvider } from '../core/ports.js';

// Providers register by name: the key under a metric's `provider:` in kdeploy.yaml (`prometheus:`,
// `cloudwatch:` …). A third party adds one with `providers.register('datadog', factory)`; the built-in ones
// are imported only when a metric uses them, so the AWS SDK loads only for CloudWatch metrics.

/** A pod as the kubernetes provider reads it (the fields of V1Pod it uses). */
export interface PodLike {
  metadata?: { name?: string; deletionTimestamp?: Date | string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: ContainerStatusLike[];
    initContainerStatuses?: ContainerStatusLike[];
  };
}
export interface ContainerStatusLike {
  name: string;
  restartCount: number;
  state?: { terminated?: { reason?: string } };
  lastState?: { terminated?: { reason?: string } };
}

/** What the kubernetes provider needs from the cluster: src/kube's Cluster has it. */
export interface PodLister {
  list(
    apiVersion: string,
    kind: string,
    options: { namespace?: string; labelSelector?: string },
  ): Promise<{ items: PodLike[] }>;
}

/** AWS credentials, or a function that resolves them (the SDK's credential provider shape). */
export type AwsCredentials =
  | { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  | (() => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>);

/** What providers may use from their surroundings; every field is optional and has a real default. */
export interface ProviderContext {
  /** Time for measurement timestamps and windows ending "now"; defaults to the system clock. */
  clock?: Clock;
  /** HTTP client; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Cluster access for the kubernetes provider. */
  cluster?: PodLister;
  /** Credentials for AWS calls (CloudWatch, AMP SigV4); defaults to the SDK's provider chain. */
  awsCredentials?: AwsCredentials;
}

/** A provider bound to one metric's options, with the query template `measure` receives. */
export interface BoundProvider {
  provider: MetricProvider;
  query: string;
}

/** Builds a provider from the options under its key in a metric's `provider:` section. */
export type ProviderFactory = (
  options: Record<string, unknown>,
  context: ProviderContext,
) => Promise<BoundProvider>;

export class ProviderRegistry {
  private readonly factories = new Map<string, ProviderFactory>();

  register(name: string, factory: ProviderFactory): this {
    this.factories.set(name, factory);
    return this;
  }

  get(name: string): ProviderFactory | undefined {
    return this.factories.get(name);
  }

  names(): string[] {
    return [...this.factories.keys()];
  }
}

/** The built-in providers. */
export const providers = new ProviderRegistry()
  .register('prometheus', async (o, c) =>
    (await import('./providers/prometheus.js')).createPrometheus(o as never, c),
  )
  .register('cloudwatch', async (o, c) =>
    (await import('./providers/cloudwatch.js')).createCloudWatch(o as never, c),
  )
  .register('kubernetes', async (o, c) =>
    (await import('./providers/kubernetes.js')).createKubernetes(o as never, c),
  )
  .register('http', async (o, c) => (await import('./providers/http.js')).createHttp(o as never, c));

/** Wall time, for providers given no clock. */
export const systemClock: Clock = new RealClock();
