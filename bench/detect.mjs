// How fast a bad rolling release is caught and undone, on the simulated cluster in real time:
//   detect  = from the first pod status showing the failure (CrashLoopBackOff) to kdeploy's decision to roll back
//   restore = from that decision to the old version fully available again (the release's `failed` event)
// Baseline, measured in the same run against the same simulator: `kubectl rollout status`, which ignores pod
// failures and reports only when the Deployment's progress deadline passes. It runs with a short deadline
// (DEADLINE, default 15 s) so the bench stays short; with Kubernetes' default of 600 s it waits 600 s.
//   node bench/detect.mjs        (RUNS=5 per maxUnavailable setting, DEADLINE=15 by default)
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadSources, median, benchCacheDir as outdir } from './load-sources.mjs';

const RUNS = Number(process.env.RUNS ?? 5);
const DEADLINE = Number(process.env.DEADLINE ?? 15);
const { startSimulatedCluster, release, resourceByName } = await loadSources('detect', {
  'src/sim/index.ts': ['startSimulatedCluster'],
  'src/engine/api.ts': ['release'],
  'src/sim/resources.ts': ['resourceByName'],
});

// Kubernetes-like pace: containers start in 0.5 s, a crashing one runs 1 s, the kubelet backs off 10 s.
const sim = await startSimulatedCluster({
  scenario: {
    pods: {
      startDelay: '500ms',
      readyDelay: '1s',
      crashLoop: { runFor: '1s', backoff: '10s', maxBackoff: '5m' },
    },
  },
});
const PODS = resourceByName('pods');
const crashLooping = (pod) =>
  (pod.status?.containerStatuses ?? []).some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff');

/** The first instant any pod in `namespace` shows CrashLoopBackOff, seen in-process as the store changes. */
function firstFailure(namespace) {
  let at;
  const stop = sim.api.store.subscribe((e) => {
    if (
      at === undefined &&
      e.rt === PODS &&
      e.object.metadata.namespace === namespace &&
      crashLooping(e.object)
    )
      at = Date.now();
  });
  return { at: () => at, stop };
}

let n = 0;
function appConfig(maxUnavailable = 0) {
  const namespace = `bench-${++n}`;
  sim.api.create(resourceByName('namespaces'), undefined, { metadata: { name: namespace } });
  return {
    app: 'web',
    namespace,
    image: { repository: 'registry.example/web' },
    replicas: 3,
    strategy: { rolling: { maxSurge: 1, maxUnavailable, progressDeadline: '10m' } },
  };
}
const opts = { kubeconfig: sim.kubeConfig(), strategy: 'rolling' };

// maxUnavailable 0 keeps every old pod until a new one is Ready, so restoring only removes the new pods;
// maxUnavailable 1 takes an old pod down at once, so restoring has to start one again.
const detect = [];
const restore = { 0: [], 1: [] };
for (let i = 0; i < RUNS * 2; i++) {
  const maxUnavailable = i % 2;
  const config = appConfig(maxUnavailable);
  await release({ ...opts, config, to: 'v1' });
  const failure = firstFailure(config.namespace);
  let decided;
  let restored;
  const result = await release({
    ...opts,
    config,
    to: 'crash-v2',
    onEvent: (e) => {
      if (e.type === 'rollback-started') decided = Date.now();
      if (e.type === 'failed') restored = Date.now();
    },
  });
  failure.stop();
  if (result.outcome !== 'failed' || failure.at() === undefined)
    throw new Error(`run ${i}: expected a detected failure, got ${result.outcome}`);
  detect.push(decided - failure.at());
  restore[maxUnavailable].push(restored - decided);
}

// Baseline: the same crash-looping version, rolled out without kdeploy, watched by kubectl rollout status.
const kubeconfig = `${outdir}/detect-kubeconfig`;
writeFileSync(kubeconfig, sim.kubeConfigYaml);
const base = appConfig();
await release({ ...opts, config: base, to: 'v1' });
const failure = firstFailure(base.namespace);
const deps = resourceByName('deployments');
const dep = sim.api.get(deps, base.namespace, 'web');
dep.spec.progressDeadlineSeconds = DEADLINE;
dep.spec.template.spec.containers[0].image = 'registry.example/web:crash-v2';
sim.api.update(deps, base.namespace, 'web', dep);
const kubectlStarted = Date.now();
const kubectlExit = await new Promise((resolve) => {
  const child = spawn(
    'kubectl',
    ['--kubeconfig', kubeconfig, '-n', base.namespace, 'rollout', 'status', 'deployment/web'],
    { stdio: 'ignore' },
  );
  child.on('error', () => resolve(undefined));
  child.on('close', (code) => resolve({ code, at: Date.now() }));
});
failure.stop();
await sim.close();

const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
console.log(`rolling release of a crash-looping version, simulator in real time, ${RUNS * 2} runs (median):`);
console.log(
  `  kdeploy detect  (first CrashLoopBackOff status → rollback decision): ${s(median(detect))}  [max ${s(Math.max(...detect))}]  target ≤ 2 s`,
);
console.log(
  `  kdeploy restore (rollback decision → old version fully available): maxUnavailable 0: ${s(median(restore[0]))}, maxUnavailable 1: ${s(median(restore[1]))} (a pod starts in 0.5 s, Ready 1 s later)`,
);
if (!kubectlExit) {
  console.log(
    '  kubectl not found: baseline not measured (kubectl rollout status reports at the progress deadline, 600 s by default)',
  );
} else {
  const kubectlDetect = kubectlExit.at - (failure.at() ?? kubectlStarted);
  console.log(
    `  kubectl rollout status (progressDeadlineSeconds ${DEADLINE}): exit ${kubectlExit.code} after ${s(kubectlDetect)} from the first CrashLoopBackOff, and it rolls nothing back`,
  );
  console.log(
    `  ratio kubectl / kdeploy detection: ${(kubectlDetect / median(detect)).toFixed(0)}× at a ${DEADLINE} s deadline;`,
  );
  console.log(
    `    at the default 600 s deadline ≈ ${((kubectlDetect - DEADLINE * 1000 + 600_000) / median(detect)).toFixed(0)}× (same delay past the deadline)`,
  );
}
