// `kdeploy plan`: loads and checks kdeploy.yaml, computes the release plan, and, when a cluster is
// configured and answers, adds the server-side dry-run diff. Never writes.
import type { ArgumentsCamelCase } from 'yargs';
import { formatDuration } from '../../config/duration-text.js';
import { loadConfig } from '../../config/load.js';
import { RealClock } from '../../core/clock.js';
import type { Cluster } from '../../core/cluster.js';
import { LABELS } from '../../core/labels.js';
import {
  diffAgainstCluster,
  type PlannedStep,
  planRelease,
  type ReleasePlan,
} from '../../engine/plan-estimate.js';
import { strategySections } from '../../engine/strategy.js';
import { KubeCluster } from '../../kube/cluster.js';
import { loadKubeConfig } from '../../kube/kubeconfig.js';
import type { GlobalArgs } from '../args.js';
import { printWarnings } from '../console.js';
import { formatObjects } from '../output.js';

type Args = ArgumentsCamelCase<GlobalArgs & { to?: string; strategy: string }>;

export async function run(args: Args): Promise<void> {
  const { config, image, warnings } = await loadConfig({
    file: args.file,
    sections: await strategySections(),
    to: args.to,
    namespace: args.namespace,
    purpose: 'release',
  });
  printWarnings(args, warnings);
  const { strategy } = args;
  const to = { version: image!.version, image: image!.image };

  // The cluster is optional: without one (or when it doesn't answer) the plan has no diff.
  let cluster: Cluster | undefined;
  let diffSkipped: string | undefined;
  try {
    const access = loadKubeConfig({
      kubeconfig: args.kubeconfig ?? config.cluster.kubeconfig,
      context: args.context ?? config.cluster.context,
      namespace: args.namespace,
      configNamespace: config.namespace,
    });
    cluster = new KubeCluster(access, { retries: 1, maxTimeoutMs: 1_000 });
  } catch (err) {
    diffSkipped = `no cluster: ${(err as Error).message}`;
  }
  let idleColor: 'blue' | 'green' | undefined;
  if (cluster && strategy === 'bluegreen') {
    try {
      const svc = await cluster.get<{ kind?: string; spec?: { selector?: Record<string, string> } }>({
        apiVersion: 'v1',
        kind: 'Service',
        name: config.app,
        namespace: config.namespace,
      });
      idleColor = svc?.spec?.selector?.[LABELS.color] === 'blue' ? 'green' : 'blue';
    } catch (err) {
      diffSkipped = `cluster not reachable: ${(err as Error).message}`;
      cluster = undefined;
    }
  }
  const plan: ReleasePlan = await planRelease({ config, strategy, to, clock: new RealClock(), idleColor });
  if (cluster) {
    const diff = await diffAgainstCluster(cluster, plan.manifests);
    // Every object failing the same way means the cluster is not there, not that the objects are wrong.
    if (diff.length && diff.every((d) => d.action === 'error'))
      diffSkipped = `cluster not reachable: ${diff[0]!.changes[0]}`;
    else plan.diff = diff;
  }
  if (diffSkipped) plan.diffSkipped = diffSkipped;

  if (args.output === 'text') process.stdout.write(formatPlan(plan));
  else
    process.stdout.write(
      args.output === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : `${JSON.stringify(plan)}\n`,
    );
}

const secs = (ms: number | undefined) => (ms === undefined ? '' : formatDuration(ms));

function detection(s: PlannedStep): string {
  const parts: string[] = [];
  if (s.detect.podCrashMs !== undefined) parts.push(`crash ≤${secs(s.detect.podCrashMs)}`);
  if (s.detect.podReadinessMs !== undefined) parts.push(`not ready ≤${secs(s.detect.podReadinessMs)}`);
  for (const m of s.detect.metrics ?? []) parts.push(`${m.name} ≤${secs(m.ms)}`);
  return parts.join(', ') || '—';
}

/** The plan as a person reads it: schedule table, totals, router calls, diff, then the manifests. */
export function formatPlan(plan: ReleasePlan): string {
  const rows = plan.steps.map((s, i) => [
    String(i + 1),
    s.name,
    s.weight
      ? `${s.weight.achieved}%${s.weight.achieved !== s.weight.requested ? ` (asked ${s.weight.requested}%)` : ''} ${s.weight.canaryPods}:${s.weight.stablePods}`
      : '',
    s.waitsForPromote ? 'promote' : secs(s.durationMs),
    detection(s),
  ]);
  const header = ['#', 'step', 'weight pods c:s', 'takes', 'failure caught within'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r
      .map((v, c) => v.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  const out = [
    `Plan: ${plan.strategy} release of ${plan.namespace}/${plan.app} to ${plan.to.image}${plan.router ? ` (router ${plan.router})` : ''}`,
    '',
    line(header),
    ...rows.map(line),
    '',
    `Estimated duration: ${secs(plan.estimatedDurationMs)} of pauses, analysis and delays, plus the time pods take to become ready${plan.waitsForPromote ? `, plus ${plan.waitsForPromote} wait(s) for kdeploy promote` : ''}.`,
    ...plan.notes.map((n) => `Note: ${n}`),
  ];
  const calls = plan.steps.filter((s) => s.routerCalls?.length);
  if (calls.length) {
    out.push('', 'Router calls:');
    for (const s of calls) for (const c of s.routerCalls!) out.push(`  ${s.name}: ${c}`);
  }
  out.push('');
  if (plan.diff) {
    out.push('Diff against the cluster (server-side dry run):');
    for (const d of plan.diff) {
      out.push(`  ${d.action.padEnd(9)} ${d.object}`);
      for (const c of d.changes) out.push(`      ${c}`);
    }
  } else out.push(`No diff: ${plan.diffSkipped ?? 'no cluster'}`);
  out.push('', 'Manifests:', formatObjects(plan.manifests, 'text'));
  return `${out.join('\n')}\n`;
}
