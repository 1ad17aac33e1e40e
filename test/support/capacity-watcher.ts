// The traffic invariant of the progressive strategies, checked from the outside while a release runs:
// "the Service always selects at least the desired ready capacity". It watches the app's pods and the
// Service (what an endpoints controller watches) and records every change. Two watch streams don't arrive
// in the order the changes happened (a selector flip may reach us after the pod deletions that followed
// it), so the changes are replayed in resourceVersion order — the apiserver's one global order of writes
// (etcd's revision; the simulator's counter) — and after each one the pods the Service's selector matches
// that are Ready and not terminating are counted. Any moment below `minReady`, once the app first reached
// it, is a violation, recorded with what the Service selected.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Cluster, WatchEvent } from '../../src/core/cluster.js';

interface PodShape extends KubernetesObject {
  status?: { conditions?: { type: string; status: string }[] };
}
interface ServiceShape extends KubernetesObject {
  spec?: { selector?: Record<string, string> };
}

export interface CapacityViolation {
  at: number;
  ready: number;
  selector: Record<string, string>;
  pods: string[];
}

export interface CapacityWatcherOptions {
  namespace: string;
  service: string;
  /** Ready endpoints the Service must never go below (the app's replicas). */
  minReady: number;
  /** Pods to watch (a superset of what the Service may select). */
  podSelector: string;
  now: () => number;
}

interface Change {
  rv: number;
  kind: 'pod' | 'service';
  deleted: boolean;
  object: PodShape | ServiceShape;
  at: number;
}

const rvOf = (o: KubernetesObject) => Number(o.metadata?.resourceVersion ?? 0);
const isReady = (p: PodShape) =>
  !p.metadata?.deletionTimestamp &&
  (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);

export class CapacityWatcher {
  /** Filled by close(). */
  readonly violations: CapacityViolation[] = [];
  /** Every distinct ready count in order, for tests that also want to see the capacity move (filled by close()). */
  readonly readyCounts: number[] = [];
  /** Whether the app ever had `minReady` ready endpoints (a test asserts it, so the check can't pass vacuously). */
  armed = false;
  private readonly changes: Change[] = [];
  private readonly stop = new AbortController();
  private watches: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly cluster: Cluster,
    private readonly options: CapacityWatcherOptions,
  ) {}

  /** Starts watching; resolves once both watches have their first list. */
  async start(): Promise<this> {
    const { namespace } = this.options;
    const signal = this.stop.signal;
    const synced = { pod: false, service: false };
    let ready!: () => void;
    const both = new Promise<void>((r) => {
      ready = r;
    });
    const record = (kind: Change['kind']) => (e: WatchEvent<KubernetesObject>) => {
      const at = this.options.now();
      if (e.type === 'SYNC') {
        // A (re-)list: its objects are upserts at their own versions.
        for (const object of e.objects)
          this.changes.push({ rv: rvOf(object), kind, deleted: false, object, at });
        synced[kind] = true;
        if (synced.pod && synced.service) ready();
      } else
        this.changes.push({ rv: rvOf(e.object), kind, deleted: e.type === 'DELETED', object: e.object, at });
    };
    this.watches = Promise.all([
      this.cluster.watch(
        { apiVersion: 'v1', kind: 'Pod', namespace, labelSelector: this.options.podSelector },
        record('pod'),
        signal,
      ),
      this.cluster.watch(
        {
          apiVersion: 'v1',
          kind: 'Service',
          namespace,
          fieldSelector: `metadata.name=${this.options.service}`,
        },
        record('service'),
        signal,
      ),
    ]).catch((err) => {
      if (!signal.aborted) throw err;
    });
    await both;
    return this;
  }

  /**
   * Lets the watches deliver what is still in flight (until no change arrived for `quietMs` of real time),
   * stops them and replays the changes in the order the apiserver made them.
   */
  async close(quietMs = 100): Promise<CapacityViolation[]> {
    for (let seen = -1; seen !== this.changes.length; ) {
      seen = this.changes.length;
      await new Promise((r) => setTimeout(r, quietMs));
    }
    this.stop.abort();
    await this.watches;
    const pods = new Map<string, PodShape>();
    let service: ServiceShape | undefined;
    const ordered = [...this.changes].sort((a, b) => a.rv - b.rv);
    for (const c of ordered) {
      if (c.kind === 'service') service = c.deleted ? undefined : (c.object as ServiceShape);
      else if (c.deleted) pods.delete(c.object.metadata?.name ?? '');
      else pods.set(c.object.metadata?.name ?? '', c.object as PodShape);
      const selector = service?.spec?.selector ?? {};
      const selected = Object.keys(selector).length
        ? [...pods.values()].filter(
            (p) => isReady(p) && Object.entries(selector).every(([k, v]) => p.metadata?.labels?.[k] === v),
          )
        : [];
      if (this.readyCounts.at(-1) !== selected.length) this.readyCounts.push(selected.length);
      if (selected.length >= this.options.minReady) this.armed = true;
      else if (this.armed) {
        this.violations.push({
          at: c.at,
          ready: selected.length,
          selector: { ...selector },
          pods: selected.map((p) => p.metadata?.name ?? ''),
        });
      }
    }
    return this.violations;
  }
}
