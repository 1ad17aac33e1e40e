import type { ArgumentsCamelCase } from 'yargs';

// Command definitions stay light (flags and help only); a handler imports its implementation when it runs,
// so esbuild puts each implementation and its heavy dependencies in a chunk that `--help` never loads.

type Action<A> = (args: ArgumentsCamelCase<A>) => Promise<void>;

export function lazy<A>(load: () => Promise<{ run: Action<A> }>): Action<A> {
  return async (args) => (await load()).run(args);
}
