// Scenario files: what the simulated world looks like — nodes and their capacity, how fast pods start and
// become Ready, which images or labels fail and how, what pods log, and the metrics each version serves.
// Built-in scenarios live in src/sim/scenarios/*.yaml; `--scenario` also takes a path to a user's file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import * as z from 'zod';
import { duration } from '../config/duration.js';
import { ConfigError, type ConfigIssue } from '../config/errors.js';

/** How a pod fails. `never-ready`, `crash` and `fail` are also the KWOK test bed's modes (same label values). */
export const FAILURE_MODES = ['crash', 'never-ready', 'fail', 'oom', 'pullerr', 'unsched'] as const;
export type FailureMode = (typeof FAILURE_MODES)[number];

/** Pod label that picks a failure mode, shared with the KWOK stages in test/testbed/fixtures/kwok-stages.yaml. */
export const FAIL_LABEL = 'kdeploy.test/fail';

/** Image tag prefixes that pick a failure mode (`crash` and `unready` as in the KWOK stages). */
export const TAG_PREFIXES: [string, FailureMode][] = [
  ['crash', 'crash'],
  ['unready', 'never-ready'],
  ['oom', 'oom'],
  ['pullerr', 'pullerr'],
  ['unsched', 'unsched'],
];

const quantity = z.union([z.string(), z.number()]).transform(String);

const metricValues = z.strictObject({
  /** Fraction of requests failing, 0..1. */
  errorRate: z.number().min(0).max(1).optional(),
  /** 99th percentile latency in seconds. */
  latencyP99: z.number().min(0).optional(),
});

const scenarioSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  /** Namespaces that exist at start (`default` and `kube-system` always do). */
  namespaces: z.array(z.string()).default([]),
  nodes: z
    .strictObject({
      count: z.number().int().min(1).max(1000).default(3),
      cpu: quantity.default('4'),
      memory: quantity.default('16Gi'),
      pods: z.number().int().min(1).default(110),
    })
    .prefault({}),
  pods: z
    .strictObject({
      /** From scheduling to the container running (image pull and start). */
      startDelay: duration.prefault('500ms'),
      /** From running to Ready (the readiness probe passing). */
      readyDelay: duration.prefault('1s'),
      /** Random extra delay, up to this much, added per pod to both (seeded). */
      jitter: duration.prefault('0ms'),
      /** Crash-looping containers: how long each run lasts, and the kubelet's restart back-off. */
      crashLoop: z
        .strictObject({
          runFor: duration.prefault('1s'),
          backoff: duration.prefault('10s'),
          maxBackoff: duration.prefault('5m'),
        })
        .prefault({}),
      /** Period of `Readiness probe failed` events for never-ready pods. */
      probePeriod: duration.prefault('10s'),
      /** Failed pods kept per ReplicaSet before the oldest are garbage-collected (a small PodGC threshold). */
      keepFailedPods: z.number().int().min(0).default(20),
    })
    .prefault({}),
  /** Rules picking failure modes, first match wins; the built-in label and tag prefixes apply after these. */
  failures: z
    .array(
      z
        .strictObject({
          /** Glob on the image reference (`*` any run of characters), e.g. `*:v2` or `registry/app:bad-*`. */
          image: z.string().optional(),
          /** Pod labels that must all match. */
          labels: z.record(z.string(), z.string()).optional(),
          /** `none` marks matching pods healthy, overriding the label and tag-prefix rules. */
          mode: z.enum([...FAILURE_MODES, 'none']),
        })
        .refine((r) => r.image !== undefined || r.labels !== undefined, {
          message: 'a failure rule needs `image` or `labels`',
        }),
    )
    .default([]),
  /** Log lines per outcome; `{pod}`, `{image}` and `{version}` are replaced. */
  logs: z
    .strictObject({
      default: z.array(z.string()).optional(),
      crash: z.array(z.string()).optional(),
      oom: z.array(z.string()).optional(),
      'never-ready': z.array(z.string()).optional(),
      fail: z.array(z.string()).optional(),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /** Requests per second per app, shared among versions by their number of Ready pods. */
      requestRate: z.number().min(0).default(100),
      default: metricValues.prefault({}),
      /** Per version (the image tag; `*` globs allowed), first match wins. */
      versions: z.record(z.string(), metricValues).default({}),
      /**
       * Per track (`stable`, `canary`, `baseline`: the pod's kdeploy.dev/track label), below a version's
       * setting: e.g. long-running stable pods answering faster than freshly started ones.
       */
      tracks: z.record(z.string(), metricValues).default({}),
      /** Changes at a virtual time after the cluster started. */
      changes: z.array(metricValues.extend({ at: duration, version: z.string() })).default([]),
      /** Free-form series for queries the built-in metrics don't cover. */
      series: z
        .array(
          z.strictObject({
            name: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'expected a Prometheus metric name'),
            labels: z.record(z.string(), z.string()).default({}),
            value: z.number(),
            changes: z.array(z.strictObject({ at: duration, value: z.number() })).default([]),
          }),
        )
        .default([]),
    })
    .prefault({}),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

/** Validates a scenario object; bad input is a ConfigError (exit 2) naming the field. */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map(
      (i): ConfigIssue => ({
        path: i.path.filter((p) => typeof p !== 'symbol') as (string | number)[],
        message: i.message,
        source,
      }),
    ),
  );
}

/** Parses scenario YAML, reporting YAML errors and schema errors with the file name (and line for YAML). */
export function parseScenarioYaml(text: string, source: string): Scenario {
  const doc = parseDocument(text);
  if (doc.errors.length) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        path: [],
        message: e.message.split('\n')[0]!,
        source,
        line: e.linePos?.[0]?.line,
        col: e.linePos?.[0]?.col,
      })),
    );
  }
  return parseScenario(doc.toJS(), source);
}

/** The folder of built-in scenarios: next to this file in the source tree, or in the package root when bundled. */
function scenarioDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    for (const candidate of [join(dir, 'scenarios'), join(dir, 'src', 'sim', 'scenarios')]) {
      if (existsSync(join(candidate, 'happy.yaml'))) return candidate;
    }
    dir = dirname(dir);
  }
  throw new Error('built-in scenarios not found (src/sim/scenarios missing from the installation)');
}

/** Names of the built-in scenarios. */
export function builtinScenarios(): string[] {
  return readdirSync(scenarioDir())
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/**
 * Loads a scenario by built-in name (`canary-crash`) or file path (anything with a `/` or ending in .yaml);
 * an object is validated as is. Undefined gives the `happy` scenario.
 */
export function loadScenario(ref: string | ScenarioInput | undefined): Scenario {
  if (ref === undefined) ref = 'happy';
  if (typeof ref !== 'string') return parseScenario(ref);
  const isPath = ref.includes('/') || ref.endsWith('.yaml') || ref.endsWith('.yml');
  const path = isPath ? ref : join(scenarioDir(), `${ref}.yaml`);
  if (!existsSync(path)) {
    const message = isPath
      ? 'file not found'
      : `unknown scenario; built-in scenarios: ${builtinScenarios().join(', ')}`;
    throw new ConfigError([{ path: [], message, source: isPath ? ref : '--scenario' }]);
  }
  return parseScenarioYaml(readFileSync(path, 'utf8'), path);
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

export function globMatch(glob: string, text: string): boolean {
  return globToRegExp(glob).test(text);
}

/** The tag of an image reference (`repo/app:v2@sha256:…` → `v2`), or '' when untagged. */
export function imageTag(image: string): string {
  const last = image.split('@')[0]!.split('/').pop()!;
  const i = last.indexOf(':');
  return i < 0 ? '' : last.slice(i + 1);
}

// biome-ignore lint/suspicious/noExplicitAny: pod objects are open-ended JSON.
type Pod = any;

/** The failure mode of a pod: scenario rules first, then the `kdeploy.test/fail` label, then tag prefixes. */
export function failureModeOf(scenario: Scenario, pod: Pod): FailureMode | undefined {
  const images: string[] = (pod.spec?.containers ?? []).map((c: Pod) => String(c.image ?? ''));
  const labels: Record<string, string> = pod.metadata?.labels ?? {};
  for (const rule of scenario.failures) {
    const imageOk = rule.image === undefined || images.some((img) => globMatch(rule.image!, img));
    const labelsOk = Object.entries(rule.labels ?? {}).every(([k, v]) => labels[k] === v);
    if (imageOk && labelsOk) return rule.mode === 'none' ? undefined : rule.mode;
  }
  const label = labels[FAIL_LABEL];
  if (label && (FAILURE_MODES as readonly string[]).includes(label)) return label as FailureMode;
  for (const img of images) {
    const tag = imageTag(img);
    for (const [prefix, mode] of TAG_PREFIXES) if (tag.startsWith(prefix)) return mode;
  }
  return undefined;
}
