// `kdeploy plan`: loads and checks kdeploy.yaml, derives the release plan from the strategy's own steps,
// and, when a cluster is configured and answers, lets the plan read it (blue/green's idle colour) and adds
// the server-side dry-run diff. Never writes.
import type { ArgumentsCamelCase } from 'yargs';
import { loadConfig } from '../../config/load.js';
import { RealClock } from '../../core/clock.js';
import type { Cluster } from '../../core/cluster.js';
import type { StrategyKind } from '../../core/release.js';
import { diffAgainstCluster } from '../../engine/plan/diff.js';
import { planRelease } from '../../engine/plan/estimate.js';
import { strategySections } from '../../engine/strategy.js';
import { KubeCluster } from '../../kube/cluster.js';
import { loadKubeConfig } from '../../kube/kubeconfig.js';
import type { GlobalArgs } from '../args.js';
import { printWarnings } from '../console.js';
import { formatPlan } from '../render/plan.js';

type Args = ArgumentsCamelCase<GlobalArgs & { to?: string; strategy: string }>;

export async function run(args: Args): Promise<void> {
  const { config, image, warnings } = await loadConfig({
    file: args.file,
    to: args.to,
    namespace: args.namespace,
    purpose: 'release',
    sections: await strategySections(),
  });
  printWarnings(args, warnings);

  // The cluster is optional: without one (or when it doesn't answer) the plan has no diff.
  let cluster: Cluster | undefined;
  let noCluster: string | undefined;
  try {
    const access = loadKubeConfig({
      kubeconfig: args.kubeconfig ?? config.cluster.kubeconfig,
      context: args.context ?? config.cluster.context,
      namespace: args.namespace,
      configNamespace: config.namespace,
    });
    cluster = new KubeCluster(access, { retries: 1, maxTimeoutMs: 1_000 });
  } catch (err) {
    noCluster = `no cluster: ${(err as Error).message}`;
  }
  const plan = await planRelease({
    config,
    strategy: args.strategy as StrategyKind,
    to: { version: image!.version, image: image!.image },
    clock: new RealClock(),
    cluster,
  });
  if (cluster && !plan.diffSkipped) {
    const diff = await diffAgainstCluster(cluster, plan.manifests);
    // Every object failing the same way means the cluster is not there, not that the objects are wrong.
    if (diff.length && diff.every((d) => d.action === 'error'))
      plan.diffSkipped = `cluster not reachable: ${diff[0]!.changes[0]}`;
    else plan.diff = diff;
  }
  if (noCluster) plan.diffSkipped = noCluster;

  if (args.output === 'text') process.stdout.write(formatPlan(plan));
  else
    process.stdout.write(
      args.output === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : `${JSON.stringify(plan)}\n`,
    );
}
