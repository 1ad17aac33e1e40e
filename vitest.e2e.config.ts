import { defineConfig } from 'vitest/config';

// E2E tier: a real kube-apiserver, controllers, scheduler, etcd and KWOK started once by the global setup.
// Files run one at a time: they share one control plane on 2 cores, and each test gets its own namespace.
export default defineConfig({
  test: {
    setupFiles: ['test/support/builtins.ts'],
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/testbed/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
  },
});
