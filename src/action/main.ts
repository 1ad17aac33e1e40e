// The GitHub Action (action.yml → dist/action.js): a front end, so it reads the runner's INPUT_* variables
// and files, runs the engine through the library API, and translates the result: log groups per step,
// `::error::` annotations, outputs in GITHUB_OUTPUT, a Markdown summary in GITHUB_STEP_SUMMARY, and
// kdeploy's exit code as the step's.

import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerBuiltinStrategies } from '../../strategies/index.js';
import { didYouMean } from '../config/suggest.js';
import { KdeployError } from '../core/errors.js';
import { ExitCode, exitCodeOf } from '../core/exit-codes.js';
import type { ReleaseEvent } from '../core/release.js';
import { strategies } from '../engine/strategy.js';
import { describeEvent } from '../views/describe.js';
import { command, fileEntry, summaryMarkdown } from './workflow.js';

/** Besides a release with any registered strategy (`command: canary`). */
const OPERATIONS = ['resume', 'abort', 'rollback'] as const;
type Operation = (typeof OPERATIONS)[number];
const isOperation = (cmd: string): cmd is Operation => (OPERATIONS as readonly string[]).includes(cmd);
const ABORT_DONE = new Set<number>([ExitCode.Completed, ExitCode.Aborted, ExitCode.Failed]);

class InputError extends KdeployError {
  override name = 'InputError';
  constructor(message: string) {
    super(message, ExitCode.BadInput, { kind: 'input' });
  }
}

/** An input as the runner passes it: INPUT_<NAME upper-cased, spaces to _>; empty when not set. */
function input(env: NodeJS.ProcessEnv, name: string): string {
  return (env[`INPUT_${name.replaceAll(' ', '_').toUpperCase()}`] ?? '').trim();
}

interface Inputs {
  /** A strategy's name or an operation. */
  command: string;
  to?: string;
  config: string;
  app?: string;
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  until: 'completed' | 'paused';
}

function readInputs(env: NodeJS.ProcessEnv): Inputs {
  const cmd = input(env, 'command');
  const commands = [...strategies.names(), ...OPERATIONS];
  if (!commands.includes(cmd)) {
    const hint = didYouMean(cmd, commands).trimEnd();
    throw new InputError(
      `input command: expected one of ${commands.join(', ')}, got ${JSON.stringify(cmd)}${hint && `; ${hint}`}`,
    );
  }
  const until = input(env, 'until') || 'completed';
  if (until !== 'completed' && until !== 'paused') {
    throw new InputError(`input until: expected completed or paused, got ${JSON.stringify(until)}`);
  }
  const to = input(env, 'to') || undefined;
  if (!isOperation(cmd) && !to) {
    throw new InputError(`input to: the tag or image to release is required for ${cmd}`);
  }
  const optional = (name: string) => input(env, name) || undefined;
  return {
    command: cmd,
    to,
    config: input(env, 'config') || 'kdeploy.yaml',
    app: optional('app'),
    namespace: optional('namespace'),
    kubeconfig: optional('kubeconfig'),
    context: optional('context'),
    until,
  };
}

/** The kubeconfig input holds either a path or the file's contents (a secret); contents go to a private temp file. */
function kubeconfigPath(
  value: string | undefined,
  env: NodeJS.ProcessEnv,
): { path?: string; cleanup: () => void } {
  if (!value || !/[\n{]|^apiVersion:/.test(value)) return { path: value, cleanup: () => {} };
  const dir = mkdtempSync(join(env.RUNNER_TEMP || tmpdir(), 'kdeploy-'));
  const path = join(dir, 'kubeconfig');
  writeFileSync(path, value, { mode: 0o600 });
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Prints events, one log group per step so a long release folds into its steps. */
function eventPrinter(out: (line: string) => void) {
  const events: ReleaseEvent[] = [];
  let open = false;
  const close = () => {
    if (open) out('::endgroup::');
    open = false;
  };
  return {
    close,
    events,
    onEvent(e: ReleaseEvent) {
      events.push(e);
      if (e.type === 'step-started') {
        close();
        out(`::group::${describeEvent(e)}`);
        open = true;
        return;
      }
      if (e.type === 'paused' || e.type === 'suspended') close();
      if (e.type === 'failure-diagnosed') {
        out(
          command(
            'warning',
            `${e.diagnosis.message}${e.diagnosis.logs?.length ? `\n${e.diagnosis.logs.join('\n')}` : ''}`,
            { title: e.diagnosis.reason },
          ),
        );
      }
      out(describeEvent(e));
      if (e.type === 'step-completed') close();
    },
  };
}

async function main(env: NodeJS.ProcessEnv): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const outputs: Record<string, string> = {};
  const setOutputs = () => {
    if (env.GITHUB_OUTPUT)
      appendFileSync(
        env.GITHUB_OUTPUT,
        Object.entries(outputs)
          .map(([k, v]) => fileEntry(k, v))
          .join(''),
      );
  };
  const summary = (md: string) => {
    if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, md);
  };
  const printer = eventPrinter(out);
  let inputs: Inputs | undefined;
  let cleanup = () => {};
  // A cancelled job gets SIGINT, then SIGTERM: stop between steps so the release stays resumable.
  const stop = new AbortController();
  const onSignal = () => stop.abort(new Error('the job was cancelled'));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    inputs = readInputs(env);
    const kc = kubeconfigPath(inputs.kubeconfig, env);
    cleanup = kc.cleanup;
    const api = await import('../engine/api.js');
    const common = {
      kubeconfig: kc.path,
      context: inputs.context,
      namespace: inputs.namespace,
      until: inputs.until,
      signal: stop.signal,
      onEvent: printer.onEvent,
    };
    const { command: cmd } = inputs;
    const run = isOperation(cmd)
      ? api[cmd]({ ...common, ...(inputs.app ? { app: inputs.app } : { config: inputs.config }) })
      : api.release({ ...common, config: inputs.config, strategy: cmd, to: inputs.to as string });
    const result = await run;
    printer.close();
    // As the CLI: `abort` succeeds once the app is back on the old version (the aborted run itself exits 4).
    const exitCode =
      cmd === 'abort' && ABORT_DONE.has(result.exitCode) ? ExitCode.Completed : result.exitCode;
    Object.assign(outputs, {
      outcome: result.outcome,
      version: result.version,
      'release-id': result.releaseId,
      'exit-code': String(exitCode),
    });
    if (exitCode !== ExitCode.Completed && result.outcome !== 'paused' && result.outcome !== 'suspended') {
      out(
        command('error', result.reason ?? `${result.outcome}`, { title: `kdeploy ${cmd} ${result.outcome}` }),
      );
    }
    summary(
      summaryMarkdown({
        command: cmd,
        app: result.app,
        releaseId: result.releaseId,
        outcome: result.outcome,
        exitCode,
        version: result.version,
        reason: result.reason,
        events: printer.events,
      }),
    );
    return exitCode;
  } catch (err) {
    printer.close();
    const code = exitCodeOf(err) ?? ExitCode.Failed;
    const message = err instanceof Error ? err.message : String(err);
    Object.assign(outputs, { outcome: 'error', 'exit-code': String(code) });
    out(command('error', message, { title: `kdeploy ${inputs?.command ?? ''}`.trim() }));
    summary(
      summaryMarkdown({
        command: inputs?.command ?? '',
        outcome: 'error',
        exitCode: code,
        reason: message,
        events: printer.events,
      }),
    );
    return code;
  } finally {
    cleanup();
    setOutputs();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

// The Action is a composition root: the built-in strategies are registered here.
registerBuiltinStrategies();
process.exitCode = await main(process.env);
