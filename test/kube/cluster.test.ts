import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { Cluster, WatchEvent } from '../../src/core/cluster.js';
import { KubeCluster, KubeError, loadKubeConfig, selectContext } from '../../src/kube/index.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

interface Fake {
  url: string;
  requests: { method: string; url: string; contentType?: string; auth?: string; body: string }[];
  close(): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function fakeApi(handler: Handler): Promise<Fake> {
  const requests: Fake['requests'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'],
        auth: req.headers.authorization,
        body,
      });
      handler(req, body, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function clusterFor(url: string, namespace = 'shop'): Cluster {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u', namespace: 'from-context' }],
    currentContext: 'ctx',
  });
  return new KubeCluster(selectContext(kc, { namespace }), { minTimeoutMs: 5, maxTimeoutMs: 20, retries: 3 });
}

function json(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const status = (code: number, reason: string, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  code,
  reason,
  message,
});
const deploymentRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout' };

describe('Cluster', () => {
  it('sends the bearer token and reads an object from the namespaced path', async () => {
    const api = await fakeApi((_req, _body, res) =>
      json(res, 200, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'checkout' } }),
    );
    const got = await clusterFor(api.url).get(deploymentRef);
    expect(got?.metadata?.name).toBe('checkout');
    expect(api.requests[0]).toMatchObject({
      method: 'GET',
      url: '/apis/apps/v1/namespaces/shop/deployments/checkout',
      auth: 'Bearer secret-token',
    });
  });

  it('answers undefined for a missing object and false for deleting one', async () => {
    const api = await fakeApi((_req, _body, res) => json(res, 404, status(404, 'NotFound', 'not found')));
    const cluster = clusterFor(api.url);
    expect(await cluster.get(deploymentRef)).toBeUndefined();
    expect(await cluster.delete(deploymentRef)).toBe(false);
  });

  it('retries 500, 429 and dropped connections, then succeeds', async () => {
    let n = 0;
    const api = await fakeApi((req, _body, res) => {
      n++;
      if (n === 1) return json(res, 500, status(500, 'InternalError', 'etcd hiccup'));
      if (n === 2) return json(res, 429, status(429, 'TooManyRequests', 'slow down'), { 'retry-after': '0' });
      if (n === 3) return req.socket.destroy();
      json(res, 200, { kind: 'ConfigMap', metadata: { name: 'x' } });
    });
    const got = await clusterFor(api.url).get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'x' });
    expect(got?.metadata?.name).toBe('x');
    expect(api.requests).toHaveLength(4);
  });

  it('does not retry a 409 or a 422: the answer cannot change', async () => {
    const api = await fakeApi((_req, _body, res) =>
      json(res, 409, status(409, 'Conflict', 'the object has been modified')),
    );
    const err = await clusterFor(api.url)
      .replace({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', resourceVersion: '1' } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect(err.status).toBe(409);
    expect(api.requests).toHaveLength(1);
  });

  it('maps Forbidden to exit 5 and names the verb, resource and namespace', async () => {
    const api = await fakeApi((_req, _body, res) =>
      json(
        res,
        403,
        status(403, 'Forbidden', 'deployments.apps "checkout" is forbidden: User "ci" cannot patch resource'),
      ),
    );
    const err = await clusterFor(api.url)
      .patch(deploymentRef, { spec: { replicas: 3 } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect(err.exitCode).toBe(5);
    expect(err.message).toContain('patch deployments/checkout in namespace shop');
    expect(err.message).toContain('kdeploy rbac');
  });

  it('maps an unreachable cluster to exit 5 naming the server', async () => {
    const api = await fakeApi(() => {});
    const url = api.url;
    await api.close();
    servers.length = 0;
    const err = await clusterFor(url)
      .get(deploymentRef)
      .catch((e) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect(err.exitCode).toBe(5);
    expect(err.message).toContain(`cannot reach the cluster at ${url}`);
    expect(err.message).toContain('get deployments/checkout in namespace shop');
  });

  it('sends each patch type with its content type and the body untouched', async () => {
    const api = await fakeApi((_req, _body, res) =>
      json(res, 200, { kind: 'Deployment', metadata: { name: 'checkout' } }),
    );
    const cluster = clusterFor(api.url);
    await cluster.patch(deploymentRef, { metadata: { annotations: { a: null } } }, 'merge');
    await cluster.patch(
      deploymentRef,
      { spec: { template: { spec: { containers: [{ name: 'app', image: 'x:2' }] } } } },
      'strategic',
    );
    await cluster.patch(deploymentRef, [{ op: 'replace', path: '/spec/replicas', value: 3 }], 'json');
    expect(api.requests.map((r) => r.contentType)).toEqual([
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
      'application/json-patch+json',
    ]);
    expect(JSON.parse(api.requests[0]!.body)).toEqual({ metadata: { annotations: { a: null } } });
    expect(JSON.parse(api.requests[2]!.body)).toEqual([{ op: 'replace', path: '/spec/replicas', value: 3 }]);
  });

  it('apply creates a missing object and patches an existing one', async () => {
    const existing = new Set<string>();
    const api = await fakeApi((req, body, res) => {
      if (req.method === 'PATCH') {
        return existing.has(req.url!.split('?')[0]!)
          ? json(res, 200, JSON.parse(body))
          : json(res, 404, status(404, 'NotFound', 'nope'));
      }
      existing.add(`${req.url!.split('?')[0]}/${JSON.parse(body).metadata.name}`);
      json(res, 201, JSON.parse(body));
    });
    const cluster = clusterFor(api.url);
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'checkout' },
      spec: { ports: [{ port: 80 }] },
    };
    await cluster.apply(svc);
    await cluster.apply(svc);
    expect(api.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual([
      'PATCH /api/v1/namespaces/shop/services/checkout',
      'POST /api/v1/namespaces/shop/services',
      'PATCH /api/v1/namespaces/shop/services/checkout',
    ]);
    expect(api.requests[1]!.url).toContain('fieldManager=kdeploy');
  });

  it('mutate re-reads and retries on 409 Conflict', async () => {
    let rv = 1;
    let puts = 0;
    const api = await fakeApi((req, body, res) => {
      if (req.method === 'GET')
        return json(res, 200, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'r', resourceVersion: String(rv) },
          data: {},
        });
      puts++;
      if (puts === 1) {
        rv++; // another writer got there first
        return json(res, 409, status(409, 'Conflict', 'modified'));
      }
      json(res, 200, JSON.parse(body));
    });
    const out = await clusterFor(api.url).mutate<{
      apiVersion: string;
      kind: string;
      metadata: { name: string };
      data: Record<string, string>;
    }>({ apiVersion: 'v1', kind: 'ConfigMap', name: 'r' }, (cm) => ({ ...cm, data: { step: '3' } }));
    expect(out?.data).toEqual({ step: '3' });
    expect(JSON.parse(api.requests.at(-1)!.body).metadata.resourceVersion).toBe('2');
  });
});

describe('watch', () => {
  it('resumes after a dropped connection and re-lists after 410 Gone', async () => {
    let lists = 0;
    let watches = 0;
    const watchedFrom: (string | null)[] = [];
    const api = await fakeApi((req, _body, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.searchParams.get('watch') !== 'true') {
        lists++;
        return json(res, 200, {
          kind: 'PodList',
          metadata: { resourceVersion: lists === 1 ? '10' : '30' },
          items: [{ metadata: { name: `p${lists}` } }],
        });
      }
      watches++;
      watchedFrom.push(url.searchParams.get('resourceVersion'));
      res.writeHead(200, { 'content-type': 'application/json' });
      if (watches === 1) {
        res.write(
          `${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '11' } } })}\n`,
        );
        // Dropped watch: the connection dies after the event reached the client.
        return setTimeout(() => res.socket?.destroy(), 50);
      }
      if (watches === 2) {
        res.write(
          `${JSON.stringify({ type: 'MODIFIED', object: { metadata: { name: 'a', resourceVersion: '12' } } })}\n`,
        );
        res.write(
          `${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version') })}\n`,
        );
        return res.end();
      }
      res.write(
        `${JSON.stringify({ type: 'DELETED', object: { metadata: { name: 'p2', resourceVersion: '31' } } })}\n`,
      );
    });
    const cluster = clusterFor(api.url);
    const controller = new AbortController();
    const seen: string[] = [];
    await cluster.watch(
      { apiVersion: 'v1', kind: 'Pod' },
      (e: WatchEvent<{ metadata?: { name?: string } }>) => {
        seen.push(
          e.type === 'SYNC'
            ? `SYNC ${e.objects.map((o) => o.metadata?.name).join(',')}`
            : `${e.type} ${e.object.metadata?.name}`,
        );
        if (e.type === 'DELETED') controller.abort();
      },
      controller.signal,
    );
    expect(seen).toEqual(['SYNC p1', 'ADDED a', 'MODIFIED a', 'SYNC p2', 'DELETED p2']);
    expect(lists).toBe(2);
    expect(watchedFrom).toEqual(['10', '11', '30']);
  });
});

describe('loadKubeConfig', () => {
  it('rejects an unknown context with exit 2 and lists the known ones', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'http://127.0.0.1:1' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'prod', cluster: 'c', user: 'u' }],
      currentContext: 'prod',
    });
    expect(() => selectContext(kc, { context: 'staging' })).toThrow(
      /context "staging" not found in kubeconfig \(contexts: prod\)/,
    );
    try {
      selectContext(kc, { context: 'staging' });
    } catch (e) {
      expect((e as KubeError).exitCode).toBe(2);
    }
  });

  it('reports a missing kubeconfig file as bad input', () => {
    expect(() => loadKubeConfig({ kubeconfig: '/nonexistent/kubeconfig' })).toThrow(
      /kubeconfig file not found/,
    );
  });

  it('takes the namespace from the flag, then kdeploy.yaml, then the context', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'http://127.0.0.1:1' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: 'ctx-ns' }],
      currentContext: 'x',
    });
    expect(selectContext(kc, {}).namespace).toBe('ctx-ns');
    expect(selectContext(kc, { configNamespace: 'cfg' }).namespace).toBe('cfg');
    expect(selectContext(kc, { configNamespace: 'cfg', namespace: 'flag' }).namespace).toBe('flag');
  });
});
