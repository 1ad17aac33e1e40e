import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './moto.js';

// A real Prometheus server (Debian's `prometheus`, installed by test/support/install-prometheus.sh) on a free
// loopback port with a temporary storage dir, scraping the targets a test names every second. Started by the
// test that needs it and stopped by its PID.

export interface Prometheus {
  /** `http://127.0.0.1:<port>`: the provider's `address`. */
  url: string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** Scrape targets (`host:port`) of job `app`. */
  targets: string[];
  scrapeInterval?: string;
}

export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const bin = process.env.PROMETHEUS ?? 'prometheus';
  const dir = await mkdtemp(join(tmpdir(), 'kdeploy-prom-'));
  const interval = options.scrapeInterval ?? '1s';
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    '  - job_name: app',
    '    static_configs:',
    `      - targets: ${JSON.stringify(options.targets)}`,
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), `${config}\n`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    bin,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) =>
      reject(new Error(`cannot start ${bin} (${err.message}); run bash test/support/install-prometheus.sh`)),
    );
  });
  const stop = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await spawned;
    await waitReady(url, child, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

async function waitReady(
  url: string,
  child: ChildProcess,
  log: () => string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${log()}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`prometheus was not ready on ${url} within ${timeoutMs} ms:\n${log()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Polls an instant query until `ok` accepts its answer (e.g. until the first scrapes arrived). */
export async function waitForQuery(
  url: string,
  query: string,
  ok: (values: number[]) => boolean,
  timeoutMs = 30_000,
): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query })}`);
    const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
    const values = (body.data?.result ?? []).map((r) => Number(r.value[1]));
    if (ok(values)) return values;
    last = body;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `${query} did not give the expected answer within ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
  );
}
