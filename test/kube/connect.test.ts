import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectCluster } from '../../src/kube/connect.js';

// cluster.eks with an ordinary kubeconfig (e.g. from `aws eks update-kubeconfig`): the endpoint comes from
// the kubeconfig, the credentials from the in-process EKS token instead of the kubeconfig's exec plugin.
const seen: (string | undefined)[] = [];
const server = createServer((req, res) => {
  seen.push(req.headers.authorization);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x' } }));
});
const saved = { ...process.env };

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_REGION: 'eu-west-1',
  });
});
afterAll(() => {
  server.close();
  process.env = saved;
});

it('authenticates with the in-process EKS token when cluster.eks is set', async () => {
  const { port } = server.address() as AddressInfo;
  const file = join(tmpdir(), `kdeploy-eks-${process.pid}.yaml`);
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: /nonexistent/aws, args: [eks, get-token]}}}]
contexts: [{name: ctx, context: {cluster: c, user: u, namespace: shop}}]
current-context: ctx
`,
  );
  const cluster = await connectCluster({ kubeconfig: file, eks: { name: 'prod', region: 'eu-west-1' } });
  await cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'x' });
  expect(cluster.namespace).toBe('shop');
  expect(seen[0]).toMatch(/^Bearer k8s-aws-v1\.[A-Za-z0-9_-]+$/);
});
