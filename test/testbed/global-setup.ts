// vitest globalSetup for the e2e tier: starts the bed (or checks the one named by KDEPLOY_TESTBED_KUBECONFIG,
// e.g. from `eval "$(test/testbed/up.sh)"`) and exports its kubeconfigs to the test workers. Any failure
// throws, which fails the run: the e2e tier never skips.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startTestbed, type Testbed } from './bed.js';

export default async function setup(): Promise<() => Promise<void>> {
  const existing = process.env.KDEPLOY_TESTBED_KUBECONFIG;
  if (existing) {
    await checkExisting(existing);
    return async () => {};
  }
  const bed: Testbed = await startTestbed();
  process.env.KDEPLOY_TESTBED_KUBECONFIG = bed.kubeconfig;
  process.env.KDEPLOY_TESTBED_LIMITED_KUBECONFIG = bed.limitedKubeconfig;
  // KDEPLOY_TESTBED_KEEP=1 keeps the run dir (logs, kubeconfigs) after a run for debugging.
  return () => bed.stop({ keep: process.env.KDEPLOY_TESTBED_KEEP === '1' });
}

async function checkExisting(path: string): Promise<void> {
  if (!process.env.KDEPLOY_TESTBED_LIMITED_KUBECONFIG) {
    throw new Error('KDEPLOY_TESTBED_KUBECONFIG is set but KDEPLOY_TESTBED_LIMITED_KUBECONFIG is not');
  }
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  const nodes = await kc.makeApiClient(CoreV1Api).listNode();
  const ready = nodes.items.filter((n) =>
    n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  if (ready.length === 0)
    throw new Error(`the test bed at ${kc.getCurrentCluster()?.server} has no Ready nodes`);
}
