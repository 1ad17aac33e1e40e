import { loadConfig } from '../../config/load.js';
import { strategySections } from '../../engine/strategy.js';
import type { GlobalArgs } from '../args.js';
import { printWarnings } from '../console.js';

/** Loads and checks kdeploy.yaml and the flags a release needs, so bad input exits 2 before any cluster call. */
export async function run(args: GlobalArgs & { to?: string }): Promise<void> {
  const loaded = await loadConfig({
    file: args.file,
    sections: await strategySections(),
    to: args.to,
    namespace: args.namespace,
    purpose: 'release',
  });
  printWarnings(args, loaded.warnings);
}
