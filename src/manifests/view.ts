import type { KdeployConfig } from '../config/schema.js';
import { LABELS } from '../core/labels.js';
import { rolloutOf } from './rollout.js';

// What the templates see: a view of the config with names, labels and selectors already decided, so the
// templates (built-in or a user's) only lay objects out. Pure.

/**
 * One of the progressive strategies' Deployments (`<app>-canary` with role canary, `<app>-green` with color
 * green…). The role is the traffic side a pod is on; the track tells metrics which population it belongs
 * to. They differ only for the canary's baseline: role stable (it serves like a stable pod), track baseline.
 */
export interface Variant {
  /** Appended to the app name: `-canary`, `-green`, `-baseline`. */
  nameSuffix?: string;
  role?: 'stable' | 'canary';
  track?: 'canary' | 'baseline';
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
  const rollout = rolloutOf(config);
  const { app, namespace } = config;
  const variant = options.variant ?? {};
  const common = { [LABELS.name]: app, [LABELS.managedBy]: 'kdeploy', [LABELS.app]: app };
  // The selector is immutable on a Deployment: only the app and, for a variant, what sets it apart: its
  // role or color, or for the baseline (whose role, stable, is the stable Deployment's too) its track.
  const selector = compact({
    [LABELS.app]: app,
    ...(variant.track === 'baseline'
      ? { [LABELS.track]: variant.track }
      : { [LABELS.role]: variant.role, [LABELS.color]: variant.color }),
  }) as Record<string, string>;
  const ownLabels = {
    ...common,
    ...compact({ [LABELS.role]: variant.role, [LABELS.track]: variant.track }),
    ...selector,
    [LABELS.version]: options.version,
  } as Record<string, string>;
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
    progressDeadlineSeconds: Math.ceil(rollout.progressDeadline / 1000),
    rollingUpdate: { maxSurge: rollout.maxSurge, maxUnavailable: rollout.maxUnavailable },
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
