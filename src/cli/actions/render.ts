import { resolve } from 'node:path';
import { loadConfig } from '../../config/load.js';
import type { KdeployConfig } from '../../config/schema.js';
import { RealClock } from '../../core/clock.js';
import { strategySections } from '../../engine/strategy.js';
import { renderManifests } from '../../manifests/render.js';
import type { RenderArgs } from '../commands/render.js';
import { printWarnings } from '../console.js';
import { formatObjects } from '../output.js';

export async function run(args: RenderArgs): Promise<void> {
  const { config, image, warnings } = await loadConfig({
    file: args.file,
    sections: await strategySections(),
    to: args.to ?? 'latest',
    namespace: args.namespace,
    purpose: 'render',
  });
  printWarnings(args, warnings);
  const templatesDir = args.templates === undefined ? config.templates : resolve(args.templates);
  const objects = renderManifests(config, { version: image!.version, image: image!.image, templatesDir });
  const baseline = config.strategy.canary.baseline
    ? [
        (await import('../../../strategies/canary/manifests.js')).baselineManifest(
          { ...config, templates: templatesDir },
          image!,
        ),
      ]
    : [];
  const bindings = await targetGroupBindings(config, templatesDir);
  process.stdout.write(formatObjects([...objects, ...baseline, ...bindings], args.output));
}

/** The TargetGroupBindings a release applies for each alb router that manages target registration. */
async function targetGroupBindings(config: KdeployConfig, templatesDir: string | undefined) {
  const routed = [
    {
      router: config.strategy.canary.router,
      services: async () => (await import('../../../strategies/canary/manifests.js')).canaryServices(config),
    },
    {
      router: config.strategy.bluegreen.router,
      services: async () =>
        (await import('../../../strategies/bluegreen/context.js')).bluegreenServices(config),
    },
  ];
  const objects: object[] = [];
  for (const { router, services } of routed) {
    if (router?.type !== 'alb' || !router.targetGroupBinding) continue;
    const { AlbRouter } = await import('../../traffic/alb.js');
    const ctx = { app: config.app, namespace: config.namespace, clock: new RealClock() };
    objects.push(...new AlbRouter(router, { ...ctx, services: await services(), templatesDir }).bindings());
  }
  return objects;
}
