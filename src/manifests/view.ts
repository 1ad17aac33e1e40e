import type { KdeployConfig } from '../config/schema.js';

// What the templates see: a view of the config with names, labels and selectors already decided, so the
// templates (built-in or a user's) only lay objects out. Pure.

export const LABELS = {
  name: 'app.kubernetes.io/name',
  managedBy: 'app.kubernetes.io/managed-by',
  app: 'kdeploy.dev/app',
  version: 'kdeploy.dev/version',
  role: 'kdeploy.dev/role',
  color: 'kdeploy.dev/color',
} as const;

/** One of the progressive strategies' Deployments (`<app>-canary` with role canary, `<app>-green` with color green…). */
export interface Variant {
  /** Appended to the app name: `-canary`, `-green`. */
  nameSuffix?: string;
  role?: 'stable' | 'canary' | 'baseline';
  color?: 'blue' | 'green';
  /** Overrides config.replicas. */
  replicas?: number;
}

export interface ViewOptions {
  /** The `kdeploy.dev/version` label value. */
  version: string;
  /** The full image reference for the container. */
  image: string;
  variant?: Variant;
  /** Labels the Service selects on besides `kdeploy.dev/app` (blue/green: the active color). */
  serviceSelector?: Record<string, string>;
  /** Labels the preview Service selects on besides `kdeploy.dev/app` (blue/green: the idle color). */
  previewSelector?: Record<string, string>;
}

function compact<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function buildView(config: KdeployConfig, options: ViewOptions) {
  const { app, namespace } = config;
  const variant = options.variant ?? {};
  const common = { [LABELS.name]: app, [LABELS.managedBy]: 'kdeploy', [LABELS.app]: app };
  // The selector is immutable on a Deployment: only the app and, for a variant, its role or color.
  const selector = compact({
    [LABELS.app]: app,
    [LABELS.role]: variant.role,
    [LABELS.color]: variant.color,
  }) as Record<string, string>;
  const ownLabels = { ...common, ...selector, [LABELS.version]: options.version };
  const firstPort = config.ports[0]!;
  const servicePorts = [
    {
      name: firstPort.name,
      port: config.service.port,
      targetPort: config.service.targetPort ?? firstPort.name,
      protocol: firstPort.protocol,
    },
  ];
  const env = Array.isArray(config.env)
    ? config.env
    : Object.entries(config.env).map(([name, value]) => ({ name, value }));

  return {
    app,
    namespace,
    version: options.version,
    name: `${app}${variant.nameSuffix ?? ''}`,
    replicas: variant.replicas ?? config.replicas,
    // User labels first: kdeploy's own labels win, since strategies select on them. Services carry no
    // version, role or color: they outlive releases.
    labels: { ...config.labels, ...common },
    workloadLabels: { ...config.labels, ...ownLabels },
    annotations: config.annotations,
    selector,
    progressDeadlineSeconds: Math.ceil(config.strategy.rolling.progressDeadline / 1000),
    rollingUpdate: {
      maxSurge: config.strategy.rolling.maxSurge,
      maxUnavailable: config.strategy.rolling.maxUnavailable,
    },
    pod: {
      labels: { ...config.labels, ...config.podLabels, ...ownLabels },
      annotations: config.podAnnotations,
      serviceAccountName: config.serviceAccountName,
      imagePullSecrets: config.image.pullSecrets.map((name) => ({ name })),
      nodeSelector: config.nodeSelector,
      tolerations: config.tolerations,
      affinity: config.affinity,
    },
    container: {
      name: app,
      image: options.image,
      imagePullPolicy: config.image.pullPolicy,
      ports: config.ports,
      env,
      resources: config.resources,
      readinessProbe: config.probes.readiness,
      livenessProbe: config.probes.liveness,
      startupProbe: config.probes.startup,
    },
    service: {
      name: app,
      type: config.service.type,
      annotations: config.service.annotations,
      selector: { [LABELS.app]: app, ...options.serviceSelector },
      ports: servicePorts,
    },
    previewService: {
      name: `${app}-preview`,
      annotations: {},
      selector: { [LABELS.app]: app, ...options.previewSelector },
      ports: servicePorts,
    },
  };
}

export type ManifestView = ReturnType<typeof buildView>;
