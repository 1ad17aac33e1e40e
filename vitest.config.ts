import { defineConfig } from 'vitest/config';

// Layout (test/README.md, checked by `npm run lint:tests`): the test of src/x/y.ts is test/x/y.test.ts
// (strategies/z.ts → test/strategies/z.test.ts, lambda/w.ts → test/lambda/w.test.ts); a behaviour test spanning
// several modules is named after the module it drives (CLI tests: test/cli/commands/<command>.test.ts).
// Helpers only in test/support/. No real-time sleeps or wall-clock assertions here: virtual clock, fake timers,
// eventually().

// Unit and simulator tests: fast, no external processes except the in-process simulated cluster
// and the local servers a test starts itself. The real control plane runs in vitest.e2e.config.ts.
export default defineConfig({
  test: {
    setupFiles: ['test/support/builtins.ts'],
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    // Two workers even on 2 cores (vitest's default there is 1): most files wait on sockets and child
    // processes, so two overlap well (measured: 102 s → 57 s for everything but the crash suites).
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
