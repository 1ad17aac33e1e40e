// The crash-safety method shared by the engine's and the strategies' tests: the CLI runs against the
// simulator through a proxy that counts mutating requests (POST/PUT/PATCH/DELETE) and SIGKILLs the CLI right
// after the k-th one was committed upstream (the client never hears back), then `kdeploy resume` must converge.
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export const CLI = join(import.meta.dirname, '../../dist/cli.js');
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A proxy to `upstreamUrl` that kills `victim` once the k-th mutating request has been answered upstream.
 * An https upstream (a real apiserver) is reached with `ca`; the client talks plain HTTP to the proxy.
 */
export async function killingProxy(
  upstreamUrl: string,
  k: number,
  victim: () => ChildProcess | undefined,
  ca?: string | Buffer,
) {
  const upstream = new URL(upstreamUrl);
  const send = upstream.protocol === 'https:' ? https.request : http.request;
  let mutations = 0;
  let killed = false;
  const server = http.createServer((req, res) => {
    const counted = MUTATING.has(req.method ?? '') ? ++mutations : 0;
    const up = send(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: upstream.host },
        ca,
      },
      (upRes) => {
        if (counted === k) {
          // Committed on the server; the client never hears back.
          upRes.resume();
          upRes.on('end', () => {
            killed = true;
            victim()?.kill('SIGKILL');
            res.destroy();
          });
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const close = () => {
    server.closeAllConnections();
    server.close();
  };
  return { url: `http://127.0.0.1:${port}`, close, killed: () => killed };
}

/** Runs the built CLI (dist/cli.js) with this Node; resolves with its exit code and combined output. */
export function runCli(
  args: string[],
  onSpawn?: (c: ChildProcess) => void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    onSpawn?.(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code, signal) => resolve({ code, signal, out }));
  });
}

export interface KillPoint {
  /** Whether the proxy killed the CLI (false: the run finished before its k-th mutating request). */
  killed: boolean;
  converged: boolean;
  detail: string;
}

/** Kill points run a few at a time (each in its own namespace) to keep the suite short on small machines. */
const PARALLEL = 3;

/**
 * Tries kill point k = 1, 2, … until a run finishes on its own (every mutation of a release is a kill point;
 * a run that ends before the k-th one has none left). An unkilled run must converge too.
 */
export async function allKillPoints(
  tryKillPoint: (k: number) => Promise<KillPoint>,
  upTo: number,
): Promise<{ tried: number; converged: number; failures: string[] }> {
  const failures: string[] = [];
  let tried = 0;
  let converged = 0;
  for (let base = 1; base < upTo; base += PARALLEL) {
    const batch = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => tryKillPoint(base + i)));
    for (const r of batch) {
      if (!r.killed) {
        if (!r.converged) failures.push(`unkilled run: ${r.detail}`);
        continue;
      }
      tried++;
      if (r.converged) converged++;
      else failures.push(r.detail);
    }
    if (batch.some((r) => !r.killed)) break;
  }
  return { tried, converged, failures };
}
