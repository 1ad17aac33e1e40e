import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { lazy } from './lazy.js';

export interface AnalyzeArgs extends GlobalArgs {
  config?: string;
  from: string;
  to: string;
  metric?: string[];
  canary?: string;
  stable?: string;
}

export const analyzeCommand: CommandModule<GlobalArgs, AnalyzeArgs> = {
  command: 'analyze',
  describe: 'Run the analysis metrics over a past time window, without a release',
  builder: (y) =>
    y
      .option('config', { type: 'string', describe: 'A file with an analysis section (default: -f)' })
      .option('from', {
        type: 'string',
        demandOption: true,
        describe: 'Window start: an ISO time or a duration ago (30m)',
      })
      .option('to', {
        type: 'string',
        demandOption: true,
        describe: 'Window end: an ISO time or a duration ago (0s = now)',
      })
      .option('metric', { type: 'string', array: true, describe: 'Only these metrics (default: all)' })
      .option('canary', {
        type: 'string',
        describe: 'The version {{canaryVersion}} and {{version}} name in queries',
      })
      .option('stable', {
        type: 'string',
        describe: 'The version {{stableVersion}} names in queries; the judge’s baseline',
      })
      .example(
        '$0 analyze --from 2h --to 0s --canary v2',
        'what the analysis would have said about v2 over the last 2 hours',
      )
      .example(
        '$0 analyze --from 1h --to 0s --canary v2 --stable v1',
        'and judge v2 against v1 on the metrics with judge:, over the last hour',
      ),
  handler: lazy(() => import('../actions/analyze.js')),
};
