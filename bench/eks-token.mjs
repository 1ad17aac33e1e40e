// What an EKS bearer token costs in-process (src/kube/eks-auth.ts) against the exec-plugin way kubeconfigs
// usually get one (`users[].user.exec`, which client-node runs as a child process). The baseline is the
// cheapest possible exec plugin — a node one-liner printing an ExecCredential — so the ratios are a lower
// bound: `aws eks get-token` starts a Python CLI and is slower still. Measured in this run, same node binary.
//   node bench/eks-token.mjs        (RUNS=30 by default)
import { spawnSync } from 'node:child_process';
import { benchCacheDir, loadSources, median } from './load-sources.mjs';

const RUNS = Number(process.env.RUNS ?? 30);
const { EksTokenSource, eksToken } = await loadSources('eks-token', {
  'src/kube/eks-auth.ts': ['EksTokenSource', 'eksToken'],
});
const outfile = `${benchCacheDir}/eks-token.mjs`;

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'token',
};
const cluster = { name: 'prod-cluster', region: 'eu-west-1', credentials };
const execCredential = JSON.stringify({
  apiVersion: 'client.authentication.k8s.io/v1beta1',
  kind: 'ExecCredential',
  status: { token: 'k8s-aws-v1.x', expirationTimestamp: '2099-01-01T00:00:00Z' },
});

async function time(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const coldScript = `const m = await import(${JSON.stringify(outfile)}); await m.eksToken(${JSON.stringify(cluster)});`;
const cases = {
  'exec plugin (node printing an ExecCredential)': () =>
    spawnSync(process.execPath, ['-e', `console.log(${JSON.stringify(execCredential)})`]),
  'new process: import + first in-process token': () =>
    spawnSync(process.execPath, ['--input-type=module', '-e', coldScript]),
  'in-process: sign a fresh token': () => eksToken(cluster),
  'in-process: cached token (EksTokenSource)': (() => {
    const source = new EksTokenSource(cluster);
    return () => source.token();
  })(),
};

const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (const fn of Object.values(cases)) await fn(); // warm-up
// Interleaved rounds so load drift on a shared machine hits every case alike.
for (let i = 0; i < RUNS; i++)
  for (const [name, fn] of Object.entries(cases)) samples[name].push(await time(fn));

const baseName = Object.keys(cases)[0];
const base = median(samples[baseName]);
console.log(`node ${process.version}, ${RUNS} runs each, median wall time; ratio = case / ${baseName}`);
for (const [name, xs] of Object.entries(samples)) {
  const m = median(xs);
  console.log(`${name.padEnd(48)} ${m.toFixed(3).padStart(9)} ms   ${(m / base).toFixed(4)}x`);
}
