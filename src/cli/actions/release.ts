// The CLI front end of the engine's operations: flags in, events rendered, exit code out. No deployment
// logic lives here.
import type { ArgumentsCamelCase } from 'yargs';
import { ExitCode } from '../../core/exit-codes.js';
import type { ReleaseEvent, StrategyKind } from '../../core/release.js';
import {
  type AppOptions,
  abort,
  pause,
  promote,
  type ReleaseRun,
  release,
  resume,
  rollback,
  type StatusReport,
  status,
  watchStatus,
} from '../../engine/api.js';
import type { GlobalArgs } from '../args.js';
import { colorsFor } from '../console.js';
import { CommandExit } from '../render/exit.js';
import { createRenderer } from '../render/index.js';
import { formatStatus } from '../render/status.js';

type Args<T = object> = ArgumentsCamelCase<GlobalArgs & T>;

/** First Ctrl-C: stop working and leave the release resumable; a second one exits at once. */
function interruptSignal(): AbortSignal {
  const ctl = new AbortController();
  const onSignal = () => {
    if (ctl.signal.aborted) process.exit(130);
    ctl.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return ctl.signal;
}

function common(args: Args) {
  return {
    kubeconfig: args.kubeconfig,
    context: args.context,
    namespace: args.namespace,
    deadline: args.timeout !== undefined ? Date.now() + args.timeout : undefined,
    signal: interruptSignal(),
  };
}

/** Renders the run's events and turns its outcome into the process exit code. */
async function follow(
  args: Args,
  start: (onEvent: (e: ReleaseEvent) => void) => ReleaseRun,
  okCodes: readonly ExitCode[] = [ExitCode.Completed],
): Promise<void> {
  const renderer = createRenderer(args.output, process.stdout, colorsFor(args, process.stdout));
  try {
    const result = await start((e) => renderer.onEvent(e));
    renderer.done(result);
    if (!okCodes.includes(result.exitCode)) throw new CommandExit(result.exitCode);
  } catch (err) {
    renderer.done();
    throw err;
  }
}

const appOptions = (args: Args<{ app?: string }>): AppOptions => ({
  ...common(args),
  ...(args.app ? { app: args.app } : { config: args.file }),
});

/** `--until paused`: the command returns (exit 3) once the release waits for promote, which stays possible. */
export function releaseAction(strategy: StrategyKind) {
  return (args: Args<{ to?: string; until?: 'completed' | 'paused'; templates?: string }>) =>
    follow(args, (onEvent) =>
      release({
        ...common(args),
        config: args.file,
        strategy,
        to: args.to ?? '',
        ...(args.until ? { until: args.until } : {}),
        ...(args.templates ? { templates: args.templates } : {}),
        onEvent,
      }),
    );
}

export const rolling = releaseAction('rolling');

export const resumeAction = (args: Args<{ app?: string }>) =>
  follow(args, (onEvent) => resume({ ...appOptions(args), onEvent }));

export const rollbackAction = (args: Args<{ app?: string }>) =>
  follow(args, (onEvent) => rollback({ ...appOptions(args), onEvent }));

/** The abort command succeeds (exit 0) once the app is back on the old version; the aborted run exits 4. */
export const abortAction = (args: Args<{ app?: string }>) =>
  follow(args, (onEvent) => abort({ ...appOptions(args), onEvent }), [
    ExitCode.Completed,
    ExitCode.Aborted,
    ExitCode.Failed,
  ]);

/** `kdeploy promote [--full]`: follows the release until it completes (0), fails (1), pauses again (3) or is aborted (4). */
export const promoteAction = (args: Args<{ app?: string; full: boolean }>) =>
  follow(args, (onEvent) => promote({ ...appOptions(args), full: args.full, onEvent }));

/** `kdeploy pause`: succeeds once the release holds, waiting for promote (or has ended meanwhile). */
export const pauseAction = (args: Args<{ app?: string }>) =>
  follow(args, (onEvent) => pause({ ...appOptions(args), onEvent }), [ExitCode.Completed, ExitCode.Paused]);

/** Exit code for `status --until`: the release reached a state the caller waits for. */
function untilReached(r: StatusReport, until: 'completed' | 'paused'): ExitCode | undefined {
  const phase = r.release?.phase;
  if (phase === 'completed') return ExitCode.Completed;
  if (phase === 'failed') return ExitCode.Failed;
  if (phase === 'aborted') return ExitCode.Aborted;
  if (phase === 'paused' && until === 'paused') return ExitCode.Paused;
  return undefined;
}

export async function statusAction(
  args: Args<{ app?: string; watch: boolean; until?: string }>,
): Promise<void> {
  const until = args.until as 'completed' | 'paused' | undefined;
  const opts = appOptions(args);
  const c = colorsFor(args, process.stdout);
  const print = (r: StatusReport) => {
    process.stdout.write(
      args.output === 'text'
        ? formatStatus(r, c)
        : `${JSON.stringify(r, null, args.output === 'json' ? 2 : 0)}\n`,
    );
  };
  if (!args.watch && !until) {
    print(await status(opts));
    return;
  }
  const stop = new AbortController();
  let code: ExitCode | undefined;
  const signal = AbortSignal.any([stop.signal, opts.signal ?? stop.signal]);
  await watchStatus(
    opts,
    (r) => {
      if (args.watch) print(r);
      code = until ? untilReached(r, until) : undefined;
      if (code !== undefined) {
        if (!args.watch) print(r);
        stop.abort();
      }
    },
    signal,
  );
  if (code !== undefined && code !== ExitCode.Completed) throw new CommandExit(code);
}
