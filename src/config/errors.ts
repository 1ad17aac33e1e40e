import { KdeployError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

export type ConfigPath = readonly (string | number)[];

/** One problem with the input: where (file and field path, or a flag) and what is allowed. */
export interface ConfigIssue {
  /** Field path inside the file; empty for the whole file. */
  path: ConfigPath;
  message: string;
  /** The file, or the flag (`--to`) the value came from. */
  source: string;
  /** 1-based position in the file, when the YAML parser knows it. */
  line?: number;
  col?: number;
}

/** `strategy.canary.steps[2].setWeight`; keys that aren't identifiers are quoted: `labels["app.kubernetes.io/name"]`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line ? `${issue.source}:${issue.line}:${issue.col ?? 1}` : issue.source;
  const field = formatPath(issue.path);
  return `${where}: ${field ? `${field}: ` : ''}${issue.message}`;
}

/** Bad configuration or flags. Carries every issue found, not just the first; exit code 2, nothing changed. */
export class ConfigError extends KdeployError {
  override name = 'ConfigError';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      issues.length === 1
        ? formatIssue(issues[0]!)
        : `${issues.length} problems:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`,
      ExitCode.BadInput,
      { kind: 'input' },
    );
  }
}
