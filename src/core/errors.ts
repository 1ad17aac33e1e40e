// One error base for everything kdeploy throws on purpose: a kind (what failed, for programs and logs) and
// an exit code (what it means for the pipeline, DESIGN.md's table). Front ends turn any KdeployError into
// its exit code; anything else escaping is a bug.
import { ExitCode } from './exit-codes.js';

export type ErrorKind =
  /** kdeploy.yaml, flags, templates, kubeconfig: nothing was changed. */
  | 'input'
  /** The Kubernetes API answered with an error or not at all. */
  | 'kube'
  /** An AWS API call failed. */
  | 'cloud'
  /** A metric provider could not take a measurement. */
  | 'provider'
  /** The app's lock is held by another release, or was lost. */
  | 'lock'
  /** A step judged the new version bad. */
  | 'release'
  /** A plugin was asked for something it can't do. */
  | 'unsupported';

export class KdeployError extends Error {
  override name = 'KdeployError';
  readonly kind: ErrorKind;
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options: { kind?: ErrorKind; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = options.kind ?? kindOf(exitCode);
  }
}

const kindOf = (code: ExitCode): ErrorKind =>
  code === ExitCode.Locked
    ? 'lock'
    : code === ExitCode.Unreachable
      ? 'kube'
      : code === ExitCode.Failed
        ? 'release'
        : 'input';
