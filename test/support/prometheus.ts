import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServerProcess } from './server-process.js';

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
  try {
    const server = await startServerProcess({
      name: 'prometheus',
      bin,
      args: [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      readyUrl: `${url}/-/ready`,
      installHint: 'test/support/install-prometheus.sh',
    });
    const stop = async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    };
    return { url, stop };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
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
