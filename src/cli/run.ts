// The kdeploy command line. Start-up cost matters: this file loads only yargs, picocolors and the light
// command definitions; each command's implementation is imported when it runs. It is a composition root:
// it registers the built-in strategies, then the plugins kdeploy.yaml lists (none are loaded otherwise).
import yargs, { type CommandModule } from 'yargs';
import pkg from '../../package.json' with { type: 'json' };
import { registerBuiltinStrategies } from '../../strategies/index.js';
import { parseDuration } from '../config/duration-text.js';
import { ExitCode, exitCodeOf } from '../core/exit-codes.js';
import { strategies } from '../engine/strategy.js';
import { type GlobalArgs, OUTPUT_FORMATS, UsageError } from './args.js';
import { abortCommand } from './commands/abort.js';
import { analyzeCommand } from './commands/analyze.js';
import { bluegreenCommand } from './commands/bluegreen.js';
import { canaryCommand } from './commands/canary.js';
import { demoCommand } from './commands/demo.js';
import { pauseCommand } from './commands/pause.js';
import { planCommand } from './commands/plan.js';
import { promoteCommand } from './commands/promote.js';
import { rbacCommand } from './commands/rbac.js';
import { renderCommand } from './commands/render.js';
import { resumeCommand } from './commands/resume.js';
import { rollbackCommand } from './commands/rollback.js';
import { rollingCommand } from './commands/rolling.js';
import { schemaCommand } from './commands/schema.js';
import { simulateCommand } from './commands/simulate.js';
import { statusCommand } from './commands/status.js';
import { strategyCommand } from './commands/strategy.js';
import { colorsFor } from './console.js';
import { usePlugins } from './plugins.js';

const EPILOGUE = [
  'Exit codes: 0 completed, 1 failed and rolled back, 2 bad input (nothing changed),',
  '3 paused (--until paused), 4 aborted, 5 cluster/cloud unreachable or forbidden, 6 locked.',
].join('\n');

// biome-ignore lint/suspicious/noExplicitAny: yargs types each command's own arguments; the list mixes them
const COMMANDS: CommandModule<GlobalArgs, any>[] = [
  rollingCommand,
  bluegreenCommand,
  canaryCommand,
  statusCommand,
  promoteCommand,
  abortCommand,
  rollbackCommand,
  resumeCommand,
  pauseCommand,
  planCommand,
  renderCommand,
  simulateCommand,
  demoCommand,
  rbacCommand,
  schemaCommand,
  analyzeCommand,
];

/** A release command for each strategy a plugin registered (whose name is not a command already). */
function strategyCommands() {
  const taken = new Set(COMMANDS.map((c) => String(c.command).split(' ')[0]));
  return strategies
    .names()
    .filter((name) => !taken.has(name))
    .map(strategyCommand);
}

function cli(argv: string[]) {
  return (
    yargs(argv)
      .scriptName('kdeploy')
      .usage(
        '$0 <command> [options]\n\nRolling, blue/green and canary releases for Kubernetes, with automatic rollback.',
      )
      .option('file', {
        alias: 'f',
        type: 'string',
        default: 'kdeploy.yaml',
        describe: 'The config file',
        global: true,
      })
      .option('kubeconfig', {
        type: 'string',
        describe: 'Path to the kubeconfig (default: $KUBECONFIG, ~/.kube/config)',
        global: true,
      })
      .option('context', { type: 'string', describe: 'The kubeconfig context to use', global: true })
      .option('namespace', {
        alias: 'n',
        type: 'string',
        describe: 'Overrides the namespace of kdeploy.yaml',
        global: true,
      })
      .option('output', {
        alias: 'o',
        choices: OUTPUT_FORMATS,
        default: 'text' as const,
        describe: 'Output format',
        global: true,
      })
      .option('color', {
        type: 'boolean',
        default: true,
        describe: 'Colour output on a terminal (--no-color; NO_COLOR is honoured)',
        global: true,
      })
      .option('timeout', {
        type: 'string',
        describe: 'Give up after this long (30s, 10m, 1h)',
        global: true,
        coerce: (value: string) => {
          const ms = parseDuration(value);
          if (ms === undefined)
            throw new UsageError(
              `--timeout: expected a duration such as 30s, 10m or 1h, got ${JSON.stringify(value)}`,
            );
          return ms;
        },
      })
      .command(COMMANDS)
      .command(strategyCommands())
      .demandCommand(1, 'kdeploy needs a command; see kdeploy --help')
      .recommendCommands()
      .strict()
      .help()
      .alias('help', 'h')
      .version(pkg.version)
      .epilogue(EPILOGUE)
      .wrap(Math.min(110, process.stdout.columns ?? 100))
      .exitProcess(false)
      // yargs exits 1 on bad usage; kdeploy's contract says 2. Throwing routes every failure to one handler.
      .fail((message, error) => {
        // yargs' own errors (YError: validation, a throwing coerce) are usage errors; others come from handlers.
        if (error && error.name !== 'YError') throw error;
        throw new UsageError(error?.message ?? message);
      })
  );
}

/** Prints the error the way `-o` asks and returns its exit code. */
function report(err: unknown, args: Partial<GlobalArgs>): number {
  const code = exitCodeOf(err) ?? ExitCode.Failed;
  // The command already rendered its outcome (a failed or paused release): only the exit code is left.
  if ((err as { silent?: boolean } | null)?.silent) return code;
  const message = err instanceof Error ? err.message : String(err);
  if (args.output === 'json' || args.output === 'ndjson') {
    const issues = (err as { issues?: unknown }).issues;
    process.stderr.write(
      `${JSON.stringify({ error: { message, exitCode: code, ...(issues ? { issues } : {}) } })}\n`,
    );
  } else {
    const c = colorsFor(args as GlobalArgs, process.stderr);
    // An error without an exit code is a bug in kdeploy: show where it came from.
    const detail = exitCodeOf(err) === undefined && err instanceof Error && err.stack ? `\n${err.stack}` : '';
    process.stderr.write(`${c.red('error:')} ${message}${detail}\n`);
  }
  return code;
}

/** The flags needed before the command line is parsed: the config file (for its plugins) and how to report. */
function earlyArgs(argv: string[]) {
  return yargs(argv)
    .help(false)
    .version(false)
    .option('file', { alias: 'f', type: 'string', default: 'kdeploy.yaml' })
    .option('output', { alias: 'o', type: 'string' })
    .option('color', { type: 'boolean', default: true })
    .parseSync();
}

export async function main(argv: string[]): Promise<number> {
  registerBuiltinStrategies();
  const early = earlyArgs(argv);
  let parser: ReturnType<typeof cli> | undefined;
  try {
    // Before yargs: a plugin's strategies are commands (`kdeploy recreate`) and `simulate`/`plan` choices.
    await usePlugins(early.file);
    parser = cli(argv);
    await parser.parseAsync();
    return ExitCode.Completed;
  } catch (err) {
    return report(err, (parser?.parsed ? parser.parsed.argv : early) as Partial<GlobalArgs>);
  }
}
