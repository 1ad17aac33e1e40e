// Duration text (`30s`, `5m`, `1h30m`) without zod, so the CLI's start-up path can parse `--timeout`
// without loading the schema library.

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;

/** Parses `30s`, `5m`, `1h30m`, `250ms` into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  let total = 0;
  for (const part of text.match(/\d+(?:\.\d+)?(?:ms|s|m|h)/g) ?? []) {
    const m = DURATION.exec(part);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  }
  return total;
}

/** Formats milliseconds the way config files write them (`1h30m`, `45s`, `250ms`). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms / 1000);
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}
