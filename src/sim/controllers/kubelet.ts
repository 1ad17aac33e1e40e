// The node side of the simulated cluster: a scheduler that binds pods to nodes by their CPU/memory/pod
// capacity (or reports Unschedulable the way kube-scheduler words it), and a kubelet that walks each pod
// through its life on the injected Clock — Ready after the scenario's delays, or failing in its failure
// mode with the container states, restart counts and events a real kubelet produces.
import type { Clock } from '../../core/ports.js';
import type { SimApi } from '../api.js';
import { badRequest, StatusError } from '../errors.js';
import type { Random } from '../random.js';
import { resourceByName } from '../resources.js';
import { type FailureMode, failureModeOf, imageTag, type Scenario } from '../scenario.js';
import type { KubeObject } from '../store.js';
import type { EventRecorder } from './events.js';

const PODS = resourceByName('pods');
const NODES = resourceByName('nodes');

const SUFFIX: Record<string, number> = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** A Kubernetes quantity (`500m`, `2`, `128Mi`) as a number of base units. */
export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+(?:e[0-9]+)?)([a-zA-Z]*)$/.exec(q.trim());
  if (!m || (m[2] && !(m[2] in SUFFIX)))
    throw badRequest(
      `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': "${q}"`,
    );
  return Number(m[1]) * (m[2] ? SUFFIX[m[2]]! : 1);
}

function requests(pod: Readonly<KubeObject>): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of pod.spec?.containers ?? []) {
    cpu += parseQuantity(c.resources?.requests?.cpu ?? c.resources?.limits?.cpu);
    memory += parseQuantity(c.resources?.requests?.memory ?? c.resources?.limits?.memory);
  }
  return { cpu, memory };
}

/** Share of the node's CPU requested (LeastAllocated scoring), pod count breaking ties. */
function load(node: Readonly<KubeObject>, pods: readonly Readonly<KubeObject>[]): number {
  const cpu = pods.reduce((sum, p) => sum + requests(p).cpu, 0);
  return cpu / parseQuantity(node.status?.allocatable?.cpu) + pods.length * 1e-6;
}

/** Why a pod does not fit on a node, in kube-scheduler's words, or undefined when it fits. */
function whyNot(
  node: Readonly<KubeObject>,
  pods: readonly Readonly<KubeObject>[],
  pod: KubeObject,
): string | undefined {
  const alloc = node.status?.allocatable ?? {};
  if (pods.length + 1 > Number(alloc.pods ?? 110)) return 'Too many pods';
  const want = requests(pod);
  const used = pods.reduce(
    (s, p) => ({ cpu: s.cpu + requests(p).cpu, memory: s.memory + requests(p).memory }),
    { cpu: 0, memory: 0 },
  );
  if (used.cpu + want.cpu > parseQuantity(alloc.cpu)) return 'Insufficient cpu';
  if (used.memory + want.memory > parseQuantity(alloc.memory)) return 'Insufficient memory';
  return undefined;
}

function condition(type: string, status: 'True' | 'False', now: string, reason?: string, message?: string) {
  return {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: now,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

/** Replaces conditions by type, keeping lastTransitionTime when the status did not change (as the kubelet does). */
function setConditions(old: KubeObject['status'], updates: ReturnType<typeof condition>[]) {
  const out = [...(old?.conditions ?? [])];
  for (const c of updates) {
    const i = out.findIndex((e) => e.type === c.type);
    if (i < 0) out.push(c);
    else out[i] = out[i].status === c.status ? { ...c, lastTransitionTime: out[i].lastTransitionTime } : c;
  }
  return out;
}

const DEFAULT_LOGS: Record<string, string[]> = {
  default: ['{pod}: starting {image}', 'listening on :8080', 'ready to serve requests'],
  crash: [
    '{pod}: starting {image}',
    'loading configuration',
    'panic: runtime error: invalid memory address or nil pointer dereference',
    '[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a2b1c]',
  ],
  oom: ['{pod}: starting {image}', 'warming cache', 'fatal error: runtime: out of memory'],
  'never-ready': [
    '{pod}: starting {image}',
    'waiting for database connection',
    'health check failed: dependency "db" unavailable',
  ],
  fail: [
    '{pod}: starting {image}',
    'error: required environment variable DATABASE_URL is not set',
    'exiting with status 1',
  ],
};

interface PodRun {
  abort: AbortController;
  /** Log text of the current and the previous container run, per container name. */
  logs: Map<string, { current: string[]; previous?: string[] }>;
}

export class Kubelet {
  private readonly runs = new Map<string, PodRun>();
  /** Pods waiting for capacity, retried when a pod goes away. */
  private readonly unschedulable = new Set<string>();

  constructor(
    private readonly api: SimApi,
    private readonly clock: Clock,
    private readonly scenario: Scenario,
    private readonly events: EventRecorder,
    private readonly random: Random,
    private readonly signal: AbortSignal,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Creates the scenario's nodes. */
  createNodes(): void {
    const { count, cpu, memory, pods } = this.scenario.nodes;
    for (let i = 0; i < count; i++) {
      const name = `sim-node-${i}`;
      const capacity = { cpu, memory, pods: String(pods) };
      const now = this.api.now();
      this.api.create(NODES, undefined, {
        metadata: {
          name,
          labels: {
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'node.kubernetes.io/instance-type': 'sim.large',
          },
        },
        spec: {},
      });
      const node = this.api.get(NODES, undefined, name);
      this.api.update(
        NODES,
        undefined,
        name,
        {
          ...node,
          status: {
            capacity,
            allocatable: capacity,
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'KubeletReady',
                message: 'kubelet is posting ready status',
                lastHeartbeatTime: now,
                lastTransitionTime: now,
              },
            ],
            addresses: [
              { type: 'InternalIP', address: `10.0.0.${10 + i}` },
              { type: 'Hostname', address: name },
            ],
            nodeInfo: {
              kubeletVersion: 'v1.32.0-kdeploy-sim',
              containerRuntimeVersion: 'sim://1.0',
              operatingSystem: 'linux',
              architecture: 'amd64',
            },
          },
        },
        'status',
      );
    }
  }

  /** Queue handler: schedule a pod that has no node yet, or retry the pods waiting for capacity. */
  sync(key: string): void {
    if (key === Kubelet.RETRY) {
      for (const waiting of [...this.unschedulable]) this.sync(waiting);
      return;
    }
    const [ns, name] = key.split('/') as [string, string];
    const pod = this.api.find(PODS, ns, name);
    if (!pod) this.unschedulable.delete(key);
    else if (!pod.spec?.nodeName && !pod.metadata.deletionTimestamp) this.schedule(pod);
  }

  /** Queue key meaning "capacity was freed: retry unschedulable pods". */
  static readonly RETRY = '<retry-unschedulable>';

  /** A pod is gone: stop its timers (no writes here; this runs inside store notifications). */
  forget(pod: KubeObject): void {
    this.runs.get(pod.metadata.uid!)?.abort.abort();
    this.runs.delete(pod.metadata.uid!);
    this.unschedulable.delete(`${pod.metadata.namespace}/${pod.metadata.name}`);
  }

  private schedule(pod: KubeObject): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const mode = failureModeOf(this.scenario, pod);
    const nodes = this.api.scan(NODES);
    const onNode = new Map<string, Readonly<KubeObject>[]>();
    for (const p of this.api.scan(
      PODS,
      undefined,
      (p) => !!p.spec?.nodeName && !['Succeeded', 'Failed'].includes(p.status?.phase),
    )) {
      onNode.set(p.spec.nodeName, [...(onNode.get(p.spec.nodeName) ?? []), p]);
    }
    const fits = nodes.map((n) => {
      const pods = onNode.get(n.metadata.name) ?? [];
      return {
        node: n,
        load: load(n, pods),
        why: mode === 'unsched' ? 'Insufficient cpu' : whyNot(n, pods, pod),
      };
    });
    const best = fits.filter((f) => !f.why).sort((a, b) => a.load - b.load)[0];
    if (!best) {
      this.unschedulable.add(key);
      const counts = new Map<string, number>();
      for (const f of fits) counts.set(f.why!, (counts.get(f.why!) ?? 0) + 1);
      const reasons = [...counts.entries()].map(([why, n]) => `${n} ${why}`).join(', ');
      const message = `0/${nodes.length} nodes are available: ${reasons}. preemption: 0/${nodes.length} nodes are available: ${nodes.length} No preemption victims found for incoming pod.`;
      const current = pod.status?.conditions?.find((c: { type: string }) => c.type === 'PodScheduled');
      if (current?.message === message) return;
      this.api.update(
        PODS,
        pod.metadata.namespace,
        pod.metadata.name,
        {
          ...pod,
          status: {
            ...pod.status,
            phase: 'Pending',
            conditions: setConditions(pod.status, [
              condition('PodScheduled', 'False', this.api.now(), 'Unschedulable', message),
            ]),
          },
        },
        'status',
      );
      this.events.record(pod, 'Warning', 'FailedScheduling', message, 'default-scheduler');
      return;
    }
    this.unschedulable.delete(key);
    const nodeName = best.node.metadata.name;
    const bound = this.api.update(PODS, pod.metadata.namespace, pod.metadata.name, {
      ...pod,
      spec: { ...pod.spec, nodeName },
    });
    const scheduled = this.api.update(
      PODS,
      pod.metadata.namespace,
      pod.metadata.name,
      {
        ...bound,
        status: {
          ...bound.status,
          phase: 'Pending',
          conditions: setConditions(bound.status, [condition('PodScheduled', 'True', this.api.now())]),
        },
      },
      'status',
    );
    this.events.record(
      scheduled,
      'Normal',
      'Scheduled',
      `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`,
      'default-scheduler',
    );
    this.start(scheduled, mode);
  }

  private jitter(): number {
    return this.scenario.pods.jitter ? this.random.int(this.scenario.pods.jitter) : 0;
  }

  private start(pod: KubeObject, mode: FailureMode | undefined): void {
    const run: PodRun = { abort: new AbortController(), logs: new Map() };
    this.runs.set(pod.metadata.uid!, run);
    const onClose = () => run.abort.abort();
    this.signal.addEventListener('abort', onClose, { once: true });
    this.lifecycle(pod, mode, run)
      .catch((err) => {
        if (!run.abort.signal.aborted) this.onError(err);
      })
      .finally(() => this.signal.removeEventListener('abort', onClose));
  }

  private sleep(ms: number, run: PodRun): Promise<void> {
    return this.clock.sleep(ms, run.abort.signal);
  }

  /** Re-reads the pod and writes a new status; stops the run when the pod is gone or was replaced. */
  private setStatus(
    pod: KubeObject,
    run: PodRun,
    change: (status: KubeObject['status'], now: string) => KubeObject['status'],
  ): KubeObject {
    const current = this.api.find(PODS, pod.metadata.namespace, pod.metadata.name);
    if (!current || current.metadata.uid !== pod.metadata.uid) {
      run.abort.abort();
      throw new StatusError(404, 'NotFound', 'pod gone');
    }
    return this.api.update(
      PODS,
      pod.metadata.namespace,
      pod.metadata.name,
      { ...current, status: change(current.status, this.api.now()) },
      'status',
    );
  }

  private logLines(kind: string, pod: KubeObject, image: string): string[] {
    const lines =
      (this.scenario.logs as Record<string, string[] | undefined>)[kind] ??
      DEFAULT_LOGS[kind] ??
      DEFAULT_LOGS.default!;
    return lines.map((l) =>
      l
        .replaceAll('{pod}', pod.metadata.name)
        .replaceAll('{image}', image)
        .replaceAll('{version}', imageTag(image)),
    );
  }

  private async lifecycle(pod: KubeObject, mode: FailureMode | undefined, run: PodRun): Promise<void> {
    const containers: { name: string; image: string }[] = pod.spec.containers;
    const node = pod.spec.nodeName as string;
    const nodeObj = this.api.find(NODES, undefined, node);
    const hostIP = nodeObj?.status?.addresses?.[0]?.address ?? '10.0.0.10';
    const podIP = `10.244.${this.random.int(250)}.${1 + this.random.int(250)}`;
    const { pods } = this.scenario;
    const kubelet = (p: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string) =>
      this.events.record(p, type, reason, message, 'kubelet', node);
    const waiting = (reason: string, message?: string) =>
      containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: false,
        restartCount: 0,
        started: false,
        state: { waiting: { reason, ...(message ? { message } : {}) } },
      }));

    let current = this.setStatus(pod, run, (s, now) => ({
      ...s,
      phase: 'Pending',
      hostIP,
      hostIPs: [{ ip: hostIP }],
      startTime: now,
      conditions: setConditions(s, [
        condition('Initialized', 'True', now),
        condition(
          'Ready',
          'False',
          now,
          'ContainersNotReady',
          `containers with unready status: [${containers.map((c) => c.name).join(' ')}]`,
        ),
        condition(
          'ContainersReady',
          'False',
          now,
          'ContainersNotReady',
          `containers with unready status: [${containers.map((c) => c.name).join(' ')}]`,
        ),
      ]),
      containerStatuses: waiting('ContainerCreating'),
    }));

    if (mode === 'pullerr') {
      let backoff = pods.crashLoop.backoff;
      for (;;) {
        for (const c of containers) {
          kubelet(current, 'Normal', 'Pulling', `Pulling image "${c.image}"`);
          kubelet(
            current,
            'Warning',
            'Failed',
            `Failed to pull image "${c.image}": rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}": not found`,
          );
          kubelet(current, 'Warning', 'Failed', 'Error: ErrImagePull');
        }
        current = this.setStatus(current, run, (s) => ({
          ...s,
          containerStatuses: containers.map((c) => ({
            ...waiting('ErrImagePull', `failed to pull and unpack image "${c.image}": not found`)[0],
            name: c.name,
            image: c.image,
          })),
        }));
        await this.sleep(pods.startDelay, run);
        current = this.setStatus(current, run, (s) => ({
          ...s,
          containerStatuses: containers.map((c) => ({
            ...waiting('ImagePullBackOff', `Back-off pulling image "${c.image}"`)[0],
            name: c.name,
            image: c.image,
          })),
        }));
        for (const c of containers) {
          kubelet(current, 'Normal', 'BackOff', `Back-off pulling image "${c.image}"`);
          kubelet(current, 'Warning', 'Failed', 'Error: ImagePullBackOff');
        }
        await this.sleep(backoff, run);
        backoff = Math.min(backoff * 2, pods.crashLoop.maxBackoff);
      }
    }

    await this.sleep(pods.startDelay + this.jitter(), run);
    for (const c of containers) {
      kubelet(current, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`);
      kubelet(current, 'Normal', 'Created', `Created container: ${c.name}`);
      kubelet(current, 'Normal', 'Started', `Started container ${c.name}`);
      const kind =
        mode === 'crash' || mode === 'oom' || mode === 'never-ready' || mode === 'fail' ? mode : 'default';
      run.logs.set(c.name, { current: this.logLines(kind, current, c.image) });
    }

    if (mode === 'fail') {
      this.setStatus(current, run, (s, now) => ({
        ...s,
        phase: 'Failed',
        podIP,
        podIPs: [{ ip: podIP }],
        conditions: setConditions(s, [
          condition('Ready', 'False', now, 'PodFailed'),
          condition('ContainersReady', 'False', now, 'PodFailed'),
        ]),
        containerStatuses: containers.map((c) => ({
          name: c.name,
          image: c.image,
          imageID: `${c.image}@sha256:sim`,
          containerID: `sim://${this.random.uuid()}`,
          ready: false,
          restartCount: 0,
          started: false,
          state: { terminated: { exitCode: 1, reason: 'Error', startedAt: now, finishedAt: now } },
        })),
      }));
      return;
    }

    const running = (restartCount: number, now: string, ready: boolean, lastState?: object) =>
      containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: `${c.image}@sha256:sim`,
        containerID: `sim://${this.random.uuid()}`,
        ready,
        restartCount,
        started: true,
        state: { running: { startedAt: now } },
        ...(lastState ? { lastState } : {}),
      }));
    current = this.setStatus(current, run, (s, now) => ({
      ...s,
      phase: 'Running',
      podIP,
      podIPs: [{ ip: podIP }],
      containerStatuses: running(0, now, false),
    }));

    if (mode === 'crash' || mode === 'oom') {
      let backoff = pods.crashLoop.backoff;
      for (let restarts = 1; ; restarts++) {
        await this.sleep(pods.crashLoop.runFor, run);
        const startedAt = current.status.containerStatuses?.[0]?.state?.running?.startedAt;
        const terminated = (now: string) => ({
          terminated:
            mode === 'oom'
              ? { exitCode: 137, reason: 'OOMKilled', startedAt, finishedAt: now }
              : { exitCode: 1, reason: 'Error', startedAt, finishedAt: now },
        });
        current = this.setStatus(current, run, (s, now) => ({
          ...s,
          containerStatuses: containers.map((c, i) => ({
            ...s.containerStatuses[i],
            ready: false,
            started: false,
            restartCount: restarts,
            state: {
              waiting: {
                reason: 'CrashLoopBackOff',
                message: `back-off ${Math.round(backoff / 1000)}s restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
              },
            },
            lastState: terminated(now),
          })),
        }));
        for (const c of containers) {
          const logs = run.logs.get(c.name)!;
          run.logs.set(c.name, { current: [], previous: logs.current.length ? logs.current : logs.previous });
          kubelet(
            current,
            'Warning',
            'BackOff',
            `Back-off restarting failed container ${c.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
          );
        }
        await this.sleep(backoff, run);
        backoff = Math.min(backoff * 2, pods.crashLoop.maxBackoff);
        current = this.setStatus(current, run, (s, now) => ({
          ...s,
          containerStatuses: running(restarts, now, false).map((c, i) => ({
            ...c,
            lastState: s.containerStatuses[i].lastState,
          })),
        }));
        for (const c of containers) {
          run.logs.get(c.name)!.current = this.logLines(mode, current, c.image);
          kubelet(current, 'Normal', 'Started', `Started container ${c.name}`);
        }
      }
    }

    if (mode === 'never-ready') {
      for (;;) {
        await this.sleep(pods.probePeriod, run);
        kubelet(
          current,
          'Warning',
          'Unhealthy',
          'Readiness probe failed: HTTP probe failed with statuscode: 503',
        );
      }
    }

    await this.sleep(pods.readyDelay + this.jitter(), run);
    this.setStatus(current, run, (s, now) => ({
      ...s,
      conditions: setConditions(s, [
        condition('Ready', 'True', now),
        condition('ContainersReady', 'True', now),
      ]),
      containerStatuses: s.containerStatuses.map((c: object) => ({ ...c, ready: true })),
    }));
  }

  /** `kubectl logs` for a pod, with the kubelet's errors for containers that never ran. */
  podLog(
    pod: KubeObject,
    container: string | undefined,
    options: { previous: boolean; tailLines?: number },
  ): string {
    const names: string[] = (pod.spec?.containers ?? []).map((c: { name: string }) => c.name);
    const name = container ?? names[0];
    if (!container && names.length > 1) {
      throw badRequest(
        `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`,
      );
    }
    if (!name || !names.includes(name))
      throw badRequest(`container ${name} is not valid for pod ${pod.metadata.name}`);
    const logs = this.runs.get(pod.metadata.uid!)?.logs.get(name);
    const status = (pod.status?.containerStatuses ?? []).find((c: { name: string }) => c.name === name);
    if (options.previous) {
      if (!logs?.previous)
        throw badRequest(`previous terminated container "${name}" in pod "${pod.metadata.name}" not found`);
      return tail(logs.previous, options.tailLines);
    }
    if (!logs) {
      const reason = status?.state?.waiting?.reason ?? 'ContainerCreating';
      const why =
        reason === 'ErrImagePull' || reason === 'ImagePullBackOff'
          ? 'trying and failing to pull image'
          : reason;
      throw badRequest(`container "${name}" in pod "${pod.metadata.name}" is waiting to start: ${why}`);
    }
    return tail(logs.current.length ? logs.current : (logs.previous ?? []), options.tailLines);
  }
}

function tail(lines: string[], n: number | undefined): string {
  const picked = n !== undefined && n >= 0 ? lines.slice(Math.max(0, lines.length - n)) : lines;
  return picked.length ? `${picked.join('\n')}\n` : '';
}
