// The node:http(s) transport (the Lambda's) against real local servers: bearer token per request, CA
// verification over TLS, and Cluster's watches streamed through it (and through the kubeconfig transport).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../src/core/cluster.js';
import { EksTokenSource, TOKEN_LIFETIME_MS } from '../../src/kube/eks-auth.js';
import { KubeCluster, KubeError, selectContext, type Transport } from '../../src/kube/index.js';
import { nodeTransport } from '../../src/kube/transport-node.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

async function listen(server: Server, scheme: 'http' | 'https'): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const httpServer = (handler: Handler) => listen(createServer(handler), 'http');

function json(res: ServerResponse, code: number, body: unknown) {
  res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const get = (t: Transport, path: string, signal?: AbortSignal) =>
  t.request({
    method: 'GET',
    url: new URL(t.server + path),
    headers: { Accept: 'application/json' },
    signal,
  });

describe('nodeTransport over http', () => {
  it('sends the bearer token asked for on each request, and the body with its length', async () => {
    const seen: { auth?: string; length?: string; body: string }[] = [];
    const url = await httpServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push({ auth: req.headers.authorization, length: req.headers['content-length'], body });
        json(res, 201, { ok: true });
      });
    });
    let n = 0;
    const t = nodeTransport({ server: `${url}/`, token: () => `token-${++n}` });
    expect(t.server).toBe(url);
    const first = await t.request({
      method: 'POST',
      url: new URL(`${url}/api/v1/namespaces`),
      headers: { 'Content-Type': 'application/json' },
      body: '{"name":"é"}',
    });
    await get(t, '/api');
    expect(first).toMatchObject({ status: 201, body: '{"ok":true}' });
    expect(first.headers['content-type']).toBe('application/json');
    expect(seen).toEqual([
      { auth: 'Bearer token-1', length: '13', body: '{"name":"é"}' },
      { auth: 'Bearer token-2', length: undefined, body: '' },
    ]);
  });

  it('signs a fresh EKS token once the old one is about to expire', async () => {
    const auths: string[] = [];
    const url = await httpServer((req, res) => {
      auths.push(req.headers.authorization ?? '');
      json(res, 200, {});
    });
    let now = Date.parse('2026-01-01T00:00:00Z');
    const tokens = new EksTokenSource({
      name: 'prod',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
      now: () => now,
    });
    const t = nodeTransport({ server: url, token: () => tokens.token() });
    await get(t, '/api');
    now += 60_000;
    await get(t, '/api');
    now += TOKEN_LIFETIME_MS;
    await get(t, '/api');
    expect(auths[0]).toMatch(/^Bearer k8s-aws-v1\./);
    expect(auths[1]).toBe(auths[0]);
    expect(auths[2]).toMatch(/^Bearer k8s-aws-v1\./);
    expect(auths[2]).not.toBe(auths[0]);
  });

  it('sends no Authorization header without a token source, and gives non-2xx answers to Cluster as errors', async () => {
    const auths: (string | undefined)[] = [];
    const url = await httpServer((req, res) => {
      auths.push(req.headers.authorization);
      json(res, 403, { kind: 'Status', reason: 'Forbidden', message: 'deployments is forbidden', code: 403 });
    });
    const cluster = new KubeCluster({ transport: nodeTransport({ server: url }), namespace: 'shop' });
    const err = await cluster
      .get({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).status).toBe(403);
    expect((err as Error).message).toContain('deployments is forbidden');
    expect(auths).toEqual([undefined]);
  });

  it('aborts a request in flight', async () => {
    const url = await httpServer(() => {
      // Never answers.
    });
    const controller = new AbortController();
    const pending = get(nodeTransport({ server: url }), '/api', controller.signal);
    setImmediate(() => controller.abort());
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});

// A CA and a server certificate for 127.0.0.1 signed by it, plus an unrelated CA: made with openssl at test
// time (Node has no X.509 generator).
describe('nodeTransport over https', () => {
  let dir = '';
  const pem = (name: string) => readFileSync(join(dir, name));
  const b64 = (name: string) => pem(name).toString('base64');
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kdeploy-tls-'));
    writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    for (const ca of ['ca', 'other-ca']) {
      openssl(
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${ca}`,
        '-keyout',
        `${ca}.key`,
        '-out',
        `${ca}.crt`,
      );
    }
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=apiserver',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    );
    openssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      // subjectAltName is what clients check; CN alone is not accepted for an IP.
      '-extfile',
      'san.cnf',
      '-out',
      'server.crt',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const httpsServer = () =>
    listen(
      createHttpsServer({ key: pem('server.key'), cert: pem('server.crt') }, (req, res) =>
        json(res, 200, { auth: req.headers.authorization }),
      ),
      'https',
    );

  it('verifies the server against the given CA and sends the token over TLS', async () => {
    const url = await httpsServer();
    const t = nodeTransport({ server: url, caData: b64('ca.crt'), token: () => 'tls-token' });
    const answer = await get(t, '/api');
    expect(JSON.parse(answer.body)).toEqual({ auth: 'Bearer tls-token' });
  });

  it('refuses a server whose certificate another CA signed, saying so', async () => {
    const url = await httpsServer();
    const t = nodeTransport({ server: url, caData: b64('other-ca.crt'), token: () => 'never-sent' });
    await expect(get(t, '/api')).rejects.toThrow(
      `TLS: the API server's certificate at ${url} is not trusted by the given certificate authority`,
    );
    // Cluster names the cluster and the call, and does not retry a certificate it will never trust.
    const cluster = new KubeCluster(
      { transport: t, namespace: 'shop' },
      { minTimeoutMs: 1, maxTimeoutMs: 2 },
    );
    await expect(cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'x' })).rejects.toThrow(
      /cannot reach the cluster at https:\/\/127\.0\.0\.1:\d+ to get configmaps\/x in namespace shop: TLS/,
    );
  });

  it('without a CA trusts only the system roots', async () => {
    const url = await httpsServer();
    await expect(get(nodeTransport({ server: url }), '/api')).rejects.toThrow(/TLS: .* is not trusted \(/);
  });
});

// One scripted API server for list-then-watch, run through both transports: Cluster.watch must behave the
// same whichever carries the bytes.
const transports: [string, (url: string) => Transport][] = [
  ['node:http', (url) => nodeTransport({ server: url, token: () => 't' })],
  [
    'kubeconfig (client-node + undici)',
    (url) => {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
        users: [{ name: 'u', token: 't' }],
        contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
        currentContext: 'ctx',
      });
      return selectContext(kc).transport;
    },
  ],
];

describe.each(transports)('Cluster.watch over %s', (_name, transportFor) => {
  it('streams events split across chunks, resumes after bookmarks, re-lists on 410 and stops on abort', async () => {
    const calls: string[] = [];
    let lists = 0;
    let watches = 0;
    const cm = (name: string, rv: string) => ({ metadata: { name, namespace: 'shop', resourceVersion: rv } });
    const line = (event: unknown) => `${JSON.stringify(event)}\n`;
    const controller = new AbortController();
    const events: WatchEvent<{ metadata: { name: string } }>[] = [];
    const url = await httpServer((req, res) => {
      const u = new URL(req.url ?? '', 'http://x');
      if (req.headers.authorization !== 'Bearer t') return json(res, 401, { reason: 'Unauthorized' });
      if (u.searchParams.get('watch') !== 'true') {
        lists++;
        calls.push(`list`);
        return json(res, 200, {
          metadata: { resourceVersion: lists === 1 ? '10' : '50' },
          items: lists === 1 ? [cm('a', '9')] : [cm('a', '9'), cm('b', '40')],
        });
      }
      watches++;
      calls.push(`watch from ${u.searchParams.get('resourceVersion')}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      if (watches === 1) {
        // One event cut in the middle of its line, then a bookmark; the server then ends the watch.
        const added = line({ type: 'ADDED', object: cm('b', '11') });
        res.write(added.slice(0, 20));
        setTimeout(() => {
          res.write(added.slice(20));
          res.end(line({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '12' } } }));
        }, 5);
      } else if (watches === 2) {
        res.end(line({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } }));
      } else {
        // Held open until the client goes away.
        res.write(line({ type: 'MODIFIED', object: cm('a', '51') }));
      }
    });
    const cluster = new KubeCluster({ transport: transportFor(url), namespace: 'shop' });
    await cluster.watch<{ metadata: { name: string } }>(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      (event) => {
        events.push(event);
        if (event.type === 'MODIFIED') controller.abort();
      },
      controller.signal,
    );
    expect(calls).toEqual(['list', 'watch from 10', 'watch from 12', 'list', 'watch from 50']);
    const summary = events.map((e) =>
      e.type === 'SYNC'
        ? `SYNC ${e.objects.map((o) => o.metadata.name).join(',')}`
        : `${e.type} ${e.object.metadata.name}`,
    );
    expect(summary).toEqual(['SYNC a', 'ADDED b', 'SYNC a,b', 'MODIFIED a']);
    // Items and events carry the kind they were watched as.
    expect(events[1]).toMatchObject({ object: { apiVersion: 'v1', kind: 'ConfigMap' } });
  });
});
