// Renderers for a release's events: a live view on a terminal, plain lines in a pipe, one JSON object per
// line with -o ndjson, and the final result as one JSON document with -o json.

import type { ReleaseEvent } from '../../core/release.js';
import type { ReleaseResult } from '../../engine/api.js';
import { describeEvent } from '../../views/describe.js';
import type { OutputFormat } from '../args.js';
import { LiveView } from './tty.js';

export interface Renderer {
  onEvent(event: ReleaseEvent): void;
  /** Ends the live view and prints the result where the format wants one. */
  done(result?: ReleaseResult): void;
}

type Colors = {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
};

export function createRenderer(format: OutputFormat, out: NodeJS.WriteStream, colors: Colors): Renderer {
  if (format === 'ndjson') return { onEvent: (e) => out.write(`${JSON.stringify(e)}\n`), done: () => {} };
  if (format === 'json') {
    return {
      onEvent: () => {},
      done: (result) => {
        if (result) out.write(`${JSON.stringify(result, null, 2)}\n`);
      },
    };
  }
  // A terminal without a size (some CI pseudo-terminals) would clip the live view to nothing.
  if (out.isTTY && (out.rows ?? 0) > 0) return new LiveView(out, colors);
  return {
    onEvent: (e) => {
      out.write(`${new Date(e.at).toISOString()} ${describeEvent(e)}\n`);
      if (e.type === 'failure-diagnosed')
        for (const line of e.diagnosis.logs ?? []) out.write(`    | ${line}\n`);
    },
    done: () => {},
  };
}
