import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';

export const schemaCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'schema',
  describe: 'Print the JSON Schema of kdeploy.yaml (for editors and linters)',
  builder: (y) =>
    y.example(
      '$0 schema > kdeploy.schema.json',
      'then add "# yaml-language-server: $schema=kdeploy.schema.json"',
    ),
  handler: lazy(() => import('../actions/schema.js')),
};
