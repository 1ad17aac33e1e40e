// Exit codes of DESIGN.md, identical in every front end (CLI, Lambda, GitHub Action).

export const ExitCode = {
  /** The release completed: the cluster runs the new version. */
  Completed: 0,
  /** The release failed and was rolled back: the cluster runs the old version. */
  Failed: 1,
  /** Bad input (config, flags, kubeconfig); nothing was changed. */
  BadInput: 2,
  /** Paused, waiting for `kdeploy promote` (with `--until paused`). */
  Paused: 3,
  /** Aborted by a person. */
  Aborted: 4,
  /** Cluster or cloud unreachable or forbidden; the state was left safe. */
  Unreachable: 5,
  /** Another release holds the app's lock. */
  Locked: 6,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code an error asks for: any error may carry `exitCode` (ConfigError, KubeError, lock errors). */
export function exitCodeOf(err: unknown): ExitCode | undefined {
  const code = (err as { exitCode?: unknown } | null)?.exitCode;
  return typeof code === 'number' && Object.values(ExitCode).includes(code as ExitCode)
    ? (code as ExitCode)
    : undefined;
}
