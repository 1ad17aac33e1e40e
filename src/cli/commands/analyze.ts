import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../args.js';
import { notImplemented } from './lazy.js';

export const analyzeCommand: CommandModule<
  GlobalArgs,
  GlobalArgs & { config?: string; from: string; to: string; metric?: string[] }
> = {
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
      .option('metric', { type: 'string', array: true, describe: 'Only these metrics (default: all)' }),
  handler: notImplemented('analyze'),
};
