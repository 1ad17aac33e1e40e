// `kdeploy simulate` and `kdeploy demo`: the same engine against the embedded simulated cluster. simulate runs
// in virtual time (a 10-minute release rehearses in well under a second) and reports the virtual duration;
// demo runs in real time so a newcomer can watch a release go by.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { ArgumentsCamelCase } from 'yargs';
import { formatDuration } from '../../config/duration.js';
import { DEFAULT_CONFIG_FILE, loadConfig, parseConfig } from '../../config/load.js';
import { RealClock, VirtualClock } from '../../core/clock.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { Clock } from '../../core/ports.js';
import type { StrategyKind } from '../../core/release.js';
import { release } from '../../engine/api.js';
import { strategySections } from '../../engine/strategy.js';
import { type SimulatedCluster, startSimulatedCluster } from '../../sim/index.js';
import { resourceByName } from '../../sim/resources.js';
import type { GlobalArgs } from '../args.js';
import { colorsFor, printWarnings } from '../console.js';
import { CommandExit } from '../render/exit.js';
import { createRenderer } from '../render/index.js';

/** The version the simulated app runs before the release: what a real cluster would already have. */
const STABLE_TAG = 'stable';

/**
 * Runs one release on a fresh simulated cluster: first the stable version (quietly), then `to`. `input` is
 * the config as the user wrote it (a path or an object); `namespace` is where it lands once validated.
 */
async function rehearse(
  args: GlobalArgs,
  input: string | object,
  namespace: string,
  strategy: StrategyKind,
  to: string,
  sim: SimulatedCluster,
  clock: Clock,
) {
  const namespaces = resourceByName('namespaces');
  if (!sim.api.find(namespaces, undefined, namespace))
    sim.api.create(namespaces, undefined, { metadata: { name: namespace } });
  const base = {
    config: input,
    namespace: args.namespace,
    kubeconfig: sim.kubeConfig(),
    clock,
    strategy,
  } as const;
  const seeded = await release({ ...base, strategy: 'rolling', to: STABLE_TAG });
  if (seeded.outcome !== 'completed')
    throw new Error(`the simulated cluster could not start the stable version: ${seeded.reason}`);
  const c = colorsFor(args, process.stdout);
  const renderer = createRenderer(args.output, process.stdout, c);
  const result = await release({ ...base, to, onEvent: (e) => renderer.onEvent(e) });
  renderer.done(result);
  // From the record, not the clock: auto-advance may jump to controllers' far timers once the release is over.
  const { startedAt, finishedAt } = result.release;
  return { result, durationMs: Date.parse(finishedAt ?? startedAt) - Date.parse(startedAt) };
}

export async function simulateAction(
  args: ArgumentsCamelCase<GlobalArgs & { strategy?: string; to?: string; scenario?: string }>,
): Promise<void> {
  // No kdeploy.yaml here (and none named with -f): rehearse the built-in app, so a newcomer can try every
  // scenario before writing a config.
  const builtIn = args.file === DEFAULT_CONFIG_FILE && !existsSync(DEFAULT_CONFIG_FILE);
  const loaded = builtIn
    ? parseConfig(JSON.stringify(SIMULATE_CONFIG), {
        file: '<built-in demo app>',
        sections: await strategySections(),
        to: args.to,
        namespace: args.namespace,
      })
    : await loadConfig({
        file: args.file,
        to: args.to,
        namespace: args.namespace,
        purpose: 'release',
        sections: await strategySections(),
      });
  printWarnings(args, loaded.warnings);
  const clock = new VirtualClock({ autoAdvance: true });
  const sim = await startSimulatedCluster({
    clock,
    scenario: args.scenario,
    namespace: loaded.config.namespace,
  });
  try {
    // The config as written (durations unparsed), validated above; its metrics then query the simulator.
    const input = builtIn ? structuredClone(SIMULATE_CONFIG) : parseYaml(await readFile(loaded.path, 'utf8'));
    const notices = [
      ...(builtIn
        ? [`no ${DEFAULT_CONFIG_FILE}: simulating the built-in demo app (pass -f to use yours)`]
        : []),
      ...pointPrometheusAt(input, sim.url).map(
        (m) => `metric ${m.name}: prometheus ${m.address} replaced by the simulated cluster's ${sim.url}`,
      ),
    ];
    for (const n of notices) process.stderr.write(`note: ${n}\n`);
    const { result, durationMs } = await rehearse(
      args,
      input,
      loaded.config.namespace,
      args.strategy as StrategyKind,
      args.to ?? '',
      sim,
      clock,
    );
    if (args.output === 'text')
      process.stdout.write(
        `simulated ${args.strategy} release: ${result.outcome} after ${formatDuration(durationMs)} of virtual time\n`,
      );
    if (result.exitCode !== ExitCode.Completed) throw new CommandExit(result.exitCode);
  } finally {
    clock.dispose();
    await sim.close();
  }
}

/**
 * Points every prometheus metric of a raw config at `url` (the simulator serves the scenario's metrics
 * Prometheus-style), in place; returns the metrics changed and their old addresses.
 */
function pointPrometheusAt(config: unknown, url: string): { name: string; address: string }[] {
  const metrics = (config as { analysis?: { metrics?: unknown } } | null)?.analysis?.metrics;
  if (!Array.isArray(metrics)) return [];
  return metrics.flatMap((m: { name?: string; provider?: { prometheus?: { address?: string } } }) => {
    const prom = m?.provider?.prometheus;
    if (!prom || prom.address === url) return [];
    const changed = { name: String(m.name), address: String(prom.address) };
    prom.address = url;
    return [changed];
  });
}

/** A built-in app for `kdeploy demo`, so it needs no kdeploy.yaml and no cluster. */
const DEMO_CONFIG = {
  app: 'demo',
  image: { repository: 'registry.example/demo' },
  replicas: 4,
  // A canary a newcomer can watch in about half a minute: weights, pods and steps move on screen.
  strategy: {
    rolling: { maxSurge: 1, maxUnavailable: 0 },
    canary: {
      steps: [
        { setWeight: 25 },
        { pause: { duration: '5s' } },
        { setWeight: 50 },
        { pause: { duration: '5s' } },
        { setWeight: 75 },
        { pause: { duration: '5s' } },
      ],
    },
  },
};

export async function demoAction(args: ArgumentsCamelCase<GlobalArgs>): Promise<void> {
  const clock = new RealClock();
  const sim = await startSimulatedCluster({ clock, scenario: 'happy' });
  try {
    const { result } = await rehearse(args, DEMO_CONFIG, 'default', 'canary', 'v2', sim, clock);
    if (result.exitCode !== ExitCode.Completed) throw new CommandExit(result.exitCode);
  } finally {
    await sim.close();
  }
}

/**
 * `kdeploy simulate` without a config: the demo app with analysis on the simulator's error-rate gauge (in the
 * background and as a step), so scenarios with bad metrics (canary-errors) fail on a metric verdict and
 * healthy ones pass it. The address is a placeholder: simulate points it at the simulated cluster.
 */
const SIMULATE_CONFIG = {
  ...DEMO_CONFIG,
  strategy: {
    ...DEMO_CONFIG.strategy,
    canary: {
      analysis: { metrics: ['error-rate'] },
      steps: [...DEMO_CONFIG.strategy.canary.steps, { analysis: { metrics: ['error-rate'] } }],
    },
  },
  analysis: {
    metrics: [
      {
        name: 'error-rate',
        provider: {
          prometheus: {
            address: 'http://prometheus:9090',
            query: 'kdeploy_error_rate{namespace="{{namespace}}",app="{{app}}",version="{{canaryVersion}}"}',
          },
        },
        // The canary's first pod is Ready after about 1.5 s; measuring before would find no data.
        initialDelay: '5s',
        interval: '10s',
        count: 3,
        successCondition: 'result < 0.01',
        failureLimit: 1,
      },
    ],
  },
};
