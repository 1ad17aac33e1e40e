import type { ExitCode } from '../exit-codes.js';

/** An error that carries an exit code (bad input 2, locked 6); the CLI prints its message. */
export class KdeployError extends Error {
  override name = 'KdeployError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}
