// The embedded simulated Kubernetes cluster: the default target of `kdeploy simulate` and `kdeploy demo`,
// and the fast backend for tests. The real @kubernetes/client-node talks to it over HTTP.
//
//   const sim = await startSimulatedCluster({ clock: new VirtualClock({ autoAdvance: true }), scenario: 'canary-crash', seed: 7 });
//   const kc = sim.kubeConfig();            // a client-node KubeConfig pointing at sim.url (context `kdeploy-sim`)
//   writeFileSync(path, sim.kubeConfigYaml); // the same, for a process that reads a kubeconfig file
//   …run the engine against kc with sim.clock as its Clock…
//   await sim.close();
//
// What the front ends need:
// - `kdeploy simulate <strategy> --to <tag> [--scenario <name|file>]`: start with a VirtualClock in
//   auto-advance mode and the chosen scenario (`loadScenario` accepts a built-in name or a path; bad files
//   throw ConfigError, exit 2), create the app's objects through the API, run the engine with `sim.clock`,
//   and report `sim.clock.now() - sim.startedAt` as the virtual duration. `builtinScenarios()` lists names.
// - `kdeploy demo`: the same with a RealClock (the default clock) and the `happy` scenario, so a newcomer
//   watches a release progress in real time.
// - Tests: `sim.faults` injects 409/429/500, connection resets and watch drops (see faults.ts);
//   `sim.compactHistory()` makes older resourceVersions answer 410 Expired; `sim.errors` collects controller
//   errors (expected to stay empty); `sim.api` reads and writes objects in-process, bypassing faults.
// - Metrics: `${sim.url}/api/v1/query` is a Prometheus-compatible endpoint (see metrics.ts for the series
//   and promql.ts for the query subset); point the prometheus provider's address at `sim.url`.
//
// Semantics follow the real controllers (see controllers/*.ts); what is simplified is said where it is done:
// pods are deleted at once (no graceful termination), server-side apply is a strategic merge without field
// ownership, and list pagination is by offset rather than a consistent snapshot.
import type { KubeConfig } from '@kubernetes/client-node';
import { RealClock, VirtualClock } from '../core/clock.js';
import type { Clock } from '../core/ports.js';
import { SimApi } from './api.js';
import { DeploymentController } from './controllers/deployment.js';
import { EventRecorder } from './controllers/events.js';
import { Kubelet } from './controllers/kubelet.js';
import { WorkQueue } from './controllers/queue.js';
import { ReplicaSetController } from './controllers/replicaset.js';
import { controllerRef } from './controllers/util.js';
import { Faults } from './faults.js';
import { trackRequests } from './inflight.js';
import { ScenarioMetrics } from './metrics.js';
import { Random } from './random.js';
import { resourceByName } from './resources.js';
import { loadScenario, type Scenario, type ScenarioInput } from './scenario.js';
import { fromLabelSelector, matchesLabels } from './selectors.js';
import { SimServer } from './server.js';
import { Store } from './store.js';

export { RealClock, VirtualClock } from '../core/clock.js';
export type { SimApi } from './api.js';
export type { FaultKind, FaultRule, Faults, Verb } from './faults.js';
export {
  builtinScenarios,
  FAIL_LABEL,
  FAILURE_MODES,
  type FailureMode,
  loadScenario,
  type Scenario,
  type ScenarioInput,
} from './scenario.js';
export type { KubeObject } from './store.js';

export interface SimulatedClusterOptions {
  /** Default RealClock. Pass a VirtualClock (auto-advance for `simulate`) to run in virtual time. */
  clock?: Clock;
  /** Built-in name, path to a YAML file, or a scenario object. Default `happy`. */
  scenario?: string | ScenarioInput;
  /** Seeds names, uids, jitter and fault rates. Default 1. */
  seed?: number;
  /** Namespace of the kubeconfig context. Default `default`. */
  namespace?: string;
  /** Changes a watch can resume from before 410 Expired. Default 5000. */
  historySize?: number;
  /** TCP port on 127.0.0.1; default 0 (any free port). */
  port?: number;
  /** Real milliseconds between BOOKMARK events on watches that ask for them. Default 10 000. */
  bookmarkIntervalMs?: number;
}

export interface SimulatedCluster {
  /** `http://127.0.0.1:<port>`: the Kubernetes API and the Prometheus query endpoint. */
  readonly url: string;
  /** A kubeconfig (YAML) for this cluster: context/cluster/user `kdeploy-sim`, token auth (any token works). */
  readonly kubeConfigYaml: string;
  /** A fresh client-node KubeConfig loaded from kubeConfigYaml. */
  kubeConfig(): KubeConfig;
  readonly clock: Clock;
  /** Clock time at start; `changes[].at` in the scenario and virtual durations count from here. */
  readonly startedAt: number;
  readonly scenario: Scenario;
  readonly faults: Faults;
  /** In-process API verbs (no HTTP, no faults) for seeding and inspecting objects. */
  readonly api: SimApi;
  /** Errors thrown inside the simulated controllers; a correct run leaves this empty. */
  readonly errors: unknown[];
  /** Forgets the watch history: watches from any earlier resourceVersion get 410 Expired. */
  compactHistory(): void;
  close(): Promise<void>;
}

const BOOT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function key(o: { metadata: { namespace?: string; name: string } }): string {
  return `${o.metadata.namespace}/${o.metadata.name}`;
}

export async function startSimulatedCluster(
  options: SimulatedClusterOptions = {},
): Promise<SimulatedCluster> {
  const scenario = loadScenario(options.scenario);
  const clock = options.clock ?? new RealClock();
  const random = new Random(options.seed ?? 1);
  const store = new Store({ historySize: options.historySize });
  const api = new SimApi(store, clock, random);
  const faults = new Faults(random);
  const abort = new AbortController();
  const errors: unknown[] = [];
  const hold = clock instanceof VirtualClock ? () => clock.hold() : undefined;
  const now = () => clock.now();
  const recorder = new EventRecorder(api, now);

  const queue = (handler: (key: string) => void) => {
    const q: WorkQueue = new WorkQueue(clock, handler, abort.signal, hold, (k, err) => {
      errors.push(err);
      q.addAfter(k, 1000); // rate-limited retry, as a controller's work queue does
    });
    return q;
  };
  const split = (k: string) => k.split('/') as [string, string];
  const deployments: DeploymentController = new DeploymentController(api, recorder, now, (k, ms) =>
    deploymentQueue.addAfter(k, ms),
  );
  const deploymentQueue = queue((k) => deployments.sync(...split(k)));
  const replicaSets: ReplicaSetController = new ReplicaSetController(
    api,
    recorder,
    now,
    scenario.pods.keepFailedPods,
    (k, ms) => rsQueue.addAfter(k, ms),
  );
  const rsQueue = queue((k) => replicaSets.sync(...split(k)));
  const kubelet = new Kubelet(api, clock, scenario, recorder, random, abort.signal, (err) =>
    errors.push(err),
  );
  const podQueue = queue((k) => kubelet.sync(k));

  const DEPLOYMENTS = resourceByName('deployments');
  const REPLICASETS = resourceByName('replicasets');
  /** Owners to resync for an object: its controller, or (orphans) every candidate whose selector matches. */
  const owners = (
    o: { metadata: { namespace?: string; labels?: Record<string, string> } } & Parameters<
      typeof controllerRef
    >[0],
    ownerType: typeof DEPLOYMENTS,
  ): string[] => {
    const ref = controllerRef(o);
    if (ref) return ref.kind === ownerType.kind ? [`${o.metadata.namespace}/${ref.name}`] : [];
    return store
      .list(ownerType, o.metadata.namespace)
      .filter((owner) => matchesLabels(fromLabelSelector(owner.spec?.selector), o.metadata.labels))
      .map(key);
  };
  // Informer-style wiring. Listeners only enqueue: writing inside a notification would reorder watch events.
  store.subscribe((e) => {
    switch (e.rt.resource) {
      case 'deployments':
        deploymentQueue.add(key(e.object));
        break;
      case 'replicasets':
        rsQueue.add(key(e.object));
        for (const k of owners(e.object, DEPLOYMENTS)) deploymentQueue.add(k);
        break;
      case 'pods':
        for (const k of owners(e.object, REPLICASETS)) rsQueue.add(k);
        if (e.type === 'ADDED') podQueue.add(key(e.object));
        if (e.type === 'DELETED') {
          kubelet.forget(e.object);
          podQueue.add(Kubelet.RETRY);
        }
        break;
    }
  });

  const namespaces = resourceByName('namespaces');
  for (const ns of new Set([...BOOT_NAMESPACES, ...scenario.namespaces, options.namespace ?? 'default'])) {
    api.create(namespaces, undefined, { metadata: { name: ns } });
  }
  kubelet.createNodes();
  // Like a freshly started apiserver's watch cache: history starts here (boot objects are not replayed).
  store.compact(false);

  const startedAt = clock.now();
  const metrics = new ScenarioMetrics(api, scenario, startedAt, now);
  const server = new SimServer({
    api,
    store,
    clock,
    faults,
    hold,
    touch: clock instanceof VirtualClock ? () => clock.touch() : undefined,
    podLog: (pod, container, opts) => kubelet.podLog(pod, container, opts),
    prometheus: (path, params) => metrics.handle(path, params),
    bookmarkIntervalMs: options.bookmarkIntervalMs,
  });
  const url = await server.listen(options.port ?? 0);
  const untrack =
    clock instanceof VirtualClock
      ? trackRequests(
          url,
          () => clock.hold(),
          () => clock.touch(),
        )
      : () => {};
  const kubeConfigYaml = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: kdeploy-sim',
    '  cluster:',
    `    server: ${url}`,
    // client-node refuses plain http unless TLS verification is off; loopback needs no TLS.
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: kdeploy-sim',
    '  user:',
    '    token: kdeploy-sim',
    'contexts:',
    '- name: kdeploy-sim',
    '  context:',
    '    cluster: kdeploy-sim',
    '    user: kdeploy-sim',
    `    namespace: ${options.namespace ?? 'default'}`,
    'current-context: kdeploy-sim',
    '',
  ].join('\n');
  const { KubeConfig } = await import('@kubernetes/client-node');

  return {
    url,
    kubeConfigYaml,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromString(kubeConfigYaml);
      return kc;
    },
    clock,
    startedAt,
    scenario,
    faults,
    api,
    errors,
    compactHistory: () => store.compact(),
    async close() {
      abort.abort();
      await server.close();
      untrack();
    },
  };
}
