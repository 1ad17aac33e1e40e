// lambda/kube.ts: how the Lambda reaches the cluster from UserParameters' `cluster`, against a real local
// server standing in for the API server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { kubeTargetFor } from '../../lambda/kube.js';
import { ConfigError } from '../../src/config/errors.js';

let server: Server | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  const s = server;
  server = undefined;
  // The transport keeps its connection alive; close() alone would wait for it.
  s?.closeAllConnections();
  if (s) await new Promise((resolve) => s.close(resolve));
});

/** An API server that answers every request with the Authorization header it got. */
async function echoAuth(): Promise<string> {
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ auth: req.headers.authorization ?? null }));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function authSeenWith(cluster: Parameters<typeof kubeTargetFor>[0]): Promise<string | null> {
  const { transport } = await kubeTargetFor(cluster, { region: 'eu-west-1' });
  const answer = await transport.request({
    method: 'GET',
    url: new URL(`${transport.server}/api`),
    headers: {},
  });
  return JSON.parse(answer.body).auth;
}

describe('kubeTargetFor', () => {
  it('a server alone: no credentials are sent', async () => {
    expect(await authSeenWith({ server: await echoAuth() })).toBeNull();
  });

  it('eks with a server: the in-process EKS token for that cluster, signed with the role credentials', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDLAMBDAROLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    const auth = await authSeenWith({ eks: { name: 'prod' }, server: await echoAuth() });
    expect(auth).toMatch(/^Bearer k8s-aws-v1\./);
    const url = new URL(Buffer.from(auth!.slice('Bearer k8s-aws-v1.'.length), 'base64url').toString());
    expect(url.hostname).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDLAMBDAROLE\//);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
  });

  it('eks without a region anywhere is bad input naming cluster.eks.region', async () => {
    const err = await kubeTargetFor({ eks: { name: 'prod' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('cluster.eks.region');
  });
});
