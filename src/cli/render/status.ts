// `kdeploy status` as text: the current release and step, versions, pods ready/desired, lock, recent events.
import type { StatusReport } from '../../engine/api.js';

type Colors = {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
};

export function formatStatus(r: StatusReport, c: Colors): string {
  const lines: string[] = [];
  const rel = r.release;
  lines.push(`app ${r.app} (namespace ${r.namespace})`);
  if (!rel) lines.push('  no release recorded');
  else {
    const paint =
      rel.phase === 'completed'
        ? c.green
        : rel.phase === 'failed' || rel.phase === 'aborted'
          ? c.red
          : c.yellow;
    lines.push(
      `  release ${rel.id} (${rel.strategy}${rel.kind === 'rollback' ? ', rollback' : ''}): ${rel.from?.version || '(nothing)'} → ${rel.to.version}  ${paint(rel.phase)}`,
    );
    const list = rel.phase === 'rolling-back' ? rel.rollbackSteps : rel.steps;
    if (rel.phase === 'running' || rel.phase === 'rolling-back' || rel.phase === 'paused') {
      lines.push(
        `  step ${Math.min(rel.step + 1, list.length)}/${list.length} ${list[rel.step] ?? ''} (${rel.stepState})${rel.weights ? `  weight canary ${rel.weights.canary}%` : ''}`,
      );
    }
    if (rel.reason) lines.push(`  reason: ${rel.reason}`);
    for (const l of rel.diagnosis?.logs ?? []) lines.push(c.dim(`    | ${l}`));
  }
  const d = r.deployment;
  lines.push(
    d
      ? `  deployment ${d.name}: ${d.version} (${d.image}), ${d.ready}/${d.desired} ready, ${d.updated} updated, ${d.available} available`
      : '  no Deployment',
  );
  for (const p of r.pods) {
    lines.push(
      `    ${p.name}  ${p.version}  ${p.phase}${p.ready ? ' ready' : ''}${p.restarts ? `  ${p.restarts} restarts` : ''}${p.problem ? `  ${c.red(p.problem)}` : ''}`,
    );
  }
  lines.push(r.lock ? `  lock held by ${r.lock.holder}${r.lock.expired ? ' (expired)' : ''}` : '  lock free');
  if (r.events.length) {
    lines.push('  recent events:');
    for (const e of r.events)
      lines.push(
        `    ${c.dim(e.at)} ${e.type === 'Warning' ? c.yellow(e.reason) : e.reason} ${e.object}: ${e.message}`,
      );
  }
  if (r.history.length) {
    lines.push('  history:');
    for (const h of r.history.slice(0, 5))
      lines.push(
        `    ${h.id} ${h.from?.version || '(nothing)'} → ${h.to.version} ${h.phase}${h.reason ? `: ${h.reason}` : ''}`,
      );
  }
  return `${lines.join('\n')}\n`;
}
