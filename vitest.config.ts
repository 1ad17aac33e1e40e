import { defineConfig } from 'vitest/config';

// Unit and simulator tests: fast, no external processes except the in-process simulated cluster
// and the local servers a test starts itself. The real control plane runs in vitest.e2e.config.ts.
export default defineConfig({
  test: {
    setupFiles: ['test/support/builtins.ts'],
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
