import { registerStrategy } from '../src/engine/strategy.js';

// The built-in strategies, registered by each composition root (CLI, Lambda, Action, library entry), never by
// the engine. Code and config section load on first use: validating kdeploy.yaml loads the three small
// sections, a canary release then loads the canary's code only.

/** Registers rolling, bluegreen and canary, in that order (the order of `strategy:` keys in messages). */
export function registerBuiltinStrategies(): void {
  registerStrategy(
    'rolling',
    async () => (await import('./rolling.js')).rolling,
    async () => (await import('./config/rolling.js')).rollingSection,
  );
  registerStrategy(
    'bluegreen',
    async () => (await import('./bluegreen.js')).bluegreen,
    async () => (await import('./config/bluegreen.js')).bluegreenSection,
  );
  registerStrategy(
    'canary',
    async () => (await import('./canary.js')).canary,
    async () => (await import('./config/canary.js')).canarySection,
  );
}
