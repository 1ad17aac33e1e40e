// A vitest setup file (vitest.config.ts, vitest.e2e.config.ts): tests that call engine operations directly
// stand where a composition root would, so the built-in strategies are registered for them here.
import { registerBuiltinStrategies } from '../../strategies/index.js';

registerBuiltinStrategies();
