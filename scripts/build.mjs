// Bundles the CLI, the library and the front ends with esbuild. Code splitting keeps heavy modules
// (@kubernetes/client-node, the AWS SDK, the simulator) in chunks that load only when a command imports them,
// which is what keeps `kdeploy --help` close to bare-node start-up time.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const entries = {
  cli: 'src/cli/main.ts',
  index: 'src/index.ts',
};
for (const [name, path] of Object.entries({ lambda: 'lambda/handler.ts', action: 'src/action/main.ts' })) {
  if (existsSync(path)) entries[name] = path;
}

await build({
  entryPoints: entries,
  outdir: 'dist',
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
  // CJS dependencies bundled into ESM need a real `require`.
  banner: {
    js: "import { createRequire as __kdeployCreateRequire } from 'node:module'; const require = __kdeployCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
