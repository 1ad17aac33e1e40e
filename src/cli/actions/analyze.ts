import { formatReplay, replayAnalysis } from '../../analysis/replay.js';
import { parseDuration } from '../../config/duration-text.js';
import { ConfigError } from '../../config/errors.js';
import { loadConfig } from '../../config/load.js';
import type { MetricVars } from '../../core/ports.js';
import { strategySections } from '../../engine/strategy.js';
import type { AnalyzeArgs } from '../commands/analyze.js';
import { printWarnings } from '../console.js';

// `kdeploy analyze`: replays kdeploy.yaml's analysis metrics over a past window and prints each measurement
// and the verdict the analysis would have reached; it changes nothing and exits 0 whatever that verdict.
// Metrics with `judge:` are judged over the window: the --canary version against the --stable one.

/** `--from`/`--to`: an ISO time, or a duration ago (`30m`; `0s` = now). */
export function parseWhen(text: string, flag: string, now: number): number {
  const ago = parseDuration(text);
  if (ago !== undefined) return now - ago;
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) {
    throw new ConfigError([
      {
        path: [],
        source: flag,
        message: `expected an ISO time (2026-01-01T10:00:00Z) or a duration ago (30m), got ${JSON.stringify(text)}`,
      },
    ]);
  }
  return at;
}

export async function run(args: AnalyzeArgs): Promise<void> {
  const now = Date.now();
  const from = parseWhen(args.from, '--from', now);
  const to = parseWhen(args.to, '--to', now);
  if (to <= from)
    throw new ConfigError([{ path: [], source: '--to', message: 'the window must end after --from' }]);
  // Analysis is what this command is for, so only the gates that change manifests apply, as for render.
  const { config, warnings } = await loadConfig({
    file: args.config ?? args.file,
    sections: await strategySections(),
    namespace: args.namespace,
    purpose: 'render',
  });
  printWarnings(args, warnings);

  const all = config.analysis.metrics;
  const unknown = (args.metric ?? []).filter((name) => !all.some((m) => m.name === name));
  if (unknown.length) {
    const known = all.map((m) => m.name).join(', ') || 'none';
    throw new ConfigError(
      unknown.map((name) => ({
        path: [],
        source: '--metric',
        message: `no metric named ${JSON.stringify(name)} in analysis.metrics; defined: ${known}`,
      })),
    );
  }
  const metrics = args.metric?.length ? all.filter((m) => args.metric!.includes(m.name)) : all;
  if (metrics.length === 0)
    throw new ConfigError([
      { path: ['analysis', 'metrics'], source: args.config ?? args.file, message: 'no metrics to replay' },
    ]);

  const judged = metrics.filter((m) => m.judge).map((m) => m.name);
  if (judged.length) {
    const missing = (['canary', 'stable'] as const).filter((flag) => !args[flag]);
    if (missing.length) {
      const verb = judged.length > 1 ? 'have' : 'has';
      throw new ConfigError([
        {
          path: [],
          source: `--${missing[0]}`,
          message: `${judged.join(', ')} ${verb} judge: the judge compares the --canary version with the --stable version; give both`,
        },
      ]);
    }
    if (args.canary === args.stable) {
      throw new ConfigError([
        {
          path: [],
          source: '--stable',
          message: `the judge would compare ${args.canary} with itself; name the stable version`,
        },
      ]);
    }
  }
  // Versions the queries name; a query that uses one that wasn't given fails with the variable's name.
  const vars = {
    app: config.app,
    namespace: config.namespace,
    ...(args.stable ? { stableVersion: args.stable } : {}),
    ...(args.canary ? { canaryVersion: args.canary, version: args.canary } : {}),
  } as MetricVars;
  const report = await replayAnalysis({
    metrics,
    vars,
    from,
    to,
    source: args.config ?? args.file,
    judge: config.analysis.judge,
  });

  if (args.output === 'text') process.stdout.write(formatReplay(report));
  else if (args.output === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    for (const m of report.metrics)
      for (const r of m.measurements)
        process.stdout.write(`${JSON.stringify({ type: 'measurement', ...r })}\n`);
    const { metrics: _, ...verdict } = report;
    process.stdout.write(
      `${JSON.stringify({ type: 'verdict', ...verdict, metrics: report.metrics.map(({ measurements: __, ...m }) => m) })}\n`,
    );
  }
}
