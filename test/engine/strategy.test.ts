import { describe, expect, it, vi } from 'vitest';

// The strategy registry starts empty: the engine registers nothing, the composition roots register the
// built-ins (test/support/builtins.ts stands in for one in the other tests, so these import fresh modules).
async function freshRegistry() {
  vi.resetModules();
  const engine = await import('../../src/engine/strategy.js');
  const builtins = await import('../../strategies/index.js');
  return { ...engine, ...builtins };
}

describe('the strategy registry', () => {
  it('has no strategy and no config section until the built-ins are registered', async () => {
    const { strategies, strategySections, loadStrategy } = await freshRegistry();
    expect(strategies.names()).toEqual([]);
    expect(await strategySections()).toEqual([]);
    await expect(loadStrategy('canary')).rejects.toMatchObject({
      message: 'unknown strategy "canary" (known: none registered)',
      exitCode: 2,
    });
  });

  it('knows rolling, bluegreen and canary, in that order, once registered', async () => {
    const { strategies, strategySections, registerBuiltinStrategies, loadStrategy } = await freshRegistry();
    registerBuiltinStrategies();
    expect(strategies.names()).toEqual(['rolling', 'bluegreen', 'canary']);
    expect((await strategySections()).map((s) => s.key)).toEqual(['rolling', 'bluegreen', 'canary']);
    expect((await loadStrategy('bluegreen')).name).toBe('bluegreen');
  });

  it('names the known strategies, and the likely one, for an unknown name (exit 2)', async () => {
    const { registerBuiltinStrategies, loadStrategy } = await freshRegistry();
    registerBuiltinStrategies();
    await expect(loadStrategy('canry')).rejects.toMatchObject({
      message: 'unknown strategy "canry" (did you mean "canary"? known: rolling, bluegreen, canary)',
      exitCode: 2,
    });
  });

  it('registers a strategy object with its config section', async () => {
    const { strategies, strategySections, registerStrategy, loadStrategy } = await freshRegistry();
    const { z } = await import('../../src/plugin.js');
    const configSection = { key: 'recreate', schema: z.strictObject({}).prefault({}) };
    const recreate = { name: 'recreate', configSection, plan: () => ({ steps: [], rollback: [] }) };
    registerStrategy(recreate);
    expect(strategies.has('recreate')).toBe(true);
    expect(await strategySections()).toEqual([configSection]);
    expect(await loadStrategy('recreate')).toBe(recreate);
  });
});
