// The canary's objects and names: the stable Deployment `<app>`, the canary `<app>-canary`, the baseline
// `<app>-baseline`, the app's Service, and the side Services a router that splits traffic itself points at.
import type { KdeployConfig } from '../../src/config/schema.js';
import { LABELS } from '../../src/core/labels.js';
import type { Manifest } from '../../src/manifests/render.js';
import type { RoutedServices } from '../../src/traffic/aws-routers.js';
import { renderFor, sideService } from '../shared/objects.js';
import { splitsByPodRatio } from './split.js';
export const canaryName = (c: KdeployConfig) => `${c.app}-canary`;
export const baselineName = (c: KdeployConfig) => `${c.app}-baseline`;
export const stableName = (c: KdeployConfig) => `${c.app}-stable`;
export const routerConfig = (c: KdeployConfig) => c.strategy.canary.router ?? { type: 'replicas' as const };
/** A router that splits traffic itself (alb, route53) rather than by pod ratio behind the app's Service. */
export const splitsItself = (c: KdeployConfig) => !splitsByPodRatio(routerConfig(c).type);

/** The objects a canary release applies: the stable Deployment (as promotion leaves it), the canary, the Service. */
export function canaryManifests(config: KdeployConfig, to: { version: string; image: string }) {
  const [stable, service] = renderFor(config, to, undefined, ['deployment', 'service']);
  const [canary] = renderFor(
    config,
    to,
    { nameSuffix: '-canary', role: 'canary', track: 'canary', replicas: 0 },
    ['deployment'],
  );
  return { stable: stable!, canary: canary!, service: service! };
}

/** The Services per side behind a router that splits traffic itself, derived from the app's Service. */
export function sideServices(config: KdeployConfig, service: Manifest): Manifest[] {
  return [
    sideService(service, stableName(config), { [LABELS.role]: 'stable' }),
    sideService(service, canaryName(config), { [LABELS.role]: 'canary' }),
  ];
}

/** What `kdeploy plan` shows: the objects above, and the side Services when the router needs them. */
export function planManifests(config: KdeployConfig, to: { version: string; image: string }): Manifest[] {
  const m = canaryManifests(config, to);
  return [m.stable, m.canary, m.service, ...(splitsItself(config) ? sideServices(config, m.service) : [])];
}

/**
 * The baseline Deployment for a stable version (`kdeploy render` shows it at the rendered version). A
 * release gives it the live stable pod template instead.
 */
export function baselineManifest(config: KdeployConfig, stable: { version: string; image: string }) {
  return renderFor(
    config,
    stable,
    { nameSuffix: '-baseline', role: 'stable', track: 'baseline', replicas: 0 },
    ['deployment'],
  )[0]!;
}

/** The side Services a router that splits traffic itself points its targets at. */
export const canaryServices = (c: KdeployConfig): RoutedServices => ({
  stable: stableName(c),
  canary: canaryName(c),
  port: c.service.port,
});
