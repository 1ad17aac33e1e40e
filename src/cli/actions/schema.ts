import * as z from 'zod';
import { buildConfigSchema } from '../../config/schema.js';
import { strategySections } from '../../engine/strategy.js';
import type { GlobalArgs } from '../args.js';

export async function run(args: GlobalArgs): Promise<void> {
  // The registered strategies' sections: the built-ins', and those of the plugins kdeploy.yaml lists.
  const configSchema = buildConfigSchema(await strategySections());
  // The input shape is what a person writes (defaults optional); durations are strings there.
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
  process.stdout.write(`${JSON.stringify(schema, null, args.output === 'ndjson' ? undefined : 2)}\n`);
}
