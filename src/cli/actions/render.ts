import { resolve } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { renderManifests } from '../../manifests/render.js';
import type { RenderArgs } from '../commands/render.js';
import { printWarnings } from '../console.js';
import { formatObjects } from '../output.js';

export async function run(args: RenderArgs): Promise<void> {
  const { config, image, warnings } = await loadConfig({
    file: args.file,
    to: args.to ?? 'latest',
    namespace: args.namespace,
    purpose: 'render',
  });
  printWarnings(args, warnings);
  const objects = renderManifests(config, {
    version: image!.version,
    image: image!.image,
    templatesDir: args.templates === undefined ? undefined : resolve(args.templates),
  });
  process.stdout.write(formatObjects(objects, args.output));
}
