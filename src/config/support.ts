import type { ConfigPath } from './errors.js';
import type { KdeployConfig } from './schema.js';

// Feature gates: fields the schema accepts but the code can't honour yet. Loading a config that uses one
// fails with "not supported yet" (exit 2) instead of silently ignoring it. This is the one list: whoever
// implements a feature removes its entry (the tests iterate over this list, so they follow).

export interface FeatureGate {
  /** What isn't supported, as the message names it. */
  feature: string;
  /** Whether `kdeploy render` depends on it (e.g. a router that renders extra objects); other gates apply to releases only. */
  affectsManifests: boolean;
  /** Where a config uses the feature. */
  find(config: KdeployConfig): ConfigPath[];
  /** A config fragment that uses the feature, merged into a minimal config by the tests. */
  example: Record<string, unknown>;
}

export const NOT_SUPPORTED_YET: readonly FeatureGate[] = [];

export type Purpose = 'release' | 'render';

/** The paths of a config that use a gated feature, with the message to show. */
export function unsupportedFields(
  config: KdeployConfig,
  purpose: Purpose,
): { path: ConfigPath; message: string }[] {
  return NOT_SUPPORTED_YET.filter((g) => purpose === 'release' || g.affectsManifests).flatMap((g) =>
    g.find(config).map((path) => ({ path, message: `${g.feature} is not supported yet` })),
  );
}
