// Resuming from the state a crashed CLI leaves behind, built directly instead of by killing a process: the
// state of the crash test's kill point 7 of v1 → crash-v2 (the process died right after recording that it
// started `ensure-service`), with the lease still held, freshly renewed, by that dead local process.
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../../src/core/cluster.js';
import type { ReleaseState } from '../../../src/core/release.js';
import { resume } from '../../../src/engine/api.js';
import { type LeaseObject, microTime } from '../../../src/engine/lock.js';
import { parseRecord, recordName } from '../../../src/engine/record.js';
import type { DeploymentLike } from '../../../src/engine/rollout.js';
import { registerStrategy } from '../../../src/engine/strategy.js';
import type { SimulatedCluster } from '../../../src/sim/index.js';
import { rollingSection } from '../../../strategies/config/rolling.js';
import { registerBuiltinStrategies } from '../../../strategies/index.js';
import { appConfig, appState, cluster, releaseTo, runOptions, startSim } from '../../support/engine-sim.js';

let sim: SimulatedCluster;
beforeAll(async () => {
  sim = await startSim();
});
afterAll(async () => {
  await sim?.close();
});

const leaseRef = (namespace: string) => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  name: 'kdeploy-web',
  namespace,
});
const recordRef = (namespace: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  name: recordName('web'),
  namespace,
});

/** The app on v1, then what a `rolling --to crash-v2` killed after its 7th mutating request leaves. */
async function killedAtEnsureService(): Promise<{ c: Cluster; namespace: string; holder: string }> {
  const config = appConfig(sim);
  const { namespace } = config;
  expect((await releaseTo(sim, config, 'v1')).outcome).toBe('completed');
  const c = cluster(sim, namespace);
  const v1 = parseRecord(await c.get(recordRef(namespace))).current as ReleaseState;
  const dep = (await c.get<DeploymentLike>({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: 'web',
    namespace,
  })) as DeploymentLike;
  const id = '20260101-000000-dead';
  // A local process that has exited: what the killed CLI is by the time `kdeploy resume` runs.
  const holder = `${hostname()}/${spawnSync(process.execPath, ['-e', '']).pid}/${id}`;
  const crashed: ReleaseState = {
    ...v1,
    id,
    from: v1.to,
    to: { version: 'crash-v2', image: 'registry.example/web:crash-v2' },
    phase: 'running',
    step: 1,
    stepState: 'started',
    outcome: undefined,
    finishedAt: undefined,
    // What the adopt step recorded (strategies/rolling.ts RollingData).
    data: {
      adopted: true,
      created: false,
      previousTemplate: dep.spec?.template,
      previousReplicas: dep.spec?.replicas,
      selector: dep.spec?.selector?.matchLabels,
    },
    holder,
  };
  await c.mutate<KubernetesObject & { data?: Record<string, string> }>(recordRef(namespace), (cm) => ({
    ...cm,
    data: { current: JSON.stringify(crashed), history: JSON.stringify([{ ...v1, config: undefined }]) },
  }));
  await c.mutate<LeaseObject>(leaseRef(namespace), (l) => ({
    ...l,
    spec: { ...l.spec, holderIdentity: holder, renewTime: microTime(Date.now()), leaseDurationSeconds: 15 },
  }));
  return { c, namespace, holder };
}

describe('resume from kill point 7 of v1 → crash-v2', () => {
  it('changes nothing when the strategy cannot be loaded: the lease stays with its holder, the record as it was', async () => {
    const { c, namespace, holder } = await killedAtEnsureService();
    const [leaseBefore, recordBefore] = await Promise.all([
      c.get<LeaseObject>(leaseRef(namespace)),
      c.get(recordRef(namespace)),
    ]);
    // What the CLI got from a bundle chunk read while `npm run build` rewrote it: a module without exports.
    registerStrategy(
      'rolling',
      async () => undefined as never,
      async () => rollingSection,
    );
    try {
      await expect(resume({ ...runOptions(sim), app: 'web', namespace })).rejects.toThrow(
        /strategy "rolling" did not load/,
      );
    } finally {
      registerBuiltinStrategies();
    }
    const [leaseAfter, recordAfter] = await Promise.all([
      c.get<LeaseObject>(leaseRef(namespace)),
      c.get(recordRef(namespace)),
    ]);
    expect(leaseAfter?.spec?.holderIdentity).toBe(holder);
    expect(leaseAfter?.metadata?.resourceVersion).toBe(leaseBefore?.metadata?.resourceVersion);
    expect(recordAfter?.metadata?.resourceVersion).toBe(recordBefore?.metadata?.resourceVersion);

    // The next resume takes the dead holder's lease at once and rolls the crashing version back.
    const resumed = await resume({ ...runOptions(sim), app: 'web', namespace });
    expect(resumed).toMatchObject({ outcome: 'failed', exitCode: 1, version: 'v1' });
    expect(resumed.events.find((e) => e.type === 'lock-taken-over')).toMatchObject({
      previousHolder: holder,
    });
    expect(resumed.release.diagnosis?.reason).toBe('CrashLoopBackOff');
    expect(await appState(c, namespace)).toMatchObject({
      phase: 'failed',
      version: 'v1',
      podVersions: ['v1'],
      readyPods: 3,
      lockHolder: null,
    });
  });
});
