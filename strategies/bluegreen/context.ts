// What the blue/green steps share: the state a release saves, colour names, the router and the flip.
import type { KdeployConfig } from '../../src/config/schema.js';
import { LABELS } from '../../src/core/labels.js';
import type { ReleaseState } from '../../src/core/release.js';
import type { StepContext } from '../../src/engine/strategy.js';
import type { RoutedServices } from '../../src/traffic/aws-routers.js';
import { routerFor, shiftTraffic } from '../progressive.js';
import { renderFor, serviceRef } from '../shared/objects.js';
export type Color = 'blue' | 'green';

export interface BlueGreenData {
  adopted?: true;
  /** The colour this release deploys to. */
  target?: Color;
  /** The colour live before the release; absent when none was. */
  active?: Color;
  /** A plain Deployment `<app>` served before (adoption). */
  plain?: boolean;
  /** The active Service's selector before the release (restored when an adoption rolls back). */
  previousSelector?: Record<string, string>;
  createdService?: boolean;
}

/** Identifies a rendered template, so a colour that already runs exactly it is reused warm (rollbacks). */
export const TEMPLATE_HASH = 'kdeploy.dev/template-hash';

export const data = (r: ReleaseState) => r.data as BlueGreenData;
export const other = (c: Color): Color => (c === 'blue' ? 'green' : 'blue');
/** For a plan: the colour the release will deploy to, as `observe` read it, else blue (a first release). */
export const idleColor = (release: ReleaseState): Color => data(release).target ?? 'blue';
export const colorName = (c: KdeployConfig, color: Color) => `${c.app}-${color}`;
export const labelsOf = (o: { metadata?: unknown } | undefined) =>
  (o?.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {};
export const annotationsOf = (o: { metadata?: unknown } | undefined) =>
  (o?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {};

export interface ServiceShape {
  metadata?: { name?: string };
  spec?: { selector?: Record<string, string> };
}

export function target(ctx: StepContext): Color {
  const t = data(ctx.release).target;
  if (!t) throw new Error('the release record has no target colour: the adopt step did not run');
  return t;
}

/** The share of traffic a router gives green: blue is the router's "stable" side, green its "canary" side. */
export const weightFor = (color: Color) => (color === 'green' ? 100 : 0);

export const routerConfig = (c: KdeployConfig) => c.strategy.bluegreen.router ?? { type: 'service' as const };
/** The active Service flips by colour (service router); a weight router points at a Service per colour. */
export const routerDeps = (c: KdeployConfig) => ({
  flip: { service: c.app, label: LABELS.color, values: { stable: 'blue', canary: 'green' } },
  services: bluegreenServices(c),
});

export function router(ctx: StepContext) {
  return routerFor(ctx, routerConfig(ctx.config), routerDeps(ctx.config));
}

/** The Service per colour a weight router points its targets at (blue its stable side, green its canary side). */
export const bluegreenServices = (c: KdeployConfig): RoutedServices => ({
  stable: colorName(c, 'blue'),
  canary: colorName(c, 'green'),
  port: c.service.port,
});

export const usesWeights = (config: KdeployConfig) => routerConfig(config).type !== 'service';

/** Sends all traffic to `color`; reported as the new version's share. */
export async function activate(ctx: StepContext, color: Color): Promise<void> {
  await shiftTraffic(ctx, await router(ctx), weightFor(color), target(ctx) === 'green');
  if (usesWeights(ctx.config))
    await ctx.cluster.patch(
      serviceRef(ctx.config, ctx.config.app),
      { spec: { selector: { [LABELS.color]: color } } },
      'merge',
    );
}

/** The objects a blue/green release to `color` applies: that colour's Deployment, the active and preview Services. */
export function bluegreenManifests(
  config: KdeployConfig,
  to: { version: string; image: string },
  color: Color,
) {
  const [deployment] = renderFor(config, to, { nameSuffix: `-${color}`, color }, ['deployment']);
  const [service, preview] = renderFor(config, to, undefined, ['service', 'preview-service'], {
    serviceSelector: { [LABELS.color]: color },
    previewSelector: { [LABELS.color]: color },
  });
  return { deployment: deployment!, service: service!, preview: preview! };
}
