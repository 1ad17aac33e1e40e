// The Lambda's way into a cluster (src/kube/transport-node.ts: node:https, the cluster CA, a bearer token;
// no client-node, no undici) against a real kube-apiserver: its TLS, its token authentication, its watch
// stream and its error bodies, then a whole release run over it as the Lambda runs one.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../src/core/cluster.js';
import { release } from '../../src/engine/api.js';
import { KubeCluster } from '../../src/kube/cluster.js';
import { KubeError } from '../../src/kube/errors.js';
import { nodeTransport } from '../../src/kube/transport-node.js';
import { testbedKubeConfig, useTestNamespace } from '../testbed/namespace.js';

const ns = useTestNamespace('node-transport');

/** The bed's admin server, CA and token, as UserParameters / DescribeCluster would give them. */
function access() {
  const kc = testbedKubeConfig();
  const cluster = kc.getCurrentCluster();
  const token = kc.getCurrentUser()?.token;
  if (!cluster?.caData || !token) throw new Error('the bed kubeconfig has no inline CA or token');
  return { server: cluster.server, caData: cluster.caData, token };
}

const clusterWith = (options: Parameters<typeof nodeTransport>[0]) =>
  new KubeCluster({ transport: nodeTransport(options), namespace: ns.name }, { retries: 0 });

type ConfigMap = KubernetesObject & { data?: Record<string, string> };
const ref = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', name, namespace: ns.name });

describe('the node:https transport on a real kube-apiserver', () => {
  it('creates, patches, lists and watches with the CA and the bearer token', async () => {
    const { server, caData, token } = access();
    let asked = 0;
    const cluster = clusterWith({
      server,
      caData,
      token: () => {
        asked++;
        return token;
      },
    });
    await cluster.create<ConfigMap>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'probe', labels: { probe: 'yes' } },
      data: { step: '1' },
    });

    const events: WatchEvent<ConfigMap>[] = [];
    const stop = new AbortController();
    const watching = cluster.watch<ConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap', labelSelector: 'probe=yes' },
      (e) => events.push(e),
      stop.signal,
    );
    const seen = async (step: string) => {
      for (let i = 0; i < 200; i++) {
        if (events.some((e) => e.type === 'MODIFIED' && e.object.data?.step === step)) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`no MODIFIED event with step ${step}: ${JSON.stringify(events.map((e) => e.type))}`);
    };
    for (let i = 0; i < 200 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(events[0]).toMatchObject({ type: 'SYNC' });

    await cluster.patch(ref('probe'), { data: { step: '2' } }, 'merge');
    await seen('2');
    await cluster.patch(ref('probe'), [{ op: 'replace', path: '/data/step', value: '3' }], 'json');
    await seen('3');
    stop.abort();
    await watching;

    const { items } = await cluster.list<ConfigMap>('v1', 'ConfigMap', { labelSelector: 'probe=yes' });
    expect(items.map((c) => [c.metadata?.name, c.data?.step])).toEqual([['probe', '3']]);
    expect(asked).toBeGreaterThanOrEqual(5); // the token is asked for on every request, so it can be refreshed
  });

  it('a token the server rejects is a KubeError naming 401 and exiting 5', async () => {
    const { server, caData } = access();
    const err = await clusterWith({ server, caData, token: () => 'not-a-valid-token' })
      .get(ref('probe'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).exitCode).toBe(5);
    expect(String((err as Error).message)).toMatch(/401|Unauthorized/);
  });

  it('without the cluster CA the TLS failure says so', async () => {
    const { server, token } = access();
    const err = await clusterWith({ server, token: () => token })
      .get(ref('probe'))
      .catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/certificate .* is not trusted/);
  });

  it('runs a whole rolling release over it, as the Lambda does', async () => {
    const { server, caData, token } = access();
    const result = await release({
      config: {
        app: 'web',
        namespace: ns.name,
        image: { repository: 'registry.example/web' },
        replicas: 2,
        strategy: { rolling: { maxSurge: 1, maxUnavailable: 0, progressDeadline: '5m' } },
      },
      strategy: 'rolling',
      to: 'v1',
      transport: nodeTransport({ server, caData, token: () => token }),
    });
    expect(result.outcome, result.reason).toBe('completed');
    expect(result.version).toBe('v1');
  });
});
