// Bundles the CLI, the library and the front ends with esbuild. Code splitting keeps heavy modules
// (@kubernetes/client-node, the AWS SDK, the simulator) in chunks that load only when a command imports them,
// which is what keeps `kdeploy --help` close to bare-node start-up time.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const entries = {
  cli: 'src/cli/main.ts',
  index: 'src/index.ts',
};
if (existsSync('src/action/main.ts')) entries.action = 'src/action/main.ts';

const common = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  // string-width 8 (yargs' help layout) compiles \p{RGI_Emoji} /v regexes and an Intl.Segmenter at load:
  // ~25 ms, doubling `kdeploy --help`. Version 4 measures the same columns for our ASCII help text.
  alias: { 'string-width': 'string-width-cjs' },
  // The ESM builds of dual packages (the AWS SDK's dist-es) first: a lazily imported CJS build becomes a chunk
  // with only a default export under code splitting, so `const { S3Client } = await import(...)` got undefined.
  mainFields: ['module', 'main'],
  // CJS dependencies bundled into ESM need a real `require`.
  banner: {
    js: "import { createRequire as __kdeployCreateRequire } from 'node:module'; const require = __kdeployCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
};

await build({ ...common, entryPoints: entries, outdir: 'dist' });

// The Lambda's deployment package is dist/lambda alone (lambda/template.yaml CodeUri): its own chunks, `.mjs`
// so the runtime loads them as ESM without a package.json, minified for a small package and cold start.
if (existsSync('lambda/handler.ts')) {
  await build({
    ...common,
    entryPoints: { index: 'lambda/handler.ts' },
    outdir: 'dist/lambda',
    outExtension: { '.js': '.mjs' },
    minify: true,
    keepNames: true,
  });
}
