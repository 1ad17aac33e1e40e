/** Ends a command with an exit code after its outcome has already been rendered (nothing more to print). */
export class CommandExit extends Error {
  override name = 'CommandExit';
  readonly silent = true;
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}
