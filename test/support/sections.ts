// The built-in strategies' config sections, for tests that parse kdeploy.yaml themselves.
import { buildConfigSchema } from '../../src/config/schema.js';
import { strategySections } from '../../src/engine/strategy.js';

export const sections = await strategySections();

/** kdeploy.yaml's schema with the built-in sections, as the CLI validates it. */
export const configSchema = buildConfigSchema(sections);
