// How fast a failing analysis rolls a canary back, in real (wall) time — issue 7's scenario: a canary at 20 %
// whose error rate rises from 0.1 % to 5 % while the stable version stays at 0.1 %, watched by a prometheus
// metric with `failureCondition: result > 0.01`, measured every second.
//   measured = from the first failing measurement (its `measurement` event, timestamped when emitted) to the
//              canary's traffic weight reaching 0: the moment no Ready canary pod is left for the Service to
//              send traffic to (the pod-ratio router's weight), seen on the simulator's store; shown beside
//              it, the part up to the rollback decision (`rollback-started`), the time from the error rate's
//              rise (which the target's interval + scrape interval allow for) to weight 0, and the time to
//              the `weight` event with canary 0, which the router reports once stable is back to full size
// The canary serves 0.1 % until its first measurement passes; then the bench raises it to 5 %.
// On a rollback the pod-ratio router (the one router the simulator runs a canary with) withdraws the canary
// pods first and then grows stable back, so weight 0 doesn't wait for a pod start but the `weight` event
// does: both are measured at the tests' pod pace and at a Kubernetes-like one. Two sources of metrics:
//   (a) the simulator's PromQL endpoint (`kdeploy_error_rate`, changed in the scenario at once);
//   (b) a real Prometheus (Debian's `prometheus`) scraping the test exporter every second, on the simulated
//       cluster's pods; the canary's error ratio is a rate over 5 s of its request counters.
// The targets are the reference: ≤ 1 s on the simulator; ≤ interval + scrape interval + 1 s on Prometheus.
//   node bench/detect-analysis.mjs        (RUNS=5 per setting by default)
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { loadSources, median } from './load-sources.mjs';

const RUNS = Number(process.env.RUNS ?? 5);
const INTERVAL_MS = 1000;
const SCRAPE_MS = 1000;
const { startSimulatedCluster, release, resourceByName, startPrometheus, waitForQuery, startTestExporter } =
  await loadSources('detect-analysis', {
    'src/sim/index.ts': ['startSimulatedCluster'],
    'src/engine/api.ts': ['release'],
    'src/sim/resources.ts': ['resourceByName'],
    'test/support/prometheus.ts': ['startPrometheus', 'waitForQuery'],
    'test/support/test-exporter.ts': ['startTestExporter'],
  });

const PACES = {
  'test pace (pods start in 50 ms, Ready 100 ms later)': { startDelay: '50ms', readyDelay: '100ms' },
  'Kubernetes-like pace (pods start in 0.5 s, Ready 1 s later)': { startDelay: '500ms', readyDelay: '1s' },
};
const STABLE = { rps: 200, errorRate: 0.001, latency: 0.08 };
const CANARY = { rps: 50, errorRate: 0.001, latency: 0.08 };

let n = 0;
function appConfig(sim, metric) {
  const namespace = `detect-${++n}`;
  sim.api.create(resourceByName('namespaces'), undefined, { metadata: { name: namespace } });
  return {
    app: 'checkout',
    namespace,
    image: { repository: 'registry.example/checkout' },
    replicas: 5,
    strategy: {
      canary: { steps: [{ setWeight: 20 }, { analysis: { metrics: ['error-rate'] } }, { setWeight: 60 }] },
    },
    analysis: {
      metrics: [
        {
          name: 'error-rate',
          provider: { prometheus: metric },
          interval: `${INTERVAL_MS}ms`,
          count: 30,
          failureCondition: 'result > 0.01',
        },
      ],
    },
  };
}

/**
 * One release of `version` onto a fresh v1: `raise()` turns the canary's error rate up after its first
 * passing measurement; returns ms from the first failing measurement to canary weight 0 and to the decision.
 */
async function once(sim, metric, version, raise) {
  const config = appConfig(sim, metric);
  const opts = { kubeconfig: sim.kubeConfig(), strategy: 'canary', config };
  const first = await release({ ...opts, to: 'v1' });
  if (first.outcome !== 'completed') throw new Error(`v1: ${first.outcome} (${first.reason})`);
  let raised;
  let failing;
  let decided;
  let zero;
  let reported;
  const stop = onCanaryWithdrawn(sim, config.namespace, () => {
    if (failing !== undefined) zero ??= performance.now();
  });
  let result;
  try {
    result = await release({
      ...opts,
      to: version,
      onEvent: (e) => {
        if (e.type === 'measurement' && e.verdict === 'successful' && raised === undefined) {
          raise();
          raised = performance.now();
        }
        if (e.type === 'measurement' && e.verdict === 'failed') failing ??= performance.now();
        if (e.type === 'rollback-started') decided ??= performance.now();
        if (e.type === 'weight' && e.canary === 0 && failing !== undefined) reported ??= performance.now();
      },
    });
  } finally {
    stop();
  }
  if (result.outcome !== 'failed' || [failing, decided, zero, reported].some((t) => t === undefined))
    throw new Error(`${version}: expected a rollback after a failing measurement, got ${result.outcome}`);
  if (result.version !== 'v1') throw new Error(`${version}: rolled back to ${result.version}, not v1`);
  return {
    zero: zero - failing,
    decision: decided - failing,
    rise: zero - raised,
    reported: reported - failing,
  };
}

/** Calls `then` at every change after which the namespace has no Ready, non-terminating canary pod. */
function onCanaryWithdrawn(sim, namespace, then) {
  const pods = resourceByName('pods');
  const serving = (p) =>
    p.metadata.labels?.['kdeploy.dev/role'] === 'canary' &&
    !p.metadata.deletionTimestamp &&
    p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  return sim.api.store.subscribe((e) => {
    if (e.object.metadata.namespace === namespace && !sim.api.list(pods, namespace).some(serving)) then();
  });
}

const ms = (x) => `${Math.round(x)} ms`;
function report(label, runs, targetMs, targetText) {
  const m = median(runs.map((r) => r.zero));
  console.log(`  ${label}:`);
  console.log(
    `    ${ms(m)}  [runs ${runs.map((r) => ms(r.zero)).join(', ')}; decision ${ms(median(runs.map((r) => r.decision)))}; from the rise ${ms(median(runs.map((r) => r.rise)))}; weight event, stable back to full size ${ms(median(runs.map((r) => r.reported)))}]  target ≤ ${targetText}: ${m <= targetMs ? 'met' : 'MISSED'} (${(m / targetMs).toFixed(2)}× the target)`,
  );
}

console.log(
  `canary at 20 %, its error rate rising 0.1 % → 5 % (stable 0.1 %), failureCondition result > 0.01 every ${INTERVAL_MS / 1000} s;`,
);
console.log(`first failing measurement → canary weight 0, wall time, median of ${RUNS} runs:`);

// (a) The simulator's own metrics: raising the error rate is a change to the live scenario object, which
// its Prometheus endpoint reads at every query.
for (const [pace, pods] of Object.entries(PACES)) {
  const sim = await startSimulatedCluster({ scenario: { pods, metrics: { default: { errorRate: 0.001 } } } });
  try {
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const version = `v2-${i}`;
      const metric = {
        address: sim.url,
        query: 'sum(kdeploy_error_rate{namespace="{{namespace}}",app="{{app}}",version="{{canaryVersion}}"})',
      };
      runs.push(
        await once(sim, metric, version, () => {
          sim.scenario.metrics.versions[version] = { errorRate: 0.05 };
        }),
      );
    }
    report(`simulator metrics, ${pace}`, runs, 1000, '1 s');
  } finally {
    await sim.close();
  }
}

// (b) A real Prometheus scraping the test exporter; each run's canary is a version of its own, registered
// up front at 0.1 % so that its rate exists before the first measurement.
const bin = process.env.PROMETHEUS ?? 'prometheus';
if (spawnSync(bin, ['--version']).error) {
  console.log(
    `  real Prometheus: skipped, ${bin} not found (install Debian's prometheus: test/support/install-prometheus.sh)`,
  );
} else {
  const paces = Object.entries(PACES);
  const versions = paces.map((_, p) => Array.from({ length: RUNS }, (_, i) => `v3-${p}-${i}`));
  const exporter = await startTestExporter('checkout', {
    v1: STABLE,
    ...Object.fromEntries(versions.flat().map((v) => [v, CANARY])),
  });
  let prometheus;
  let sim;
  try {
    prometheus = await startPrometheus({ targets: [exporter.target], scrapeInterval: `${SCRAPE_MS}ms` });
    await waitForQuery(
      prometheus.url,
      'count(rate(http_requests_total{code="500"}[5s]) > 0)',
      (v) => v[0] === versions.flat().length + 1,
    );
    const rate = (codes) =>
      `sum(rate(http_requests_total{app="{{app}}",version="{{canaryVersion}}"${codes}}[5s]))`;
    const metric = { address: prometheus.url, query: `${rate(',code=~"5.."')} / ${rate('')}` };
    const target = INTERVAL_MS + SCRAPE_MS + 1000;
    for (const [p, [pace, pods]] of paces.entries()) {
      sim = await startSimulatedCluster({ scenario: { pods } });
      const runs = [];
      for (const version of versions[p])
        runs.push(await once(sim, metric, version, () => exporter.set(version, { errorRate: 0.05 })));
      await sim.close();
      sim = undefined;
      report(
        `real Prometheus (scrape every ${SCRAPE_MS / 1000} s), ${pace}`,
        runs,
        target,
        `interval + scrape interval + 1 s = ${target / 1000} s`,
      );
    }
  } finally {
    await sim?.close();
    await prometheus?.stop();
    await exporter.close();
  }
}
