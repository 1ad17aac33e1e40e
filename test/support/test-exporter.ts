import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

// A tiny app exporter for the Prometheus e2e tests: /metrics serves request counters and a latency histogram
// per version, as a real service instrumented with a Prometheus client would. Traffic is simulated from the
// wall clock at each scrape (requests = rate × elapsed time), and the test sets each version's error rate
// and latency at any moment; Prometheus sees the change at its next scrape.

export interface VersionTraffic {
  /** Requests per second. */
  rps: number;
  /** Fraction of requests answered 500, 0..1. */
  errorRate: number;
  /** Latency of every request, seconds. */
  latency: number;
}

interface Counters {
  ok: number;
  errors: number;
  buckets: number[];
  sum: number;
}

export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Label values in the exposition format: backslash, double quote and newline escaped. */
const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export interface TestExporter {
  /** `127.0.0.1:<port>`, a scrape target. */
  target: string;
  /** Sets (or adds) a version's traffic from now on. */
  set(version: string, traffic: Partial<VersionTraffic>): void;
  /** Scrapes served so far. */
  readonly scrapes: number;
  close(): Promise<void>;
}

export async function startTestExporter(
  app: string,
  versions: Record<string, VersionTraffic>,
): Promise<TestExporter> {
  const traffic = new Map(Object.entries(versions));
  const counters = new Map<string, Counters>();
  let last = Date.now();
  let scrapes = 0;

  function advance(): void {
    const now = Date.now();
    const dt = (now - last) / 1000;
    last = now;
    for (const [version, t] of traffic) {
      const c = counters.get(version) ?? { ok: 0, errors: 0, buckets: LATENCY_BUCKETS.map(() => 0), sum: 0 };
      const requests = t.rps * dt;
      c.errors += requests * t.errorRate;
      c.ok += requests * (1 - t.errorRate);
      c.sum += requests * t.latency;
      LATENCY_BUCKETS.forEach((le, i) => {
        if (t.latency <= le) c.buckets[i]! += requests;
      });
      counters.set(version, c);
    }
  }

  function exposition(): string {
    const lines = ['# TYPE http_requests_total counter'];
    for (const [version, c] of counters) {
      const l = `app="${label(app)}",version="${label(version)}"`;
      lines.push(
        `http_requests_total{${l},code="200"} ${c.ok}`,
        `http_requests_total{${l},code="500"} ${c.errors}`,
      );
    }
    lines.push('# TYPE http_request_duration_seconds histogram');
    for (const [version, c] of counters) {
      const l = `app="${label(app)}",version="${label(version)}"`;
      LATENCY_BUCKETS.forEach((le, i) => {
        lines.push(`http_request_duration_seconds_bucket{${l},le="${le}"} ${c.buckets[i]}`);
      });
      const total = c.ok + c.errors;
      lines.push(
        `http_request_duration_seconds_bucket{${l},le="+Inf"} ${total}`,
        `http_request_duration_seconds_sum{${l}} ${c.sum}`,
        `http_request_duration_seconds_count{${l}} ${total}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }

  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    scrapes++;
    advance();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    target: `127.0.0.1:${port}`,
    set(version, t) {
      advance(); // traffic so far counts at the old settings
      const current = traffic.get(version) ?? { rps: 0, errorRate: 0, latency: 0.1 };
      traffic.set(version, { ...current, ...t });
    },
    get scrapes() {
      return scrapes;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
