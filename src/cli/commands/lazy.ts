import type { ArgumentsCamelCase } from 'yargs';
import { NotImplementedError } from '../args.js';

// Command definitions stay light (flags and help only); a handler imports its implementation when it runs,
// so esbuild puts each implementation and its heavy dependencies in a chunk that `--help` never loads.

type Action<A> = (args: ArgumentsCamelCase<A>) => Promise<void>;

export function lazy<A>(load: () => Promise<{ run: Action<A> }>): Action<A> {
  return async (args) => (await load()).run(args);
}

/** For commands a later issue implements: they still validate their input first, then say so and exit 2. */
export function notImplemented<A>(command: string, validate?: () => Promise<{ run: Action<A> }>): Action<A> {
  return async (args) => {
    if (validate) await (await validate()).run(args);
    throw new NotImplementedError(command);
  };
}
