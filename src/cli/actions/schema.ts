import * as z from 'zod';
import { configSchema } from '../../config/schema.js';
import type { GlobalArgs } from '../args.js';

export async function run(args: GlobalArgs): Promise<void> {
  // The input shape is what a person writes (defaults optional); durations are strings there.
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
  process.stdout.write(`${JSON.stringify(schema, null, args.output === 'ndjson' ? undefined : 2)}\n`);
}
