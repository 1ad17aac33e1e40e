// The labels and annotations kdeploy puts on every object it manages: the names every layer (manifests,
// routers, providers, the simulator, status) selects by. Changing one orphans what earlier releases made.

export const LABELS = {
  name: 'app.kubernetes.io/name',
  managedBy: 'app.kubernetes.io/managed-by',
  app: 'kdeploy.dev/app',
  version: 'kdeploy.dev/version',
  role: 'kdeploy.dev/role',
  color: 'kdeploy.dev/color',
  /** Which population a pod belongs to for metrics: `canary` or `baseline` (stable pods have none). */
  track: 'kdeploy.dev/track',
} as const;

/** On a pod template: the release that wrote it, so a step tells its own change from anyone else's. */
export const RELEASE_ANNOTATION = 'kdeploy.dev/release';
