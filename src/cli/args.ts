// Flags every command accepts (DESIGN.md's CLI contract). Kept free of heavy imports: main.ts loads it at start-up.

export const OUTPUT_FORMATS = ['text', 'json', 'ndjson'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface GlobalArgs {
  file: string;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  output: OutputFormat;
  color: boolean;
  /** Milliseconds (`--timeout 10m`). */
  timeout?: number;
}

/** Bad flags or a bad command line: exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = 2;
}

/** A command that exists in the contract but whose issue hasn't landed yet. */
export class NotImplementedError extends Error {
  override name = 'NotImplementedError';
  readonly exitCode = 2;
  constructor(command: string) {
    super(`\`kdeploy ${command}\` is not implemented yet`);
  }
}
