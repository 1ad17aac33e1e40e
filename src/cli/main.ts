// The CLI entry point, bundled to dist/cli.js. It only turns on Node's compile cache, so V8 reuses the
// compiled CLI (yargs and the command definitions) between runs, then loads the CLI proper.
import module from 'node:module';

module.enableCompileCache?.();
const { main } = await import('./run.js');
process.exitCode = await main(process.argv.slice(2));
