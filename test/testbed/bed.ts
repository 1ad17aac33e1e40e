// Starts a real control plane on loopback: etcd -> kube-apiserver -> kube-controller-manager -> kube-scheduler
// -> kwok with fake nodes. Every process is started in its own process group and stopped by its PID.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binDir, KWOK_STAGES } from './paths.js';

export const LIMITED_USER = 'kdeploy-limited';
const ADMIN_USER = 'kdeploy-admin';

/** Kept separate from the process handles so the shell's down.sh can stop a bed started by another process. */
export interface TestbedState {
  runDir: string;
  server: string;
  kubeconfig: string;
  limitedKubeconfig: string;
  nodes: string[];
  /** Start order; stop in reverse. */
  processes: { name: string; pid: number; log: string }[];
}

export interface Testbed extends TestbedState {
  /** Stops every process; removes the run dir unless a process died on its own or `keep` is set. */
  stop(opts?: { keep?: boolean }): Promise<void>;
}

export interface StartOptions {
  /** Defaults to a fresh directory under the OS temp dir. */
  runDir?: string;
  nodeCount?: number;
  /** Leave the processes running after this Node process exits (shell `up`). */
  detach?: boolean;
  log?: (msg: string) => void;
}

const STATE_FILE = 'state.json';
const CONTROLLERS = [
  'deployment-controller',
  'replicaset-controller',
  'garbage-collector-controller',
  'namespace-controller',
  'endpointslice-controller',
  // Nodes are created with the node.kubernetes.io/not-ready taint (TaintNodesByCondition admission); this
  // controller lifts it once KWOK reports them Ready, as in a real cluster.
  'node-lifecycle-controller',
];

interface Proc {
  name: string;
  pid: number;
  log: string;
  exited?: string;
}

export async function startTestbed(opts: StartOptions = {}): Promise<Testbed> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`[testbed] ${m}\n`));
  const bin = binDir();
  const missing = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'].filter(
    (b) => !existsSync(join(bin, b)),
  );
  if (missing.length > 0) {
    throw new Error(
      `test bed binaries missing in ${bin}: ${missing.join(', ')}. Run test/testbed/build.sh first.`,
    );
  }

  const runDir = opts.runDir ?? mkdtempSync(join(tmpdir(), 'kdeploy-testbed-'));
  mkdirSync(runDir, { recursive: true });
  const procs: Proc[] = [];
  const started = Date.now();
  const guard = opts.detach ? undefined : installExitGuard(procs, runDir);

  const spawnProc = (name: string, args: string[]): Proc => {
    const logPath = join(runDir, `${name}.log`);
    const fd = openSync(logPath, 'a');
    // detached: own process group, so a Ctrl-C in the terminal doesn't race our orderly shutdown and
    // `up` can exit leaving the bed running.
    const child = spawn(join(bin, name), args, { detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`failed to spawn ${name}`);
    const proc: Proc = { name, pid: child.pid, log: logPath };
    child.on('exit', (code, signal) => {
      proc.exited = signal ? `signal ${signal}` : `exit code ${code}`;
    });
    child.on('error', (err) => {
      proc.exited = `spawn error: ${err.message}`;
    });
    child.unref();
    procs.push(proc);
    return proc;
  };

  const waitReady = async (proc: Proc, what: string, probe: () => Promise<boolean>, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    let lastErr = '';
    for (;;) {
      if (proc.exited) throw new Error(`${proc.name} exited (${proc.exited}) while waiting for ${what}`);
      try {
        if (await probe()) return;
      } catch (err) {
        lastErr = (err as Error).message;
      }
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} ${lastErr}`);
      await sleep(250);
    }
  };

  try {
    const [etcdPort, peerPort, apiPort, kcmPort, schedPort, kwokPort] = (await freePorts(6)) as Six<number>;
    const adminToken = randomBytes(24).toString('hex');
    const limitedToken = randomBytes(24).toString('hex');
    // Static tokens: admin is in system:masters; the limited user has no bindings until a test grants them.
    writeFileSync(
      join(runDir, 'tokens.csv'),
      `${adminToken},${ADMIN_USER},${ADMIN_USER},"system:masters"\n${limitedToken},${LIMITED_USER},${LIMITED_USER}\n`,
      { mode: 0o600 },
    );
    const saKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    writeFileSync(join(runDir, 'sa.key'), saKey, { mode: 0o600 });

    log(`run dir ${runDir}`);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = spawnProc('etcd', [
      '--name=testbed',
      `--data-dir=${join(runDir, 'etcd-data')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=testbed=${peerUrl}`,
      // Throw-away data: skip fsync (as envtest does) so etcd doesn't dominate test latency.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    await waitReady(etcd, 'etcd /readyz', async () => (await request(`${etcdUrl}/readyz`)).status === 200);

    const server = `https://127.0.0.1:${apiPort}`;
    const certDir = join(runDir, 'apiserver-certs');
    const apiserver = spawnProc('kube-apiserver', [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${certDir}`,
      `--token-auth-file=${join(runDir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(runDir, 'sa.key')}`,
      `--service-account-signing-key-file=${join(runDir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      // The serviceaccount controllers don't run, so no "default" ServiceAccount would exist and this
      // admission plugin would reject every pod (envtest disables it for the same reason).
      '--disable-admission-plugins=ServiceAccount',
      '--allow-privileged=true',
      '--profiling=false',
      // The default reconciler would publish 127.0.0.1 as the `kubernetes` Service endpoint, which
      // validation rejects every 10 s (loopback), only adding log noise.
      '--endpoint-reconciler-type=none',
    ]);
    // The self-signed serving cert (with its CA appended) appears once the apiserver has started.
    const certFile = join(certDir, 'apiserver.crt');
    await waitReady(apiserver, 'apiserver serving cert', async () => existsSync(certFile));
    const ca = readFileSync(certFile);
    const api = (method: string, path: string, body?: unknown) =>
      request(`${server}${path}`, { method, ca, token: adminToken, body });
    await waitReady(
      apiserver,
      'kube-apiserver /readyz',
      async () => (await api('GET', '/readyz')).status === 200,
    );

    const kubeconfig = join(runDir, 'kubeconfig');
    const limitedKubeconfig = join(runDir, 'limited.kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml(server, ca, ADMIN_USER, adminToken), { mode: 0o600 });
    writeFileSync(limitedKubeconfig, kubeconfigYaml(server, ca, LIMITED_USER, limitedToken), { mode: 0o600 });

    const healthz = (port: number) => async () =>
      (await request(`https://127.0.0.1:${port}/healthz`, { insecure: true })).status === 200;
    const componentArgs = (port: number, name: string) => [
      // No --authentication/authorization-kubeconfig: /healthz is always allowed, and delegated authn would
      // look for a client CA the apiserver doesn't have.
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${join(runDir, `${name}-certs`)}`,
    ];
    const kcm = spawnProc('kube-controller-manager', [
      ...componentArgs(kcmPort, 'kcm'),
      `--controllers=${CONTROLLERS.join(',')}`,
    ]);
    const scheduler = spawnProc('kube-scheduler', componentArgs(schedPort, 'scheduler'));
    await waitReady(kcm, 'kube-controller-manager /healthz', healthz(kcmPort));
    await waitReady(scheduler, 'kube-scheduler /healthz', healthz(schedPort));

    const nodes = Array.from({ length: opts.nodeCount ?? 3 }, (_, i) => `kwok-node-${i}`);
    for (const name of nodes) {
      const res = await api('POST', '/api/v1/nodes', fakeNode(name));
      if (res.status !== 201) throw new Error(`creating node ${name}: HTTP ${res.status} ${res.body}`);
    }
    const kwok = spawnProc('kwok', [
      `--kubeconfig=${kubeconfig}`,
      `--config=${KWOK_STAGES}`,
      '--manage-all-nodes=true',
      '--node-lease-duration-seconds=40',
      '--cidr=10.0.0.0/16',
      '--node-ip=10.0.0.1',
      `--server-address=127.0.0.1:${kwokPort}`,
    ]);
    await waitReady(kwok, `${nodes.length} nodes Ready and untainted`, async () => {
      const res = await api('GET', '/api/v1/nodes');
      const items = (JSON.parse(res.body).items ?? []) as NodeLike[];
      return nodes.every((n) =>
        items.some((i) => i.metadata.name === n && isReady(i) && !i.spec?.taints?.length),
      );
    });

    const state: TestbedState = {
      runDir,
      server,
      kubeconfig,
      limitedKubeconfig,
      nodes,
      processes: procs.map(({ name, pid, log: l }) => ({ name, pid, log: l })),
    };
    writeFileSync(join(runDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
    log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${server}, kubeconfig ${kubeconfig}`);
    return {
      ...state,
      async stop({ keep = false } = {}) {
        guard?.dispose();
        const died = procs.filter((p) => p.exited);
        await stopAll(procs);
        if (died.length > 0) {
          log(`processes died during the run: ${died.map((p) => `${p.name} (${p.exited})`).join(', ')}`);
          log(tails(procs));
        }
        if (keep || died.length > 0) log(`logs kept in ${runDir}`);
        else rmSync(runDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    guard?.dispose();
    await stopAll(procs);
    throw new Error(
      `test bed failed to start: ${(err as Error).message}\nlogs kept in ${runDir}\n${tails(procs)}`,
      { cause: err },
    );
  }
}

/** Stops a bed started elsewhere (shell `up`), from its state file. */
export async function stopFromState(runDir: string): Promise<TestbedState> {
  const state = readState(runDir);
  for (const p of [...state.processes].reverse()) await stopPid(p.pid);
  return state;
}

export function readState(runDir: string): TestbedState {
  return JSON.parse(readFileSync(join(runDir, STATE_FILE), 'utf8')) as TestbedState;
}

async function stopAll(procs: Proc[]): Promise<void> {
  for (const p of [...procs].reverse()) {
    if (!p.exited) await stopPid(p.pid);
  }
}

/** SIGTERM the process group, SIGKILL it after 10 s. */
async function stopPid(pid: number): Promise<void> {
  if (!alive(pid)) return;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      signalGroup(pid, 'SIGKILL');
      while (alive(pid)) await sleep(50);
      return;
    }
    await sleep(50);
  }
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // Already gone.
  }
}

/** A zombie still answers kill(pid, 0), so look at its state too. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * In-process beds must not outlive this Node process: SIGKILL the groups on exit, and on SIGINT/SIGTERM/SIGHUP
 * before re-raising the signal (unless someone else, e.g. vitest, handles it).
 */
function installExitGuard(procs: Proc[], runDir: string): { dispose(): void } {
  const killAll = () => {
    for (const p of procs) if (!p.exited) signalGroup(p.pid, 'SIGKILL');
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (sig: NodeJS.Signals) => {
    killAll();
    process.stderr.write(`[testbed] ${sig}: killed the test bed; logs kept in ${runDir}\n`);
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  process.on('exit', killAll);
  for (const s of signals) process.once(s, onSignal);
  return {
    dispose() {
      process.off('exit', killAll);
      for (const s of signals) process.off(s, onSignal);
    },
  };
}

function tails(procs: { name: string; log: string }[], lines = 30): string {
  return procs
    .map((p) => {
      let text = '';
      try {
        text = readFileSync(p.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        text = '(no log)';
      }
      return `----- ${p.name} (${p.log}), last ${lines} lines -----\n${text}`;
    })
    .join('\n');
}

async function freePorts(n: number): Promise<number[]> {
  // Hold all listeners open until every port is known so the n ports are distinct.
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

interface RequestOptions {
  method?: string;
  ca?: Buffer;
  token?: string;
  body?: unknown;
  /** Components' self-signed serving certs: only liveness is probed, no data is trusted. */
  insecure?: boolean;
}

function request(url: string, o: RequestOptions = {}): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
  return new Promise((resolve, reject) => {
    const req = mod.request(
      u,
      {
        method: o.method ?? 'GET',
        ca: o.ca,
        rejectUnauthorized: !o.insecure,
        timeout: 5_000,
        headers: {
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(payload);
  });
}

function kubeconfigYaml(server: string, ca: Buffer, user: string, token: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: kdeploy-testbed
  cluster:
    server: ${server}
    certificate-authority-data: ${ca.toString('base64')}
users:
- name: ${user}
  user:
    token: ${token}
contexts:
- name: kdeploy-testbed
  context:
    cluster: kdeploy-testbed
    user: ${user}
    namespace: default
current-context: kdeploy-testbed
`;
}

function fakeNode(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/agent': '',
        type: 'kwok',
      },
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
    },
  };
}

interface NodeLike {
  metadata: { name: string };
  spec?: { taints?: unknown[] };
  status?: { conditions?: { type: string; status: string }[] };
}

function isReady(n: NodeLike): boolean {
  return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

type Six<T> = [T, T, T, T, T, T];
