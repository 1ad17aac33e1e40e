// Per-test namespaces on the shared bed, and the bed's kubeconfigs for test code.
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';

export const TEST_NAMESPACE_LABEL = 'kdeploy.test/e2e';

/** Admin (system:masters) or the limited user `kdeploy-limited`, which has no bindings until a test adds them. */
export function testbedKubeConfig(who: 'admin' | 'limited' = 'admin'): KubeConfig {
  const env = who === 'admin' ? 'KDEPLOY_TESTBED_KUBECONFIG' : 'KDEPLOY_TESTBED_LIMITED_KUBECONFIG';
  const path = process.env[env];
  if (!path)
    throw new Error(`${env} is not set: run the e2e tier through vitest.e2e.config.ts (npm run test:e2e)`);
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export async function createTestNamespace(prefix: string, kc = testbedKubeConfig()): Promise<string> {
  const name = `${prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 50)}-${randomBytes(3).toString('hex')}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({
    body: { metadata: { name, labels: { [TEST_NAMESPACE_LABEL]: 'true' } } },
  });
  return name;
}

/** Doesn't wait for the namespace controller to finish: nothing reuses the name. */
export async function deleteTestNamespace(name: string, kc = testbedKubeConfig()): Promise<void> {
  await kc.makeApiClient(CoreV1Api).deleteNamespace({ name });
}

/** A fresh namespace for the enclosing describe block (or file), deleted afterwards. */
export function useTestNamespace(prefix: string): { readonly name: string } {
  let name: string | undefined;
  beforeAll(async () => {
    name = await createTestNamespace(prefix);
  });
  afterAll(async () => {
    if (name) await deleteTestNamespace(name);
  });
  return {
    get name() {
      if (!name)
        throw new Error('useTestNamespace: namespace not created yet (use it inside tests or hooks)');
      return name;
    },
  };
}
