// Flags every command accepts (DESIGN.md's CLI contract). Kept free of heavy imports: main.ts loads it at start-up.
import { KdeployError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

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
export class UsageError extends KdeployError {
  override name = 'UsageError';
  constructor(message: string) {
    super(message, ExitCode.BadInput, { kind: 'input' });
  }
}
