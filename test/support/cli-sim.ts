// For a test file whose CLI processes work on one simulated cluster: the simulator on wall time (the CLI's
// clock), a scratch folder, and kubeconfig files pointing at the simulator or at a proxy in front of it.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { SimulatedCluster } from '../../src/sim/index.js';
import { startSim, stopSim } from './engine-sim.js';
import { CLI } from './kill-proxy.js';

export interface CliSim {
  readonly sim: SimulatedCluster;
  readonly dir: string;
  /** A kubeconfig file named `name` in the scratch folder whose server is `url`. */
  kubeconfigFor(url: string, name: string): string;
}

/** Registers the file's beforeAll/afterAll; the fields are usable from the tests on. */
export function useCliSim(prefix: string): CliSim {
  const bed = {} as { sim: SimulatedCluster; dir: string };
  beforeAll(async () => {
    // npm test builds dist/ once (pretest). Rebuilding here raced the other files' CLI processes, which then
    // loaded half-written chunks.
    expect(existsSync(CLI), 'dist/cli.js is missing: run `npm run build` (npm test does)').toBe(true);
    bed.sim = await startSim();
    bed.dir = mkdtempSync(join(tmpdir(), `kdeploy-${prefix}-`));
  }, 180_000);
  afterAll(async () => {
    await stopSim(bed.sim);
    if (bed.dir) rmSync(bed.dir, { recursive: true, force: true });
  });
  return {
    get sim() {
      return bed.sim;
    },
    get dir() {
      return bed.dir;
    },
    kubeconfigFor(url, name) {
      const path = join(bed.dir, name);
      writeFileSync(path, bed.sim.kubeConfigYaml.replace(bed.sim.url, url));
      return path;
    },
  };
}
