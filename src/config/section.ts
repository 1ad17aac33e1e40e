import type { z } from 'zod';
import type { ConfigPath } from './errors.js';
import type { KdeployConfig } from './schema.js';

// A strategy's section of kdeploy.yaml (`strategy.canary`, `strategy.recreate`…). Each strategy owns its
// section: the config layer builds the `strategy:` object from the sections it is given, validates each one
// with the section's own schema and runs the section's cross-field check.

export interface ConfigProblem {
  path: ConfigPath;
  message: string;
}

/** What a cross-field rule finds: errors stop the release (exit 2), warnings are printed. */
export interface CheckResult {
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
}

/** The part of a section the schema needs: its key under `strategy:` and the schema of its value. */
export interface SectionSchema {
  readonly key: string;
  /**
   * Validates and defaults the section's value. A section every release relies on gives itself defaults
   * (`.prefault({})`, as the built-ins do) so it is there when the file omits it; one with required fields
   * is `.optional()`.
   */
  readonly schema: z.ZodType;
}

export interface ConfigSection extends SectionSchema {
  /** Rules that span this section and the rest of the config (analysis refs, router types). */
  check?(config: KdeployConfig): CheckResult;
}
