import * as z from 'zod';
import { DURATION_PATTERN, parseDuration } from './duration-text.js';

export { formatDuration, parseDuration } from './duration-text.js';

/** A duration field: a string like `30s`/`5m`/`1h`, parsed to milliseconds. */
export const duration = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, {
    message: 'expected a duration such as 30s, 5m, 1h or 1h30m (units: ms, s, m, h)',
  })
  .transform((s) => parseDuration(s)!)
  .meta({ type: 'string', pattern: DURATION_PATTERN.source, description: 'Duration such as 30s, 5m, 1h' });
