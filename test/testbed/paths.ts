import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

// run-cli.sh bundles this file elsewhere and defines import.meta.dirname as this directory.
const TESTBED_DIR = import.meta.dirname;
export const KWOK_STAGES = join(TESTBED_DIR, 'fixtures', 'kwok-stages.yaml');

export interface Versions {
  K8S_VERSION: string;
  ETCD_VERSION: string;
  KWOK_VERSION: string;
}

/** versions.env is shared with build.sh, so both agree on which cached binaries belong to this checkout. */
export function readVersions(): Versions {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(join(TESTBED_DIR, 'versions.env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(\S+)/.exec(line);
    if (m) vars[m[1]!] = m[2]!;
  }
  const { K8S_VERSION, ETCD_VERSION, KWOK_VERSION } = vars;
  if (!K8S_VERSION || !ETCD_VERSION || !KWOK_VERSION)
    throw new Error('test/testbed/versions.env is incomplete');
  return { K8S_VERSION, ETCD_VERSION, KWOK_VERSION };
}

/** Same location build.sh writes to. */
export function binDir(versions: Versions = readVersions()): string {
  const cache = process.env.KDEPLOY_TESTBED_CACHE ?? join(homedir(), '.cache', 'kdeploy-testbed');
  return join(cache, versions.K8S_VERSION, 'bin');
}
