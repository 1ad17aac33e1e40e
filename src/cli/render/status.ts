// `kdeploy status` as text: the current release and step, versions, pods ready/desired, lock, recent events.

import type { MeasurementRecord, ReleaseState } from '../../core/release.js';
import type { StatusReport } from '../../engine/api.js';

type Colors = {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
};

/** Green for the good end state, red for the bad ones, yellow for anything still open. */
function tone(c: Colors, state: string, good: string, bad: string[]): (s: string) => string {
  return state === good ? c.green : bad.includes(state) ? c.red : c.yellow;
}

/** `now` (ms) dates the measurements ("12s ago"). */
export function formatStatus(r: StatusReport, c: Colors, now = Date.now()): string {
  const lines: string[] = [];
  const rel = r.release;
  lines.push(`app ${r.app} (namespace ${r.namespace})`);
  if (!rel) lines.push('  no release recorded');
  else {
    const paint = tone(c, rel.phase, 'completed', ['failed', 'aborted']);
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
    lines.push(...measurementLines(rel, c, now));
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

/** Per metric, the latest measurement and the counts of its analysis run, e.g. `error-rate  0.051  failed  2/3 failures  12s ago`. */
function measurementLines(rel: ReleaseState, c: Colors, now: number): string[] {
  const latest = new Map<string, MeasurementRecord>();
  for (const m of rel.measurements ?? []) latest.set(m.metric, m);
  if (!latest.size) return [];
  const width = Math.max(...[...latest.keys()].map((k) => k.length));
  const runs = Object.values(rel.analysis?.runs ?? {});
  const lines = ['  measurements:'];
  for (const [metric, m] of latest) {
    const paint = tone(c, m.verdict, 'successful', ['failed', 'error']);
    const s = runs.find((run) => run.metrics[metric])?.metrics[metric];
    const counts = s
      ? [
          `${s.failed}/${s.measured} failures`,
          s.inconclusive ? `${s.inconclusive} inconclusive` : '',
          s.errors ? `${s.errors} errors` : '',
        ].filter(Boolean)
      : [];
    const values = m.values.length ? m.values.map(formatValue).join(', ') : '(no data)';
    lines.push(
      `    ${metric.padEnd(width)}  ${values}  ${paint(m.verdict)}${counts.length ? `  ${counts.join(', ')}` : ''}  ${c.dim(ago(now - Date.parse(m.at)))}`,
    );
  }
  return lines;
}

const formatValue = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3))));

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}
