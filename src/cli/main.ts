// The CLI entry point, bundled to dist/cli.js. It turns on Node's compile cache, so V8 reuses the compiled
// CLI between runs, then loads the CLI proper. Top-level `--help` and `--version` are answered from the text
// yargs itself printed at build time (scripts/build.mjs writes dist/cli-help.json from this very bundle), so
// the two commands people and benchmarks run most never pay for loading yargs. Any other width, flag or
// command goes through yargs.
import module from 'node:module';

module.enableCompileCache?.();
const argv = process.argv.slice(2);
const cached = argv.length === 1 ? await cachedAnswer(argv[0]!) : undefined;
if (cached !== undefined) {
  process.stdout.write(cached);
} else {
  const { main } = await import('./run.js');
  process.exitCode = await main(argv);
}

async function cachedAnswer(arg: string): Promise<string | undefined> {
  if (arg !== '--help' && arg !== '-h' && arg !== '--version') return undefined;
  const { readFile } = await import('node:fs/promises');
  let text: { version: string; help: Record<string, string> };
  try {
    text = JSON.parse(await readFile(new URL('./cli-help.json', import.meta.url), 'utf8'));
  } catch {
    return undefined; // not built (tests running the sources): yargs answers
  }
  if (arg === '--version') return `${text.version}\n`;
  // yargs wraps help at min(110, columns ?? 100) (run.ts); only those widths were recorded.
  return text.help[String(Math.min(110, process.stdout.columns ?? 100))];
}
