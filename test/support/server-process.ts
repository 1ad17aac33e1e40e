import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

// A local server the tests start as a child process (moto, Prometheus): a free loopback port, output kept
// for error messages, a readiness poll, and a stop by PID that escalates to SIGKILL.

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface ServerProcess {
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface ServerProcessOptions {
  /** Named in errors. */
  name: string;
  bin: string;
  args: string[];
  /** A URL answering 2xx once the server is ready. */
  readyUrl: string;
  /** What to run when the binary is missing. */
  installHint: string;
  timeoutMs?: number;
}

export async function startServerProcess(o: ServerProcessOptions): Promise<ServerProcess> {
  const child = spawn(o.bin, o.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) =>
      reject(new Error(`cannot start ${o.bin} (${err.message}); run ${o.installHint}`)),
    );
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const timeoutMs = o.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${o.name} exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(o.readyUrl)).ok) return { child, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`${o.name} did not answer on ${o.readyUrl} within ${timeoutMs} ms:\n${output}`);
}
