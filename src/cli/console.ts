import pc from 'picocolors';
import type { GlobalArgs } from './args.js';

// Colour only for a person at a terminal: off with --no-color, NO_COLOR, or when the stream isn't a TTY.

export function colorsFor(args: Pick<GlobalArgs, 'color'> | undefined, stream: NodeJS.WriteStream) {
  const enabled =
    args?.color !== false &&
    !('NO_COLOR' in process.env && process.env.NO_COLOR !== '') &&
    stream.isTTY === true;
  return pc.createColors(enabled);
}

export function printWarnings(args: GlobalArgs, warnings: readonly string[]): void {
  const c = colorsFor(args, process.stderr);
  for (const w of warnings) process.stderr.write(`${c.yellow('warning:')} ${w}\n`);
}
