import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import type { KdeployConfig } from '../../src/config/schema.js';
import { unescapedOutputs } from '../../src/manifests/escape.js';
import { loadTemplate, type Manifest, renderManifests, renderYaml } from '../../src/manifests/render.js';
import { yamlSafeJson } from '../../src/manifests/yaml-safe.js';
import { sections } from '../support/sections.js';

const BASE = 'app: shop\nnamespace: store\nimage: { repository: registry.example.com/shop }\n';
const IMAGE = { version: 'v2', image: 'registry.example.com/shop:v2' };

const HOSTILE = [
  'line1\nline2: injected',
  'a: b',
  'x\n---\napiVersion: v1\nkind: Secret',
  '{{app}} {{{app}}}',
  `quotes " and ' and \\`,
  '# not a comment',
  '&anchor value',
  '*alias',
  '!!binary aGVsbG8=',
  '- list item',
  '[1, 2]',
  '{a: 1}',
  'yes',
  'on',
  'n',
  '1:20',
  '017',
  '2001-12-14',
  '0x1F',
  '~',
  '',
  '   leading and trailing   ',
  'tab\there\r\ncarriage',
  'nul\u0000del\u007fnel\u0085ls\u2028ps\u2029bom\ufeffnonchar\uffff',
  '% directive',
  '@reserved `reserved`',
  '| block',
  '> folded',
  '? complex key',
  'emoji 🚀 and 中文',
];

function config(extra = ''): KdeployConfig {
  return parseConfig(BASE + extra, { purpose: 'render', sections }).config;
}

describe('yamlSafeJson', () => {
  it.each(HOSTILE.map((s) => [JSON.stringify(s), s]))('keeps %s a single scalar', (_label, value) => {
    const docs = parseAllDocuments(`key: ${yamlSafeJson(value)}\nnext: 1\n`);
    expect(Array.isArray(docs) && docs.length).toBe(1);
    expect((docs as unknown as { toJS(): unknown }[])[0]!.toJS()).toEqual({ key: value, next: 1 });
  });

  it('keeps maps and lists inline with exact contents', () => {
    const value = { 'a: b': ['x\n---\ny', { '#k': '&v' }], n: 1, t: true, z: null };
    expect(parse(`spec: ${yamlSafeJson(value)}\n`)).toEqual({ spec: value });
  });
});

describe('renderManifests', () => {
  it('renders the Deployment and Service with the labels strategies rely on', () => {
    const [deployment, service, ...rest] = renderManifests(config(), IMAGE);
    expect(rest).toEqual([]);
    expect(deployment).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'shop',
        namespace: 'store',
        labels: {
          'app.kubernetes.io/name': 'shop',
          'app.kubernetes.io/managed-by': 'kdeploy',
          'kdeploy.dev/app': 'shop',
          'kdeploy.dev/version': 'v2',
        },
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: { 'kdeploy.dev/app': 'shop' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
        progressDeadlineSeconds: 600,
        template: {
          metadata: {
            labels: {
              'kdeploy.dev/app': 'shop',
              'kdeploy.dev/version': 'v2',
              'app.kubernetes.io/name': 'shop',
            },
          },
          spec: {
            containers: [
              {
                name: 'shop',
                image: 'registry.example.com/shop:v2',
                ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
              },
            ],
          },
        },
      },
    });
    expect(service).toMatchObject({
      kind: 'Service',
      metadata: { name: 'shop', namespace: 'store' },
      spec: {
        type: 'ClusterIP',
        selector: { 'kdeploy.dev/app': 'shop' },
        ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
      },
    });
    // A Service outlives releases: no version on it.
    expect(service!.metadata.labels).not.toHaveProperty('kdeploy.dev/version');
  });

  it('renders a variant: suffix, role or color in selector and pod labels, replicas', () => {
    const [canary] = renderManifests(config('replicas: 5'), {
      ...IMAGE,
      variant: { nameSuffix: '-canary', role: 'canary', replicas: 1 },
    });
    expect(canary!.metadata.name).toBe('shop-canary');
    const spec = canary!.spec as {
      replicas: number;
      selector: { matchLabels: object };
      template: { metadata: { labels: object } };
    };
    expect(spec.replicas).toBe(1);
    expect(spec.selector.matchLabels).toEqual({ 'kdeploy.dev/app': 'shop', 'kdeploy.dev/role': 'canary' });
    expect(spec.template.metadata.labels).toMatchObject({
      'kdeploy.dev/role': 'canary',
      'kdeploy.dev/version': 'v2',
    });

    const [green, active, preview] = renderManifests(config(), {
      ...IMAGE,
      variant: { nameSuffix: '-green', color: 'green' },
      objects: ['deployment', 'service', 'preview-service'],
      serviceSelector: { 'kdeploy.dev/color': 'blue' },
      previewSelector: { 'kdeploy.dev/color': 'green' },
    });
    expect(green!.metadata.name).toBe('shop-green');
    expect((green!.spec as { selector: { matchLabels: object } }).selector.matchLabels).toEqual({
      'kdeploy.dev/app': 'shop',
      'kdeploy.dev/color': 'green',
    });
    expect(active).toMatchObject({
      metadata: { name: 'shop' },
      spec: { selector: { 'kdeploy.dev/color': 'blue' } },
    });
    expect(preview).toMatchObject({
      metadata: { name: 'shop-preview' },
      spec: { type: 'ClusterIP', selector: { 'kdeploy.dev/color': 'green' } },
    });
  });

  it('renders env, resources, probes, scheduling and pull secrets from the config', () => {
    const c = config(`env: { A: "1" }
resources: { requests: { cpu: 100m, memory: 64Mi } }
probes: { readiness: { httpGet: { path: /ready, port: http } } }
nodeSelector: { disk: ssd }
tolerations: [{ key: k, operator: Exists }]
affinity: { nodeAffinity: {} }
serviceAccountName: shop-sa
`);
    c.image = { ...c.image, pullSecrets: ['regcred'], pullPolicy: 'Always' };
    const [deployment] = renderManifests(c, IMAGE);
    const pod = (deployment!.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    expect(pod).toMatchObject({
      serviceAccountName: 'shop-sa',
      imagePullSecrets: [{ name: 'regcred' }],
      nodeSelector: { disk: 'ssd' },
      tolerations: [{ key: 'k', operator: 'Exists' }],
      affinity: { nodeAffinity: {} },
      containers: [
        {
          imagePullPolicy: 'Always',
          env: [{ name: 'A', value: '1' }],
          resources: { requests: { cpu: '100m', memory: '64Mi' } },
          readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
        },
      ],
    });
  });

  it.each(HOSTILE.map((s) => [JSON.stringify(s), s]))(
    'a hostile value %s lands verbatim and adds no structure',
    (_label, value) => {
      const c = config();
      // Bypass validation to put the value where only safe names normally go, as well as in free-text fields.
      c.app = value;
      c.namespace = value;
      c.annotations = { note: value, [value]: 'k' };
      c.env = { [value || 'EMPTY']: value };
      c.service.annotations = { note: value };
      c.nodeSelector = { zone: value };
      const objects = renderManifests(c, { version: value, image: value });
      const yaml = renderYaml(c, { version: value, image: value });
      expect(parseAllDocuments(yaml)).toHaveLength(2);
      expect(objects).toHaveLength(2);
      const [deployment, service] = objects as [Manifest, Manifest];
      expect(Object.keys(deployment)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
      expect(Object.keys(deployment.metadata)).toEqual(['name', 'namespace', 'labels', 'annotations']);
      expect(deployment.metadata).toMatchObject({
        name: value,
        namespace: value,
        annotations: { note: value, [value]: 'k' },
      });
      const pod = (
        deployment.spec as {
          template: { spec: { nodeSelector: object; containers: { image: string; env: object }[] } };
        }
      ).template.spec;
      expect(pod.nodeSelector).toEqual({ zone: value });
      expect(pod.containers[0]!.image).toBe(value);
      expect(pod.containers[0]!.env).toEqual([{ name: value || 'EMPTY', value }]);
      expect(Object.keys(service)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
      expect(service.metadata.annotations).toEqual({ note: value });
      expect(service.metadata.name).toBe(value);
    },
  );
});

describe('user templates', () => {
  const folder = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'kdeploy-tpl-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };

  it('override a built-in template by file name; the others stay built-in', () => {
    const builtin = readFileSync(new URL('../../templates/deployment.yaml.hbs', import.meta.url), 'utf8');
    const custom = builtin.replace(
      '  annotations: {{json annotations}}\n',
      '  annotations: { team: {{q app}} }\n',
    );
    const dir = folder({ 'deployment.yaml.hbs': custom });
    const [deployment, service] = renderManifests(config(`templates: ${dir}`), IMAGE);
    expect(deployment!.metadata.annotations).toEqual({ team: 'shop' });
    expect(service!.kind).toBe('Service');
    // --templates wins over the config's folder.
    const [plain] = renderManifests(config(`templates: ${dir}`), { ...IMAGE, templatesDir: folder({}) });
    expect(plain!.metadata.annotations).toEqual({});
  });

  it.each([
    ['a bare mustache', 'name: {{app}}', /line 1: \{\{app\}\} outputs an unescaped value; use \{\{q app\}\}/],
    ['a triple-stash', 'name: {{{app}}}', /line 1: triple-stash/],
    ['an ampersand mustache', 'name: {{& app}}', /line 1: triple-stash/],
    ['q with two values', 'name: {{q app namespace}}', /outputs an unescaped value/],
    ['a partial', '{{> other}}', /partials are not supported/],
    ['a bare value inside a block', '{{#if app}}\nname: {{namespace}}\n{{/if}}', /line 2: \{\{namespace\}\}/],
  ])('reject %s', (_what, source, message) => {
    expect(unescapedOutputs(source).join('\n')).toMatch(message);
    const dir = folder({ 'service.yaml.hbs': source });
    expect(() => renderManifests(config(`templates: ${dir}`), IMAGE)).toThrow(
      /service\.yaml\.hbs: every value must be escaped/,
    );
  });

  it('loadTemplate gives other renderers (e.g. the ALB router) the same override and checks', () => {
    const dir = folder({ 'service.yaml.hbs': 'name: {{q app}}\n' });
    expect(loadTemplate('service', dir)({ app: 'a: b' })).toBe('name: "a: b"\n');
    expect(() => loadTemplate('service', folder({ 'service.yaml.hbs': 'name: {{app}}' }))).toThrow(
      /every value must be escaped/,
    );
    expect(() => loadTemplate('ingress')).toThrow(/no built-in template named ingress\.yaml\.hbs/);
  });

  it('reject a file that overrides nothing, a missing folder and an object without a name', () => {
    expect(() =>
      renderManifests(config(), { ...IMAGE, templatesDir: folder({ 'deploymnet.yaml.hbs': '' }) }),
    ).toThrow(/deploymnet\.yaml\.hbs: not a template kdeploy renders; overridable: deployment\.yaml\.hbs/);
    expect(() => renderManifests(config(), { ...IMAGE, templatesDir: '/nonexistent/kdeploy' })).toThrow(
      /no such folder/,
    );
    const dir = folder({ 'service.yaml.hbs': 'apiVersion: v1\nkind: Service\n' });
    expect(() => renderManifests(config(), { ...IMAGE, templatesDir: dir })).toThrow(/has no metadata\.name/);
  });
});

// kubectl's client-side dry run needs API discovery; this serves just enough of it (core/v1, apps/v1) for kubectl
// to map kinds, and answers 404 for the objects so kubectl reports them as to be created.
describe('kubectl apply --dry-run=client accepts the rendered YAML', () => {
  let server: Server;
  let kubeconfig: string;
  const resource = (kind: string, name: string) => ({
    name,
    singularName: '',
    namespaced: true,
    kind,
    verbs: ['create', 'get', 'list', 'patch', 'update', 'delete'],
  });
  const discovery: Record<string, unknown> = {
    '/api': {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
    },
    '/api/v1': { kind: 'APIResourceList', groupVersion: 'v1', resources: [resource('Service', 'services')] },
    '/apis': {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [
        {
          name: 'apps',
          versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
          preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
        },
      ],
    },
    '/apis/apps/v1': {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'apps/v1',
      resources: [resource('Deployment', 'deployments')],
    },
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = discovery[(req.url ?? '').split('?')[0]!];
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          body ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 },
        ),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'kdeploy-kubectl-'));
    kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'fake', cluster: { server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` } },
        ],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
        users: [{ name: 'fake', user: {} }],
        'current-context': 'fake',
      }),
    );
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // Async: the fake API server runs in this process and must keep answering while kubectl waits.
  const kubectlApply = (yaml: string) =>
    new Promise<{ status: number | null; stdout: string; stderr: string; error?: Error }>((resolve) => {
      const args = ['--kubeconfig', kubeconfig, '--cache-dir', join(kubeconfig, '..', 'cache')];
      const child = spawn('kubectl', [
        ...args,
        'apply',
        '--dry-run=client',
        '--validate=false',
        '-o',
        'name',
        '-f',
        '-',
      ]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', (error) => resolve({ status: null, stdout, stderr, error }));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
      child.stdin.end(yaml);
    });

  it('for examples/canary.yaml', async () => {
    const text = readFileSync(new URL('../../examples/canary.yaml', import.meta.url), 'utf8');
    const { config: c } = parseConfig(text, { purpose: 'render', sections });
    const r = await kubectlApply(renderYaml(c, IMAGE));
    expect(r.error, 'kubectl must be installed (apt-get install kubectl)').toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['deployment.apps/checkout', 'service/checkout']);
    expect(r.status).toBe(0);
  });

  it('for hostile values', async () => {
    const c = config();
    c.annotations = Object.fromEntries(HOSTILE.map((v, i) => [`k${i}`, v]));
    c.env = Object.fromEntries(HOSTILE.map((v, i) => [`E${i}`, v]));
    const r = await kubectlApply(renderYaml(c, IMAGE));
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['deployment.apps/shop', 'service/shop']);
    expect(r.status).toBe(0);
  });
});
