import type { MetricVars } from '../../src/core/ports.js';

/** The release variables the analysis tests measure with: a canary v2 of `checkout` against stable v1. */
export const vars: MetricVars = {
  app: 'checkout',
  namespace: 'shop',
  stableVersion: 'v1',
  canaryVersion: 'v2',
};
