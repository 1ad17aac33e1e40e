// Crash safety on the real control plane: the CLI releases v1→v2 through a proxy that SIGKILLs it right after
// the k-th mutating request reached the apiserver, for every k until a run finishes on its own; then
// `kdeploy resume` must leave the app fully on one version, the Lease free, and the record saying which.
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { release } from '../../../src/engine/api.js';
import { parseRecord, recordName } from '../../../src/engine/record.js';
import { KubeCluster } from '../../../src/kube/cluster.js';
import { selectContext } from '../../../src/kube/kubeconfig.js';
import { appState } from '../../support/engine-sim.js';
import { killingProxy, runCli } from '../../support/kill-proxy.js';
import { createTestNamespace, deleteTestNamespace, testbedKubeConfig } from '../../testbed/namespace.js';

let dir: string;
const namespaces: string[] = [];
beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: join(import.meta.dirname, '../../..') });
  dir = mkdtempSync(join(tmpdir(), 'kdeploy-e2e-crash-'));
}, 180_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await Promise.all(namespaces.map((n) => deleteTestNamespace(n)));
});

/** The bed's admin kubeconfig pointed at `server`, a plain-HTTP proxy (client-node allows a token over HTTP only with skipTLSVerify). */
function kubeconfigVia(server: string, name: string): string {
  const kc = testbedKubeConfig();
  const cluster = kc.getCurrentCluster()!;
  const proxied = new KubeConfig();
  proxied.loadFromOptions({
    clusters: [{ name: cluster.name, server, skipTLSVerify: true }],
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.getCurrentContext(),
  });
  const path = join(dir, name);
  writeFileSync(path, proxied.exportConfig());
  return path;
}

function bedCa(): Buffer | undefined {
  const c = testbedKubeConfig().getCurrentCluster()!;
  return c.caData ? Buffer.from(c.caData, 'base64') : c.caFile ? readFileSync(c.caFile) : undefined;
}

async function tryKillPoint(k: number): Promise<{ killed: boolean; converged: boolean; detail: string }> {
  const namespace = await createTestNamespace(`crash-${k}`);
  namespaces.push(namespace);
  const config = {
    app: 'web',
    namespace,
    image: { repository: 'registry.example/web' },
    replicas: 2,
    strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } },
  };
  expect(
    (await release({ config, strategy: 'rolling', to: 'v1', kubeconfig: testbedKubeConfig() })).outcome,
  ).toBe('completed');
  const file = join(dir, `kdeploy-${namespace}.yaml`);
  writeFileSync(file, stringify(config));
  const server = testbedKubeConfig().getCurrentCluster()!.server;
  let child: ChildProcess | undefined;
  const proxy = await killingProxy(server, k, () => child, bedCa());
  const first = await runCli(
    ['rolling', '--to', 'v2', '-f', file, '--kubeconfig', kubeconfigVia(proxy.url, `proxy-${namespace}`)],
    (c) => {
      child = c;
    },
  );
  proxy.close();
  const killed = proxy.killed();
  const admin = process.env.KDEPLOY_TESTBED_KUBECONFIG!;
  if (killed) {
    const again = await runCli(['resume', 'web', '-n', namespace, '--kubeconfig', admin]);
    if (again.code !== 0)
      return { killed, converged: false, detail: `k=${k}: resume exited ${again.code}: ${again.out}` };
  } else if (first.code !== 0) {
    return { killed, converged: false, detail: `k=${k}: unkilled run exited ${first.code}: ${first.out}` };
  }
  const c = new KubeCluster(selectContext(testbedKubeConfig(), { namespace }));
  const state = await appState(c, namespace);
  const current = parseRecord(
    await c.get({ apiVersion: 'v1', kind: 'ConfigMap', name: recordName('web'), namespace }),
  ).current;
  const expected = current?.phase === 'completed' ? current.to.version : current?.from?.version;
  const converged =
    !!current &&
    ['completed', 'failed', 'aborted'].includes(current.phase) &&
    (expected === 'v1' || expected === 'v2') &&
    state.version === expected &&
    state.podVersions.join() === expected &&
    state.readyPods === state.desired &&
    !state.lockHolder;
  return { killed, converged, detail: JSON.stringify({ k, phase: current?.phase, expected, state }) };
}

describe('crash safety on the real control plane', () => {
  it('every kill point of a rolling release converges after resume', { timeout: 600_000 }, async () => {
    const failures: string[] = [];
    let tried = 0;
    for (let base = 1; base < 100; base += 3) {
      const batch = await Promise.all([base, base + 1, base + 2].map(tryKillPoint));
      for (const r of batch) {
        if (r.killed) tried++;
        if (!r.converged) failures.push(r.detail);
      }
      if (batch.some((r) => !r.killed)) break;
    }
    console.log(
      `crash safety on the real control plane (v1→v2): ${tried - failures.length}/${tried} kill points converged`,
    );
    expect(failures).toEqual([]);
    expect(tried).toBeGreaterThan(8);
  });
});
