import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

// The built CLI (`npm test` builds dist/ first), run the way a pipeline runs it: a child process, no TTY.
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kdeploy-cli-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const GOOD = file(
  'good.yaml',
  'app: shop\nnamespace: store\nimage: { repository: registry.example.com/shop }\n',
);
const BAD = file(
  'bad.yaml',
  'app: shop\nimage: { repository: registry.example.com/shop }\nreplicas: 0\nservice: { type: Ingress }\n',
);
const SYNTAX = file('syntax.yaml', 'app: shop\nimage: [\n');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function kdeploy(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// Bad flags and bad configs: each exits 2 and names the flag or field on stderr.
const BAD_INPUT: [string, string[], RegExp][] = [
  ['no command', [], /needs a command/],
  ['an unknown command', ['frobnicate'], /Unknown argument: frobnicate/],
  ['an unknown flag', ['render', '--frobnicate', '-f', GOOD], /Unknown argument: frobnicate/],
  ['an extra positional', ['render', 'extra', '-f', GOOD], /Unknown argument: extra/],
  ['rolling without --to', ['rolling', '-f', GOOD], /Missing required argument: to/],
  ['canary without --to', ['canary', '-f', GOOD], /Missing required argument: to/],
  ['bluegreen without --to', ['bluegreen', '-f', GOOD], /Missing required argument: to/],
  ['plan without --to', ['plan', '-f', GOOD], /Missing required argument: to/],
  ['an empty --to', ['canary', '--to', '', '-f', GOOD], /--to: expected a tag such as v2/],
  ['a --to with a space', ['rolling', '--to', 'v2 beta', '-f', GOOD], /--to: expected a tag such as v2/],
  [
    'a --to without tag or digest',
    ['canary', '--to', 'registry.example.com/shop', '-f', GOOD],
    /--to: .*neither a tag nor a digest/,
  ],
  [
    'an invalid -n',
    ['canary', '--to', 'v2', '-n', 'Store_1', '-f', GOOD],
    /--namespace: expected a DNS label/,
  ],
  ['an invalid -n for rbac', ['rbac', '-n', 'UPPER'], /--namespace: expected a DNS label/],
  [
    'an unknown -o',
    ['render', '-o', 'yaml', '-f', GOOD],
    /Argument: output, Given: "yaml", Choices: "text", "json", "ndjson"/,
  ],
  [
    'a bad --timeout',
    ['rolling', '--to', 'v2', '--timeout', '5 minutes', '-f', GOOD],
    /--timeout: expected a duration such as 30s/,
  ],
  [
    'a bad --until',
    ['status', '--until', 'done'],
    /Argument: until, Given: "done", Choices: "completed", "paused"/,
  ],
  [
    'a bad --until on a release command',
    ['bluegreen', '--to', 'v2', '--until', 'done', '-f', GOOD],
    /Argument: until, Given: "done", Choices: "completed", "paused"/,
  ],
  [
    'an unknown strategy to simulate',
    ['simulate', 'blue', '--to', 'v2'],
    /Argument: strategy, Given: "blue"/,
  ],
  ['simulate without a strategy', ['simulate', '--to', 'v2'], /Not enough non-option arguments/],
  [
    'an unknown strategy to plan',
    ['plan', '--to', 'v2', '--strategy', 'linear', '-f', GOOD],
    /Argument: strategy, Given: "linear"/,
  ],
  ['analyze without --from', ['analyze', '--to', '0s'], /Missing required argument: from/],
  [
    'a missing config file',
    ['render', '-f', 'nope.yaml'],
    /nope\.yaml: cannot read the config file: no such file/,
  ],
  [
    'a config with bad fields (render)',
    ['render', '-f', BAD],
    /bad\.yaml:3:1: replicas: must be at least 1[\s\S]*bad\.yaml:4:\d+: service\.type: expected one of/,
  ],
  [
    'a config with bad fields (canary)',
    ['canary', '--to', 'v2', '-f', BAD],
    /2 problems:[\s\S]*replicas:[\s\S]*service\.type:/,
  ],
  [
    'a config with bad fields (rolling)',
    ['rolling', '--to', 'v2', '-f', BAD],
    /replicas: must be at least 1/,
  ],
  ['a config with bad fields (plan)', ['plan', '--to', 'v2', '-f', BAD], /replicas: must be at least 1/],
  [
    'a config with bad fields (simulate)',
    ['simulate', 'canary', '--to', 'v2', '-f', BAD],
    /replicas: must be at least 1/,
  ],
  [
    'a config with a YAML syntax error',
    ['canary', '--to', 'v2', '-f', SYNTAX],
    /syntax\.yaml:\d+:\d+: invalid YAML/,
  ],
  [
    'a missing templates folder',
    ['render', '-f', GOOD, '--templates', join(dir, 'none')],
    /templates folder .*none: no such folder/,
  ],
];

// A cluster that counts requests: bad input must not send it a single one (bad input changes nothing).
let server: Server;
const requests: string[] = [];
let kubeconfig: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
        message: 'forbidden',
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  kubeconfig = file(
    'kubeconfig',
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'c', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } },
      ],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u', namespace: 'store' } }],
      users: [{ name: 'u', user: { token: 'x' } }],
      'current-context': 'c',
    }),
  );
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('bad input exits 2, names the field and sends no request to the cluster', () => {
  it.concurrent.each(BAD_INPUT)('%s', async (_name, args, message) => {
    const r = await kdeploy([...args, '--kubeconfig', kubeconfig]);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(requests).toEqual([]);
  });

  it('-o json reports the error as JSON with every issue', async () => {
    const r = await kdeploy(['render', '-f', BAD, '-o', 'json']);
    expect(r.code).toBe(2);
    const { error } = JSON.parse(r.stderr) as {
      error: { exitCode: number; issues: { path: unknown[]; line: number }[] };
    };
    expect(error.exitCode).toBe(2);
    expect(error.issues.map((i) => [i.path, i.line])).toEqual([
      [['replicas'], 3],
      [['service', 'type'], 4],
    ]);
  });
});

describe('the counting cluster', () => {
  // The control for the zero above: the same kubeconfig does reach the server once the input is valid.
  it('is reached by a valid release, and a forbidden answer exits 5', async () => {
    const r = await kdeploy(['rolling', '--to', 'v2', '-f', GOOD, '--kubeconfig', kubeconfig]);
    expect(requests.length, r.stderr).toBeGreaterThan(0);
    // The cluster answers 403: the error handler maps the kube layer's error to exit 5 and says what to grant.
    expect(r.stderr).toMatch(/forbidden/);
    expect(r.code).toBe(5);
  });
});

describe('commands that work without a cluster', () => {
  it('--help lists every command of the contract', async () => {
    const r = await kdeploy(['--help']);
    expect(r.code).toBe(0);
    for (const command of [
      'rolling',
      'bluegreen',
      'canary',
      'status [app]',
      'promote [app]',
      'abort [app]',
      'rollback [app]',
      'resume [app]',
      'pause [app]',
      'plan',
      'render',
      'simulate <strategy>',
      'demo',
      'rbac',
      'schema',
      'analyze',
    ]) {
      expect(r.stdout).toContain(`kdeploy ${command} `);
    }
    for (const flag of [
      '--kubeconfig',
      '--context',
      '--namespace',
      '--output',
      '--no-color',
      '--timeout',
      '--file',
    ]) {
      expect(r.stdout).toContain(flag.replace('--no-color', '--color'));
    }
    expect(r.stdout).toMatch(/Exit codes: 0 completed, 1 failed and rolled back, 2 bad input/);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await kdeploy(['--version']);
    expect([r.code, r.stdout.trim()]).toEqual([0, version]);
  });

  it('render prints YAML, a JSON List or NDJSON', async () => {
    const text = await kdeploy(['render', '-f', GOOD, '--to', 'v7']);
    expect(text.code).toBe(0);
    const docs = parseAllDocuments(text.stdout) as unknown as {
      toJS(): { kind: string; metadata: { namespace: string } };
    }[];
    expect(docs.map((d) => d.toJS().kind)).toEqual(['Deployment', 'Service']);
    expect(text.stdout).toContain('image: registry.example.com/shop:v7');

    const json = await kdeploy(['render', '-f', GOOD, '-o', 'json', '-n', 'other']);
    const list = JSON.parse(json.stdout) as {
      kind: string;
      items: { kind: string; metadata: { namespace: string } }[];
    };
    expect(list.kind).toBe('List');
    expect(list.items.map((i) => [i.kind, i.metadata.namespace])).toEqual([
      ['Deployment', 'other'],
      ['Service', 'other'],
    ]);

    const ndjson = await kdeploy(['render', '-f', GOOD, '-o', 'ndjson']);
    expect(
      ndjson.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { kind: string }).kind),
    ).toEqual(['Deployment', 'Service']);
  });

  it('render shows the TargetGroupBindings of an alb router that manages target registration', async () => {
    const arn = (r: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:${r}`;
    const router = (tg: string) =>
      `{ type: alb, listenerArn: "${arn('listener/app/lb/1/2')}", stableTargetGroupArn: "${arn(`targetgroup/${tg}-a/1`)}", canaryTargetGroupArn: "${arn(`targetgroup/${tg}-b/2`)}" }`;
    const ALB = file(
      'alb.yaml',
      `app: shop\nnamespace: store\nimage: { repository: registry.example.com/shop }\nservice: { port: 8080 }\nstrategy:\n  canary: { router: ${router('c')} }\n  bluegreen: { router: ${router('bg')} }\n`,
    );
    const r = await kdeploy(['render', '-f', ALB, '-o', 'ndjson']);
    expect(r.code, r.stderr).toBe(0);
    const objects = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; spec: { serviceRef?: { name: string; port: number } } });
    expect(objects.filter((o) => o.kind === 'TargetGroupBinding').map((o) => o.spec.serviceRef)).toEqual([
      { name: 'shop-stable', port: 8080 },
      { name: 'shop-canary', port: 8080 },
      { name: 'shop-blue', port: 8080 },
      { name: 'shop-green', port: 8080 },
    ]);
    // Registration left to the user: no bindings.
    const own = file(
      'own.yaml',
      readFileSync(ALB, 'utf8').replaceAll('type: alb,', 'type: alb, targetGroupBinding: false,'),
    );
    const plain = await kdeploy(['render', '-f', own, '-o', 'ndjson']);
    expect(plain.stdout).not.toContain('TargetGroupBinding');
    expect(plain.code).toBe(0);
  });

  it('render -f examples/kdeploy.yaml works from any folder', async () => {
    const r = await kdeploy(['render', '-f', join(ROOT, 'examples', 'kdeploy.yaml'), '--to', 'v2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('name: checkout');
  });

  it('schema prints a JSON Schema with app required', async () => {
    const r = await kdeploy(['schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as { required: string[]; properties: Record<string, unknown> };
    expect(schema.required).toEqual(expect.arrayContaining(['app', 'image']));
    expect(schema.required).not.toContain('namespace'); // has a default
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['strategy', 'analysis', 'service', 'cluster']),
    );
  });

  it('rbac prints a Role and a RoleBinding for the namespace', async () => {
    const r = await kdeploy(['rbac', '-n', 'shop', '-o', 'json']);
    expect(r.code).toBe(0);
    const { items } = JSON.parse(r.stdout) as {
      items: { kind: string; metadata: { namespace: string }; subjects?: unknown[] }[];
    };
    expect(items.map((i) => [i.kind, i.metadata.namespace])).toEqual([
      ['Role', 'shop'],
      ['RoleBinding', 'shop'],
    ]);
    expect(items[1]!.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kdeploy', namespace: 'shop' }]);
    const yaml = await kdeploy(['rbac']);
    expect(parseAllDocuments(yaml.stdout)).toHaveLength(2);
  });
});

// Colour only for a person at a terminal: `script` gives the CLI a pseudo-terminal.
describe('colour', () => {
  const inTerminal = (env: Record<string, string>, ...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      const command = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        cwd: dir,
        env: { ...process.env, ...env },
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('close', () => resolve(out));
    });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC
  const ansi = /\u001b\[\d+m/;

  it('is on in a terminal and off with NO_COLOR, --no-color, or a pipe', async () => {
    const { NO_COLOR: _, ...env } = process.env;
    expect(await inTerminal(env as Record<string, string>, 'frobnicate')).toMatch(ansi);
    expect(await inTerminal({ NO_COLOR: '1' }, 'frobnicate')).not.toMatch(ansi);
    expect(await inTerminal(env as Record<string, string>, 'frobnicate', '--no-color')).not.toMatch(ansi);
    expect((await kdeploy(['frobnicate'])).stderr).not.toMatch(ansi);
  });
});
