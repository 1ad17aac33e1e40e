// `kdeploy plan` as a person reads it: the schedule numbered as `kdeploy status` numbers the steps
// (`step 3/9`), totals, router calls, the rollback, the diff, then the manifests. Pure.
import { formatDuration } from '../../config/duration-text.js';
import type { PlannedStep, ReleasePlan } from '../../engine/plan/estimate.js';
import { formatObjects } from '../output.js';

const secs = (ms: number | undefined) => (ms === undefined ? '' : formatDuration(ms));

function detection(s: PlannedStep): string {
  const parts: string[] = [];
  if (s.detect.podCrashMs !== undefined) parts.push(`crash ≤${secs(s.detect.podCrashMs)}`);
  if (s.detect.podReadinessMs !== undefined) parts.push(`not ready ≤${secs(s.detect.podReadinessMs)}`);
  for (const m of s.detect.metrics ?? []) parts.push(`${m.name} ≤${secs(m.ms)}`);
  return parts.join(', ') || '—';
}

function weight(s: PlannedStep): string {
  const w = s.weight;
  if (!w) return '';
  const asked = w.achieved !== w.requested ? ` (asked ${w.requested}%)` : '';
  return `${w.achieved}%${asked} ${w.canaryPods}:${w.stablePods}`;
}

/** Columns padded to their widest cell. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r
      .map((v, c) => v.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

const numbered = (s: PlannedStep, total: number) => `${s.number}/${total}`;

function routerCalls(title: string, steps: PlannedStep[]): string[] {
  const calls = steps.filter((s) => s.routerCalls?.length);
  if (!calls.length) return [];
  return ['', title, ...calls.flatMap((s) => s.routerCalls!.map((c) => `  ${s.number} ${s.name}: ${c}`))];
}

export function formatPlan(plan: ReleasePlan): string {
  const n = plan.steps.length;
  const rows = plan.steps.map((s) => [
    numbered(s, n),
    s.name,
    weight(s),
    s.waitsForPromote ? 'promote' : secs(s.durationMs),
    detection(s),
    s.does,
  ]);
  const m = plan.rollback.length;
  const out = [
    `Plan: ${plan.strategy} release of ${plan.namespace}/${plan.app} to ${plan.to.image}${plan.router ? ` (router ${plan.router})` : ''}`,
    '',
    ...table(['step', 'name', 'weight pods c:s', 'takes', 'failure caught within', 'does'], rows),
    '',
    `Estimated duration: ${secs(plan.estimatedDurationMs)} of pauses, analysis and delays, plus the time pods take to become ready${plan.waitsForPromote ? `, plus ${plan.waitsForPromote} wait(s) for kdeploy promote` : ''}.`,
    ...plan.notes.map((note) => `Note: ${note}`),
    ...routerCalls('Router calls:', plan.steps),
    '',
    'On failure or abort, the rollback steps:',
    ...table(
      ['step', 'name', 'does'],
      plan.rollback.map((s) => [`rollback ${numbered(s, m)}`, s.name, s.does]),
    ),
    ...routerCalls('Rollback router calls:', plan.rollback),
    '',
  ];
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
