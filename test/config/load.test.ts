import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import * as z from 'zod';
import { duration } from '../../src/config/duration.js';
import { ConfigError } from '../../src/config/errors.js';
import { type LoadOptions, loadConfig, parseConfig } from '../../src/config/load.js';
import type { ConfigSection } from '../../src/config/section.js';
import { NOT_SUPPORTED_YET } from '../../src/config/support.js';
import { sections } from '../support/sections.js';

type Options = Omit<LoadOptions, 'sections'> & Partial<Pick<LoadOptions, 'sections'>>;
const parse = (text: string, options: Options = {}) => parseConfig(text, { sections, ...options });
const load = (options: Options) => loadConfig({ sections, ...options });

const BASE = 'app: shop\nimage: { repository: registry.example.com/shop }\n';

function problems(text: string, options: Options = {}): string {
  try {
    parse(text, { file: 'kdeploy.yaml', ...options });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    return (err as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

// Each case: a malformed config, the field path the message must name, and what it must say is allowed.
const MALFORMED: [string, string, string, RegExp][] = [
  ['missing app', 'image: { repository: r.example.com/shop }', 'app', /required/],
  ['missing image', 'app: shop', 'image', /required \(a map\)/],
  ['app upper-case', 'app: Shop\nimage: { repository: r.example.com/shop }', 'app', /DNS label/],
  ['app too long', `app: ${'a'.repeat(46)}\nimage: { repository: r.example.com/shop }`, 'app', /at most 45/],
  [
    'app not a string',
    'app: [a]\nimage: { repository: r.example.com/shop }',
    'app',
    /expected a string, got a list/,
  ],
  [
    'repository with tag',
    'app: shop\nimage: { repository: r.example.com/shop:v1 }',
    'image.repository',
    /must not carry a tag/,
  ],
  [
    'repository upper-case',
    'app: shop\nimage: { repository: R.example.com/Shop }',
    'image.repository',
    /image repository/,
  ],
  [
    'unknown top-level key',
    `${BASE}replica: 3`,
    'replica',
    /did you mean "replicas"\?.*allowed keys: app, namespace/,
  ],
  [
    'unknown nested key',
    `${BASE}service: { typ: ClusterIP }`,
    'service.typ',
    /did you mean "type"\?.*allowed keys: type, port, targetPort, annotations/,
  ],
  ['replicas zero', `${BASE}replicas: 0`, 'replicas', /at least 1/],
  ['replicas fraction', `${BASE}replicas: 1.5`, 'replicas', /integer/],
  ['replicas string', `${BASE}replicas: three`, 'replicas', /expected a number, got string "three"/],
  [
    'service type enum',
    `${BASE}service: { type: Ingress }`,
    'service.type',
    /one of: "ClusterIP", "NodePort", "LoadBalancer"/,
  ],
  ['service port range', `${BASE}service: { port: 70000 }`, 'service.port', /at most 65535/],
  [
    'targetPort names no port',
    `${BASE}service: { targetPort: web }`,
    'service.targetPort',
    /port names: http/,
  ],
  [
    'duplicate port name',
    `${BASE}ports: [{ name: web, containerPort: 80 }, { name: web, containerPort: 81 }]`,
    'ports[1].name',
    /duplicate port name "web"/,
  ],
  [
    'duplicate container port',
    `${BASE}ports: [{ name: a, containerPort: 80 }, { name: b, containerPort: 80 }]`,
    'ports[1].containerPort',
    /duplicate container port 80/,
  ],
  ['no ports', `${BASE}ports: []`, 'ports', /at least 1 item/],
  [
    'protocol enum',
    `${BASE}ports: [{ containerPort: 80, protocol: HTTP }]`,
    'ports[0].protocol',
    /"TCP", "UDP", "SCTP"/,
  ],
  ['env scalar', `${BASE}env: FOO=bar`, 'env', /expected a map or a list/],
  [
    'probe port names no port',
    `${BASE}probes: { readiness: { httpGet: { path: /, port: admin } } }`,
    'probes.readiness.httpGet.port',
    /port names: http/,
  ],
  [
    'unknown probe kind',
    `${BASE}probes: { ready: {} }`,
    'probes.ready',
    /allowed keys: readiness, liveness, startup/,
  ],
  ['label value invalid', `${BASE}labels: { team: "a b" }`, 'labels.team', /label values/],
  [
    'reserved label',
    `${BASE}podLabels: { kdeploy.dev/role: x }`,
    'podLabels["kdeploy.dev/role"]',
    /set by kdeploy/,
  ],
  ['annotation key invalid', `${BASE}annotations: { "bad key": x }`, 'annotations["bad key"]', /key name/],
  [
    'maxSurge format',
    `${BASE}strategy: { rolling: { maxSurge: lots } }`,
    'strategy.rolling.maxSurge',
    /percentage such as 25%/,
  ],
  [
    'progressDeadline duration',
    `${BASE}strategy: { rolling: { progressDeadline: 10 minutes } }`,
    'strategy.rolling.progressDeadline',
    /duration such as 30s/,
  ],
  [
    'setWeight above 100',
    `${BASE}strategy: { canary: { steps: [{ setWeight: 150 }] } }`,
    'strategy.canary.steps[0].setWeight',
    /at most 100, got number 150/,
  ],
  [
    'unknown step kind',
    `${BASE}strategy: { canary: { steps: [{ wait: 5m }] } }`,
    'strategy.canary.steps[0]',
    /exactly one of the keys setWeight, pause, analysis/,
  ],
  [
    'pause duration',
    `${BASE}strategy: { canary: { steps: [{ pause: { duration: soon } }] } }`,
    'strategy.canary.steps[0].pause.duration',
    /duration such as/,
  ],
  ['empty steps', `${BASE}strategy: { canary: { steps: [] } }`, 'strategy.canary.steps', /at least 1 item/],
  [
    'unknown strategy',
    `${BASE}strategy: { recreate: {} }`,
    'strategy.recreate',
    /allowed keys: rolling, bluegreen, canary/,
  ],
  [
    'router type enum',
    `${BASE}strategy: { canary: { router: { type: nginx } } }`,
    'strategy.canary.router.type',
    /"replicas", "service", "alb", "alb-ingress", "route53"/,
  ],
  [
    'service router on canary',
    `${BASE}strategy: { canary: { router: { type: service } } }`,
    'strategy.canary.router.type',
    /a canary needs replicas/,
  ],
  [
    'replicas router on bluegreen',
    `${BASE}strategy: { bluegreen: { router: { type: replicas } } }`,
    'strategy.bluegreen.router.type',
    /blue\/green needs service/,
  ],
  [
    'analysis ref to unknown metric',
    `${BASE}strategy: { canary: { steps: [{ analysis: { metrics: [errors] } }] } }`,
    'strategy.canary.steps[0].analysis.metrics[0]',
    /no metric named "errors".*defined: none/,
  ],
  [
    'bluegreen ref to unknown metric',
    `${BASE}strategy: { bluegreen: { prePromotionAnalysis: { metrics: [x] } } }`,
    'strategy.bluegreen.prePromotionAnalysis.metrics[0]',
    /no metric named "x"/,
  ],
  [
    'metric name format',
    `${BASE}analysis: { metrics: [{ name: Error_Rate, provider: { kubernetes: { check: restarts } } }] }`,
    'analysis.metrics[0].name',
    /lower-case name/,
  ],
  [
    'metric provider missing field',
    `${BASE}analysis: { metrics: [{ name: e, provider: { prometheus: { address: "http://p:9090" } } }] }`,
    'analysis.metrics[0].provider.prometheus.query',
    /required \(a string\)/,
  ],
  [
    'metric provider unknown',
    `${BASE}analysis: { metrics: [{ name: e, provider: { datadog: {} } }] }`,
    'analysis.metrics[0].provider',
    /exactly one of the keys prometheus, cloudwatch, kubernetes, http; got datadog/,
  ],
  [
    'kubernetes check enum',
    `${BASE}analysis: { metrics: [{ name: e, provider: { kubernetes: { check: cpu } } }] }`,
    'analysis.metrics[0].provider.kubernetes.check',
    /"restarts", "notReady", "oomKilled"/,
  ],
  [
    'duplicate metric names',
    `${BASE}analysis: { metrics: [{ name: e, provider: { kubernetes: { check: restarts } } }, { name: e, provider: { kubernetes: { check: notReady } } }] }`,
    'analysis.metrics[1].name',
    /duplicate metric name "e"/,
  ],
  [
    'judge marginal above pass',
    `${BASE}analysis: { judge: { pass: 70, marginal: 80 } }`,
    'analysis.judge.marginal',
    /must not exceed judge.pass \(70\)/,
  ],
  [
    'eks region',
    `${BASE}cluster: { eks: { name: prod, region: Europe } }`,
    'cluster.eks.region',
    /AWS region such as eu-west-1/,
  ],
  ['historyLimit', `${BASE}historyLimit: 0`, 'historyLimit', /at least 1/],
];

describe('malformed kdeploy.yaml', () => {
  it.each(MALFORMED)('%s', (_name, text, field, allowed) => {
    const message = problems(text);
    const line = message.split('\n').find((l) => l.includes(`kdeploy.yaml`) && l.includes(` ${field}: `));
    expect(line, message).toBeDefined();
    expect(line).toMatch(allowed);
  });

  it('reports every problem, in file order, with line and column', () => {
    const message = problems(
      `${BASE}replicas: 0\nservice:\n  type: Ingress\nstrategy:\n  canary:\n    steps:\n      - setWeight: 101\n`,
    );
    expect(message).toMatch(/^3 problems:/);
    const lines = message.split('\n').slice(1);
    expect(lines[0]).toContain('kdeploy.yaml:3:1: replicas:');
    expect(lines[1]).toContain('kdeploy.yaml:5:3: service.type:');
    expect(lines[2]).toContain('kdeploy.yaml:9:9: strategy.canary.steps[0].setWeight:');
  });

  it('names YAML syntax errors with their position', () => {
    expect(problems('app: shop\nimage: [unclosed\n')).toMatch(/^kdeploy\.yaml:\d+:\d+: invalid YAML/);
    expect(problems('app: a\napp: b\nimage: { repository: r.example.com/x }\n')).toMatch(
      /kdeploy\.yaml:2:1: invalid YAML: Map keys must be unique/,
    );
  });

  it('rejects an empty file and a file that is not a map', () => {
    expect(problems('')).toMatch(/the file is empty/);
    expect(problems('- a\n- b\n')).toMatch(/expected a map, got a list/);
  });

  it('names a file that cannot be read', async () => {
    await expect(load({ file: 'missing.yaml', cwd: tmpdir() })).rejects.toThrow(
      /missing\.yaml: cannot read the config file: no such file/,
    );
  });
});

describe('--to and -n', () => {
  it.each([
    ['v2', 'registry.example.com/shop:v2', 'v2'],
    ['1.4.0-rc.1', 'registry.example.com/shop:1.4.0-rc.1', '1.4.0-rc.1'],
    ['registry.example.com/shop:v3', 'registry.example.com/shop:v3', 'v3'],
    ['localhost:5000/shop:v3', 'localhost:5000/shop:v3', 'v3'],
    [
      `registry.example.com/shop@sha256:${'ab'.repeat(32)}`,
      `registry.example.com/shop@sha256:${'ab'.repeat(32)}`,
      'sha256-abababababab',
    ],
    [
      `registry.example.com/shop:v4@sha256:${'cd'.repeat(32)}`,
      `registry.example.com/shop:v4@sha256:${'cd'.repeat(32)}`,
      'v4',
    ],
  ])('--to %s', (to, image, version) => {
    expect(parse(BASE, { to }).image).toMatchObject({ image, version });
  });

  it.each([
    ['', /expected a tag such as v2/],
    ['v2 beta', /expected a tag such as v2/],
    ['-v2', /expected a tag such as v2/],
    ['registry.example.com/shop', /neither a tag nor a digest/],
    ['Registry/Shop:v1', /expected a tag/],
    ['shop@sha256:123', /expected a tag/],
    ['x'.repeat(129), /neither a tag nor a digest/],
    [`_${'x'.repeat(10)}`, /can't be a Kubernetes label value/],
  ])('rejects --to %j', (to, message) => {
    const text = problems(BASE, { to });
    expect(text).toMatch(/^--to: /);
    expect(text).toMatch(message);
  });

  it('warns when --to names another repository', () => {
    const { warnings, image } = parse(BASE, { to: 'other.example.com/shop:v2' });
    expect(image?.image).toBe('other.example.com/shop:v2');
    expect(warnings).toEqual([
      '--to: the image other.example.com/shop is not the configured repository registry.example.com/shop',
    ]);
  });

  it('-n overrides the namespace and is validated', () => {
    expect(parse(`${BASE}namespace: shop`, { namespace: 'staging' }).config.namespace).toBe('staging');
    expect(problems(BASE, { namespace: 'Staging_1' })).toMatch(/^--namespace: expected a DNS label/);
  });

  it('reports config and flag problems together', () => {
    const message = problems(`${BASE}strategy: { canary: { router: { type: service } } }`, {
      to: 'a b',
      namespace: 'X',
    });
    expect(message).toMatch(/^3 problems:/);
    expect(message).toContain('strategy.canary.router.type');
    expect(message).toContain('--namespace:');
    expect(message).toContain('--to:');
  });
});

describe('a valid config', () => {
  it('gets the documented defaults', () => {
    const { config, image } = parse(BASE);
    expect(image).toBeUndefined();
    expect(config).toMatchObject({
      namespace: 'default',
      replicas: 2,
      ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      service: { type: 'ClusterIP', port: 80 },
      strategy: {
        rolling: { maxSurge: '25%', maxUnavailable: 0, progressDeadline: 600_000 },
        bluegreen: { autoPromote: true, scaleDownDelay: 30_000, previewService: true },
        canary: {
          steps: [
            { setWeight: 20 },
            { pause: { duration: 60_000 } },
            { setWeight: 50 },
            { pause: { duration: 60_000 } },
          ],
        },
      },
    });
  });

  it('warns, without failing, when a canary step lowers the weight', () => {
    const { warnings } = parse(
      `${BASE}strategy: { canary: { steps: [{ setWeight: 50 }, { setWeight: 20 }] } }`,
    );
    expect(warnings).toEqual([
      expect.stringMatching(
        /kdeploy\.yaml:3:\d+: strategy\.canary\.steps\[1\]\.setWeight: lowers the canary weight from 50 to 20/,
      ),
    ]);
  });

  it('resolves templates and kubeconfig paths against the config file folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kdeploy-config-'));
    writeFileSync(
      join(dir, 'kdeploy.yaml'),
      `${BASE}templates: tpl\ncluster: { kubeconfig: ./kube/config }\n`,
    );
    const { config, path } = await load({ cwd: dir });
    expect(path).toBe(join(dir, 'kdeploy.yaml'));
    expect(config.templates).toBe(join(dir, 'tpl'));
    expect(config.cluster.kubeconfig).toBe(join(dir, 'kube', 'config'));
  });
});

describe('feature gates (not supported yet)', () => {
  const base = { app: 'shop', image: { repository: 'registry.example.com/shop' } };
  const merge = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> => {
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) {
      out[k] =
        v && typeof v === 'object' && !Array.isArray(v) && typeof a[k] === 'object'
          ? merge(a[k] as Record<string, unknown>, v as Record<string, unknown>)
          : v;
    }
    return out;
  };

  it('accepts features whose gate was lifted: the baseline Deployment, for a release and for render', () => {
    const text = stringify(merge(base, { strategy: { canary: { baseline: true } } }));
    for (const purpose of ['release', 'render'] as const)
      expect(parse(text, { purpose }).config.strategy.canary.baseline).toBe(true);
  });

  it.each(NOT_SUPPORTED_YET.map((g) => [g.feature, g] as const))(
    '%s is rejected for a release',
    (_feature, gate) => {
      const text = stringify(merge(base, gate.example));
      expect(problems(text, { purpose: 'release' })).toContain(`${gate.feature} is not supported yet`);
      // render only refuses what would change the manifests
      if (gate.affectsManifests)
        expect(problems(text, { purpose: 'render' })).toContain('is not supported yet');
      else expect(() => parse(text, { purpose: 'render' })).not.toThrow();
    },
  );
});

describe("a plugin's config section", () => {
  // What a plugin strategy registers: its own schema and cross-field check under `strategy.recreate`.
  const recreate: ConfigSection = {
    key: 'recreate',
    schema: z
      .strictObject({ gracePeriod: duration.prefault('5s'), drain: z.boolean().default(true) })
      .prefault({}),
    check: (config) => {
      const { gracePeriod } = (config.strategy as Record<string, unknown>).recreate as {
        gracePeriod: number;
      };
      return {
        errors:
          gracePeriod > 60_000
            ? [{ path: ['strategy', 'recreate', 'gracePeriod'], message: 'at most 1m' }]
            : [],
        warnings: [],
      };
    },
  };
  const withPlugin = (text: string) => problems(text, { sections: [...sections, recreate] });

  it('is validated by its own schema, with defaults, next to the built-in sections', () => {
    const { config } = parseConfig(`${BASE}strategy: { recreate: { drain: false } }`, {
      sections: [...sections, recreate],
    });
    expect((config.strategy as Record<string, unknown>).recreate).toEqual({
      gracePeriod: 5000,
      drain: false,
    });
    expect(config.strategy.canary.baseline).toBe(false);
  });

  it('reports its problems with file:line:col, "did you mean" and its own check', () => {
    expect(withPlugin(`${BASE}strategy:\n  recreate: { gracePeriod: soon }\n`)).toMatch(
      /kdeploy\.yaml:4:\d+: strategy\.recreate\.gracePeriod: expected a duration/,
    );
    expect(withPlugin(`${BASE}strategy:\n  recreate: { drainn: true }\n`)).toMatch(
      /kdeploy\.yaml:4:\d+: strategy\.recreate\.drainn: unknown key; did you mean "drain"\? allowed keys: gracePeriod, drain/,
    );
    expect(withPlugin(`${BASE}strategy:\n  recreat: {}\n`)).toMatch(
      /strategy\.recreat: unknown key; did you mean "recreate"\? allowed keys: rolling, bluegreen, canary, recreate/,
    );
    expect(withPlugin(`${BASE}strategy:\n  recreate: { gracePeriod: 2m }\n`)).toMatch(
      /kdeploy\.yaml:4:\d+: strategy\.recreate\.gracePeriod: at most 1m/,
    );
  });

  it('is an unknown key when its strategy is not registered', () => {
    expect(problems(`${BASE}strategy: { recreate: {} }`)).toMatch(
      /allowed keys: rolling, bluegreen, canary$/m,
    );
  });
});
