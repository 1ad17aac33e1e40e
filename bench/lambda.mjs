// Size and cold start of the Lambda package (dist/lambda, built by `npm run build`), against bare node in
// the same run: `npm run bench:lambda` (the project's Node 22; RUNS=n to change the count, TOP=n to list
// more of the largest loaded files; `-- --metafile` also lists the packages in the files a first invocation
// loads, from the build's dist/lambda-meta.json). Targets (issue 9): the files the handler loads ≤ 1.5 MB; module init
// (import only, what Lambda's init phase runs) ≤ 4x `node -e 0`.
//
// Three figures for size: the whole package; the files module init loads; the files a first invocation
// loads (recorded by a module-load hook while the handler runs one job: artifact read from S3, config
// validated, engine started, first cluster call answered 403, failure reported). The same invocation is
// also timed, cold, as a second start-up figure.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { zipSync } from 'fflate';
import { median } from './median.mjs';

const RUNS = Number(process.env.RUNS ?? 15);
const dir = fileURLToPath(new URL('../dist/lambda/', import.meta.url));
const entry = join(dir, 'index.mjs');
if (!existsSync(entry)) {
  console.error('dist/lambda/index.mjs is missing: run `npm run build` first');
  process.exit(2);
}

const files = (d) =>
  readdirSync(d, { recursive: true })
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => join(d, f));
const bytes = (paths) => paths.reduce((n, p) => n + statSync(p).size, 0);
const mb = (n) => (n < 100 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(2)} MB`);

// A stand-in for S3 (GET: the artifact zip), CodePipeline (POST: 200) and the API server (403 to all). It runs
// in a child process: the measured processes are started with spawnSync, which blocks this event loop.
const zip = zipSync({
  'kdeploy.yaml': new TextEncoder().encode('app: web\nimage:\n  repository: registry.example/web\n'),
  'imageDetail.json': new TextEncoder().encode('{"ImageURI":"registry.example/web:v2"}'),
});
const stub = spawn(
  process.execPath,
  [
    '-e',
    `
  const zip = Buffer.from(${JSON.stringify(Buffer.from(zip).toString('base64'))}, 'base64');
  require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => {
    if (req.url.startsWith('/api')) res.writeHead(403, { 'content-type': 'application/json' }).end('{"kind":"Status","reason":"Forbidden","message":"bench","code":403}');
    else if (req.method === 'GET') res.writeHead(200, { 'content-length': zip.length }).end(zip);
    else res.writeHead(200).end();
  }); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const [port] = await once(stub.stdout, 'data');
const endpoint = `http://127.0.0.1:${String(port).trim()}`;
const event = {
  'CodePipeline.job': {
    id: '0f4c9a2e-7b1d-4e55-9a37-2b8e6c1d0a11',
    accountId: '111122223333',
    data: {
      actionConfiguration: {
        configuration: {
          FunctionName: 'kdeploy',
          UserParameters: JSON.stringify({ strategy: 'canary', cluster: { server: endpoint } }),
        },
      },
      inputArtifacts: [
        {
          name: 'BuildOutput',
          revision: null,
          location: { type: 'S3', s3Location: { bucketName: 'artifacts', objectKey: 'p/B/x' } },
        },
      ],
      outputArtifacts: [],
      artifactCredentials: { accessKeyId: 'ASIA', secretAccessKey: 's', sessionToken: 't' },
    },
  },
};
const env = {
  PATH: process.env.PATH,
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'a',
  AWS_SECRET_ACCESS_KEY: 'b',
  KDEPLOY_AWS_ENDPOINT: endpoint,
};
const entryUrl = pathToFileURL(entry).href;
const invokeScript = `const { handler } = await import(${JSON.stringify(entryUrl)});
const r = await handler(${JSON.stringify(event)}, { getRemainingTimeInMillis: () => 600000 });
if (!r.reported || r.result.failureDetails?.type !== 'PermissionError') { console.error(JSON.stringify(r)); process.exit(1); }`;
// Records every file the process loads (module hooks run off-thread; a file append is their simplest channel).
const hook = (log) =>
  `data:text/javascript,${encodeURIComponent(
    `import { register } from 'node:module'; register(${JSON.stringify(
      `data:text/javascript,${encodeURIComponent(`import { appendFileSync } from 'node:fs'; export async function load(url, context, next) { if (url.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }`)}`,
    )});`,
  )}`;

/** Bytes per package (or first-party directory) in the given output files, from esbuild's metafile. */
function printPackages(outputs) {
  const metaPath = join(dir, '..', 'lambda-meta.json');
  if (!existsSync(metaPath)) throw new Error(`${metaPath} is missing: run \`npm run build\` first`);
  const { outputs: meta } = JSON.parse(readFileSync(metaPath, 'utf8'));
  const byPackage = new Map();
  for (const file of outputs) {
    const key = Object.keys(meta).find((k) => join(process.cwd(), k) === file);
    for (const [input, { bytesInOutput }] of Object.entries(meta[key]?.inputs ?? {})) {
      // node_modules/@scope/name/… or node_modules/name/… (the innermost node_modules); else our directory.
      const m = input.match(/.*node_modules\/((?:@[^/]+\/)?[^/]+)/);
      const name = m ? m[1] : input.split('/').slice(0, 2).join('/');
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  console.log('packages in the files a first invocation loads (minified bytes):');
  for (const [name, n] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 15)))
    console.log(`  ${mb(n).padStart(9)}  ${name}`);
}

function run(args, extraEnv = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ').slice(0, 200)} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const tmp = mkdtempSync(join(tmpdir(), 'kdeploy-bench-'));
function loadedBy(args) {
  const log = join(tmp, `loaded-${Math.random().toString(36).slice(2)}`);
  run(['--import', hook(log), ...args]);
  return [...new Set(readFileSync(log, 'utf8').trim().split('\n'))]
    .map((u) => fileURLToPath(u))
    .filter((p) => p.startsWith(dir));
}

try {
  const all = files(dir);
  const initFiles = loadedBy(['-e', `await import(${JSON.stringify(entryUrl)})`, '--input-type=module']);
  const invokeFiles = loadedBy(['--input-type=module', '-e', invokeScript]);

  const cases = [
    ['node -e 0', ['-e', '0']],
    ['init: import the handler', ['--input-type=module', '-e', `await import(${JSON.stringify(entryUrl)})`]],
    ['first invocation, cold', ['--input-type=module', '-e', invokeScript]],
  ];
  const samples = new Map(cases.map(([name]) => [name, []]));
  for (const [, args] of cases) run(args);
  // Interleaved rounds so load drifts on a shared machine hit every case alike.
  for (let i = 0; i < RUNS; i++) for (const [name, args] of cases) samples.get(name).push(run(args));

  console.log(`node ${process.version}, ${RUNS} runs each, median wall time of a fresh process`);
  console.log(`package (all .mjs in dist/lambda)   ${mb(bytes(all)).padStart(9)}  ${all.length} files`);
  console.log(
    `loaded by module init               ${mb(bytes(initFiles)).padStart(9)}  ${initFiles.length} files`,
  );
  console.log(
    `loaded by a first invocation        ${mb(bytes(invokeFiles)).padStart(9)}  ${invokeFiles.length} files  (target ≤ 1.50 MB)`,
  );
  for (const f of invokeFiles
    .sort((a, b) => statSync(b).size - statSync(a).size)
    .slice(0, Number(process.env.TOP ?? 5))) {
    console.log(`  ${mb(statSync(f).size).padStart(9)}  ${f.slice(dir.length)}`);
  }
  if (process.argv.includes('--metafile')) printPackages(invokeFiles);
  const base = median(samples.get('node -e 0'));
  for (const [name] of cases) {
    const m = median(samples.get(name));
    console.log(
      `${name.padEnd(36)} ${m.toFixed(1).padStart(7)} ms  ${(m / base).toFixed(2)}x bare node${name.startsWith('init') ? '  (target ≤ 4x)' : ''}`,
    );
  }
} finally {
  stub.kill();
  rmSync(tmp, { recursive: true, force: true });
}
