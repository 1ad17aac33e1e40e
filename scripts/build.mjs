// Bundles the CLI, the library and the front ends with esbuild. Code splitting keeps heavy modules
// (@kubernetes/client-node, the AWS SDK, the simulator) in chunks that load only when a command imports them,
// which is what keeps `kdeploy --help` close to bare-node start-up time.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { build } from 'esbuild';

const entries = {
  cli: 'src/cli/main.ts',
  index: 'src/index.ts',
  // kdeploy/plugin: in the same build as the CLI and the library, so all three share one registry of each kind.
  plugin: 'src/plugin.ts',
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

/**
 * Writes each output file under a temporary name and renames it into place, never truncating a live file:
 * CLI processes started from dist/ (tests, other shells in this tree) import chunks lazily while a rebuild
 * runs, and a chunk read between esbuild's truncate and write loaded as a module without exports.
 */
async function buildAtomically(options) {
  const { outputFiles, metafile } = await build({ ...options, write: false });
  for (const file of outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
  }
  return metafile;
}

await buildAtomically({ ...common, entryPoints: entries, outdir: 'dist' });

// Top-level --help/--version as yargs prints them at the two widths it can wrap to (src/cli/main.ts reads
// this instead of loading yargs). Generated from the bundle just built, so it can't drift from yargs.
{
  rmSync('dist/cli-help.json', { force: true });
  const helpAt = (columns) => {
    const preload = columns ? ['--import', `data:text/javascript,process.stdout.columns=${columns}`] : [];
    const r = spawnSync(process.execPath, [...preload, 'dist/cli.js', '--help'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`dist/cli.js --help failed while building: ${r.stderr}`);
    return r.stdout;
  };
  const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
  writeFileSync(
    'dist/cli-help.json',
    JSON.stringify({ version, help: { 100: helpAt(undefined), 110: helpAt(110) } }),
  );
}

// The Lambda reaches clusters only through lambda/kube.ts's bearer-token transport, but src/kube/connect.ts
// can also load kubeconfig access (client-node, undici, their proxy and OIDC helpers: ~1 MB). In the Lambda's
// package those imports resolve to a module that says so, keeping ~1 MB of code it never runs out of it.
const noKubeconfigAccess = {
  name: 'no-kubeconfig-access',
  setup(b) {
    b.onResolve({ filter: /^\.\/(kubeconfig|eks-token)\.js$/ }, (args) =>
      args.importer.endsWith('src/kube/connect.ts')
        ? { path: args.path, namespace: 'no-kubeconfig-access' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'no-kubeconfig-access' }, () => ({
      contents: `const refuse = () => { throw new Error('kubeconfig access is not part of the Lambda package: pass a transport (lambda/kube.ts)'); };
export const loadKubeConfig = refuse, selectContext = refuse, eksKubeConfig = refuse, useEksAuth = refuse;`,
      loader: 'js',
    }));
  },
};

// The Lambda's deployment package is dist/lambda alone (lambda/template.yaml CodeUri): its own chunks, `.mjs`
// so the runtime loads them as ESM without a package.json, minified for a small package and cold start.
if (existsSync('lambda/handler.ts')) {
  // Stale chunks of earlier builds would be deployed with it.
  rmSync('dist/lambda', { recursive: true, force: true });
  const metafile = await buildAtomically({
    ...common,
    metafile: true,
    entryPoints: { index: 'lambda/handler.ts' },
    outdir: 'dist/lambda',
    outExtension: { '.js': '.mjs' },
    minify: true,
    keepNames: true,
    plugins: [noKubeconfigAccess],
  });
  // Which packages each chunk holds, for `npm run bench:lambda -- --metafile`; beside the package, not in it.
  writeFileSync('dist/lambda-meta.json', JSON.stringify(metafile));
}
