import { freePort, startServerProcess } from './server-process.js';

export { freePort };

// moto's server (pip 'moto[server]', installed by test/support/install-moto.sh) on a free loopback port,
// started by the test that needs it and stopped by PID. One server answers every AWS service: moto picks the
// service from the SigV4 credential scope, so all SDK clients share one endpoint.

export interface Moto {
  endpoint: string;
  /** Dummy credentials moto accepts. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const server = await startServerProcess({
    name: 'moto_server',
    bin: process.env.MOTO_SERVER ?? 'moto_server',
    args: ['-H', '127.0.0.1', '-p', String(port)],
    readyUrl: `${endpoint}/moto-api/data.json`,
    installHint: 'test/support/install-moto.sh',
  });
  return {
    endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: ${res.status}`);
    },
    stop: server.stop,
  };
}
