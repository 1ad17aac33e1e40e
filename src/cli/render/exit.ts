import { KdeployError } from '../../core/errors.js';
import type { ExitCode } from '../../core/exit-codes.js';

/** Ends a command with an exit code after its outcome has already been rendered (nothing more to print). */
export class CommandExit extends KdeployError {
  override name = 'CommandExit';
  readonly silent = true;
  constructor(exitCode: ExitCode) {
    super(`exit ${exitCode}`, exitCode);
  }
}
