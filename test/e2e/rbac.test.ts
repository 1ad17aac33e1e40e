// kdeploy's minimal Role, enforced by the real RBAC authorizer: a non-admin token bound to it can do
// what a rollout needs in its namespace and is Forbidden everywhere else.
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  NetworkingV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { toKubeError } from '../../src/kube/errors.js';
import { loadKubeConfig } from '../../src/kube/kubeconfig.js';
import { minimalRole } from '../../src/kube/rbac.js';
import { LIMITED_USER } from '../testbed/bed.js';
import { testbedKubeConfig, useTestNamespace } from '../testbed/namespace.js';
import { deployment, service } from './fixtures.js';

const ns = useTestNamespace('rbac');
const other = useTestNamespace('rbac-other');

function limited() {
  const { kc } = loadKubeConfig({ kubeconfig: process.env.KDEPLOY_TESTBED_LIMITED_KUBECONFIG });
  return {
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    leases: kc.makeApiClient(CoordinationV1Api),
    net: kc.makeApiClient(NetworkingV1Api),
  };
}

/** Runs a request as the limited user and returns the KubeError kdeploy would report. */
async function forbidden(what: string, fn: () => Promise<unknown>) {
  const err = await fn().then(
    () => {
      throw new Error(`expected Forbidden for ${what}, but it succeeded`);
    },
    (e: unknown) => toKubeError(e, { verb: what, resource: 'test' }),
  );
  expect(err, what).toMatchObject({ status: 403, reason: 'Forbidden', exitCode: 5 });
}

describe('minimal Role for a non-admin token', () => {
  beforeAll(async () => {
    const rbac = testbedKubeConfig().makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({ namespace: ns.name, body: minimalRole(ns.name) });
    await rbac.createNamespacedRoleBinding({
      namespace: ns.name,
      body: {
        metadata: { name: 'kdeploy' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kdeploy' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: LIMITED_USER }],
      },
    });
  });

  it('allows what a rollout needs in its namespace', async () => {
    const { apps, core, leases, net } = limited();
    const namespace = ns.name;
    await apps.createNamespacedDeployment({ namespace, body: deployment('app', 'registry.example/app:v1') });
    await apps.patchNamespacedDeployment(
      { name: 'app', namespace, body: { metadata: { annotations: { 'kdeploy.io/note': 'rbac' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect((await apps.listNamespacedReplicaSet({ namespace })).items).toBeDefined();
    await core.createNamespacedService({ namespace, body: service('app') });
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'kdeploy-state' }, data: {} },
    });
    await core.listNamespacedPod({ namespace });
    await core.listNamespacedEvent({ namespace });
    await leases.createNamespacedLease({
      namespace,
      body: { metadata: { name: 'kdeploy-lock-app' }, spec: {} },
    });
    await leases.deleteNamespacedLease({ name: 'kdeploy-lock-app', namespace });
    await net.listNamespacedIngress({ namespace });
    await apps.deleteNamespacedDeployment({ name: 'app', namespace });
  });

  it('forbids everything outside the Role', async () => {
    const { apps, core, leases, net } = limited();
    const namespace = ns.name;
    await forbidden('list secrets', () => core.listNamespacedSecret({ namespace }));
    await forbidden('create namespace', () =>
      core.createNamespace({ body: { metadata: { name: `${namespace}-x` } } }),
    );
    await forbidden('delete pods', () => core.deleteCollectionNamespacedPod({ namespace }));
    await forbidden('list leases', () => leases.listNamespacedLease({ namespace }));
    await forbidden('create ingress', () =>
      net.createNamespacedIngress({ namespace, body: { metadata: { name: 'x' }, spec: {} } }),
    );
    await forbidden('list nodes', () => core.listNode());
    await forbidden('list deployments in another namespace', () =>
      apps.listNamespacedDeployment({ namespace: other.name }),
    );
    await forbidden('list deployments cluster-wide', () => apps.listDeploymentForAllNamespaces());
  });
});
