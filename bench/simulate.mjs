// How fast the simulated cluster rehearses a release in virtual time: `node bench/simulate.mjs` (via npx or
// npm so the project's Node 22 runs it). A 10-revision rolling update (5 replicas, 25 % surge/unavailable,
// the `happy` scenario) driven by the real @kubernetes/client-node over HTTP, as `kdeploy simulate` will.
// Prints the wall time, the virtual time it covers, and both against bare-node start-up measured here.
// Then a 12-step, 30-minute canary (setWeight 10…90 with 5-minute pauses, 5 replicas) run by the engine
// itself (`release()` with the canary strategy), as `kdeploy simulate canary` does, on the default
// VirtualClock (auto-advance; no real-time idle margin: the simulator holds the clock while a request is in
// flight). CPU time is printed too: on a shared machine wall time mostly measures the neighbours.
import { spawnSync } from 'node:child_process';
import { AppsV1Api } from '@kubernetes/client-node';
import { loadSources, median } from './load-sources.mjs';

const RUNS = Number(process.env.RUNS ?? 3);
const REVISIONS = 10;

// The simulator and the engine are TypeScript: bundled once, in one file so they share one VirtualClock class.
const { startSimulatedCluster, VirtualClock, release } = await loadSources('simulate', {
  'src/sim/index.ts': ['startSimulatedCluster', 'VirtualClock'],
  'src/engine/api.ts': ['release'],
});

function deployment(image) {
  return {
    metadata: { name: 'web' },
    spec: {
      replicas: 5,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
}

const complete = (d) => {
  const s = d.status ?? {};
  const p = s.conditions?.find((c) => c.type === 'Progressing');
  return (
    s.observedGeneration >= d.metadata.generation &&
    p?.reason === 'NewReplicaSetAvailable' &&
    s.updatedReplicas === 5 &&
    s.availableReplicas === 5 &&
    s.replicas === 5
  );
};

async function rehearse() {
  const start = Date.UTC(2026, 0, 1);
  const clock = new VirtualClock({ start, autoAdvance: true });
  const sim = await startSimulatedCluster({ clock, scenario: 'happy' });
  const apps = sim.kubeConfig().makeApiClient(AppsV1Api);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let rev = 1; rev <= REVISIONS; rev++) {
    const image = `registry.local/web:v${rev}`;
    if (rev === 1) await apps.createNamespacedDeployment({ namespace: 'default', body: deployment(image) });
    else
      await apps.patchNamespacedDeployment({
        name: 'web',
        namespace: 'default',
        body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: image }],
      });
    // Poll like `kubectl rollout status` would, once a second of virtual time.
    while (!complete(await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' })))
      await clock.sleep(1000);
  }
  const wall = performance.now() - t0;
  const cpu = cpuMs(c0);
  const virtual = clock.now() - start;
  if (sim.errors.length) throw new Error(`controller errors: ${sim.errors.join('; ')}`);
  await sim.close();
  clock.dispose();
  return { wall, cpu, virtual };
}

const CANARY_STEPS = [10, 20, 30, 50, 70, 90].flatMap((w) => [
  { setWeight: w },
  { pause: { duration: '5m' } },
]);

async function rehearseCanary() {
  const clock = new VirtualClock({ start: Date.UTC(2026, 0, 1), autoAdvance: true });
  const sim = await startSimulatedCluster({ clock, scenario: 'happy' });
  const config = {
    app: 'web',
    image: { repository: 'registry.local/web' },
    replicas: 5,
    strategy: { canary: { steps: CANARY_STEPS } },
  };
  const base = { config, strategy: 'canary', kubeconfig: sim.kubeConfig(), clock, leaseSeconds: 300 };
  if ((await release({ ...base, to: 'v1' })).outcome !== 'completed')
    throw new Error('the first release failed');
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await release({ ...base, to: 'v2' });
  const wall = performance.now() - t0;
  const cpu = cpuMs(c0);
  if (r.outcome !== 'completed') throw new Error(`the canary ended ${r.outcome}: ${r.reason}`);
  await sim.close();
  clock.dispose();
  return { wall, cpu, virtual: Date.parse(r.release.finishedAt) - Date.parse(r.release.startedAt) };
}

function cpuMs(since) {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1000;
}

function bareNode() {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', '0']);
  if (r.status !== 0) throw new Error('node -e 0 failed');
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

await rehearse(); // warm-up (JIT, client-node's first requests)
bareNode();
const runs = [];
const bases = [];
for (let i = 0; i < RUNS; i++) {
  runs.push(await rehearse());
  bases.push(bareNode());
}
const wall = median(runs.map((r) => r.wall));
const cpu = median(runs.map((r) => r.cpu));
const virtual = median(runs.map((r) => r.virtual));
const base = median(bases);
console.log(`node ${process.version}, ${RUNS} runs, medians`);
console.log(`bare node start-up (node -e 0)      ${base.toFixed(1).padStart(8)} ms`);
console.log(
  `${REVISIONS}-revision rolling rehearsal    ${wall.toFixed(1).padStart(8)} ms wall  ${(wall / base).toFixed(2)}x bare node  (${cpu.toFixed(0)} ms CPU)`,
);
console.log(
  `virtual time covered               ${(virtual / 1000).toFixed(1).padStart(8)} s      ${(virtual / wall).toFixed(0)}x faster than real time`,
);

await rehearseCanary(); // warm-up
const canaries = [];
for (let i = 0; i < RUNS; i++) canaries.push(await rehearseCanary());
const cWall = median(canaries.map((r) => r.wall));
const cCpu = median(canaries.map((r) => r.cpu));
const cVirtual = median(canaries.map((r) => r.virtual));
console.log(
  `12-step 30-minute canary           ${cWall.toFixed(1).padStart(8)} ms wall  ${(cWall / base).toFixed(2)}x bare node  (${cCpu.toFixed(0)} ms CPU)`,
);
console.log(
  `virtual time covered               ${(cVirtual / 1000).toFixed(1).padStart(8)} s      ${(cVirtual / cWall).toFixed(0)}x faster than real time`,
);
