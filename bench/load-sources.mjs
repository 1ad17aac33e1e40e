// Benchmarks run kdeploy's TypeScript sources directly: esbuild bundles the named exports into one ESM file
// under node_modules/.cache (dependencies stay external) and this imports it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Scratch space for benchmarks (bundles, kubeconfigs); ignored by git with node_modules. */
export const benchCacheDir = `${root}node_modules/.cache/kdeploy-bench`;

/**
 * `exports` maps a source path (relative to the repo root) to the names it should export. The bundle is
 * `${benchCacheDir}/${name}.mjs`, for benchmarks that import it again in fresh processes.
 */
export async function loadSources(name, exports) {
  const outdir = benchCacheDir;
  mkdirSync(outdir, { recursive: true });
  const entry = `${outdir}/${name}-entry.ts`;
  writeFileSync(
    entry,
    Object.entries(exports)
      .map(([path, names]) => `export { ${names.join(', ')} } from '${root}${path}';`)
      .join('\n'),
  );
  const outfile = `${outdir}/${name}.mjs`;
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    logLevel: 'warning',
  });
  return import(outfile);
}

export { median } from './median.mjs';
