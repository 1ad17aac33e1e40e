// How fast a blue/green release is undone inside its scale-down window, on the simulated cluster in real
// time: from `abort()` (another process's request through the release record) until the active Service
// selects the old colour again — a selector flip to pods that are still warm. Baseline, measured in the same
// run: what undoing costs once the old colour is gone — a blue/green release onto the idle colour at 0
// replicas (its pods must start), from its start until its traffic switch.
//   node bench/flip.mjs        (RUNS=3 by default)
import { loadSources, median } from './load-sources.mjs';

const RUNS = Number(process.env.RUNS ?? 3);
const { startSimulatedCluster, release, abort } = await loadSources('flip', {
  'src/sim/index.ts': ['startSimulatedCluster'],
  'src/engine/api.ts': ['release', 'abort'],
});

const config = (delay) => ({
  app: 'web',
  image: { repository: 'registry.local/web' },
  replicas: 4,
  strategy: { bluegreen: { scaleDownDelay: delay } },
});

async function once() {
  const sim = await startSimulatedCluster({ scenario: 'happy' });
  const kubeconfig = sim.kubeConfig();
  const core = { kubeconfig, leaseSeconds: 60 };
  const selector = async () => {
    const res = await fetch(`${sim.url}/api/v1/namespaces/default/services/web`, {
      headers: { authorization: 'Bearer x' },
    });
    return (await res.json()).spec.selector['kdeploy.dev/color'];
  };
  if (
    (await release({ ...core, config: config('10m'), strategy: 'bluegreen', to: 'v1' })).outcome !==
    'completed'
  )
    throw new Error('v1 failed');
  let inWindow;
  const windowReached = new Promise((resolve) => (inWindow = resolve));
  const running = release({
    ...core,
    config: config('10m'),
    strategy: 'bluegreen',
    to: 'v2',
    onEvent: (e) => e.type === 'step-started' && e.step === 'scale-down-old' && inWindow(),
  });
  await windowReached;
  const t0 = performance.now();
  const aborting = abort({ ...core, app: 'web', identity: 'bench' });
  while ((await selector()) !== 'blue') await new Promise((r) => setTimeout(r, 2));
  const flip = performance.now() - t0;
  await aborting;
  await running;
  // Baseline: a new release onto the idle colour (green at 0 replicas), until its traffic switch.
  const t1 = performance.now();
  let switched;
  await release({
    ...core,
    config: config('0s'),
    strategy: 'bluegreen',
    to: 'v3',
    onEvent: (e) => {
      if (e.type === 'weight') switched ??= performance.now();
    },
  });
  const redeploy = switched - t1;
  await sim.close();
  return { flip, redeploy };
}

await once(); // warm-up
const runs = [];
for (let i = 0; i < RUNS; i++) runs.push(await once());
const flip = median(runs.map((r) => r.flip));
const redeploy = median(runs.map((r) => r.redeploy));
console.log(`node ${process.version}, ${RUNS} runs, medians (simulated cluster, real time, 4 replicas)`);
console.log(
  `abort inside the scale-down window: traffic back on the warm colour  ${flip.toFixed(1).padStart(8)} ms`,
);
console.log(
  `baseline: release onto the cold idle colour, until its traffic switch   ${redeploy.toFixed(1).padStart(8)} ms`,
);
console.log(
  `ratio                                                                  ${(flip / redeploy).toFixed(3).padStart(8)}x`,
);
