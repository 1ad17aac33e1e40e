// Start-up time of the CLI against bare node, both measured here with the same node binary:
// `npm run bench:startup` (the project's Node 22). Prints medians over RUNS runs and the ratios.
// Target (issue 2): `kdeploy --version` and `kdeploy --help` within 1.5x of `node -e 0`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median } from './median.mjs';

const RUNS = Number(process.env.RUNS ?? 15);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('dist/cli.js is missing: run `npm run build` first');
  process.exit(2);
}

const cases = [
  ['node -e 0', ['-e', '0']],
  ['kdeploy --version', [cli, '--version']],
  ['kdeploy --help', [cli, '--help']],
];

function once(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

// Interleaved rounds, after one warm-up each, so machine load drifts affect every case alike.
const samples = new Map(cases.map(([name]) => [name, []]));
for (const [, args] of cases) once(args);
for (let i = 0; i < RUNS; i++) for (const [name, args] of cases) samples.get(name).push(once(args));

const base = median(samples.get('node -e 0'));
console.log(`node ${process.version} (${process.execPath}), ${RUNS} runs each, median wall time`);
for (const [name] of cases) {
  const m = median(samples.get(name));
  console.log(`${name.padEnd(20)} ${m.toFixed(1).padStart(7)} ms  ${(m / base).toFixed(2)}x bare node`);
}
