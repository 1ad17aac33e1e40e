// The traffic invariant of the progressive strategies, checked from the outside while a release runs:
// "the Service always selects at least the desired ready capacity". It watches the app's pods and the
// Service (the same watches a kube-proxy or an endpoints controller relies on) and, after every change,
// counts the pods the Service's selector matches that are Ready and not terminating. Any moment below
// `minReady` once the app first reached it is a violation, recorded with what the Service selected.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Cluster } from '../../src/kube/cluster.js';

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

export class CapacityWatcher {
  readonly violations: CapacityViolation[] = [];
  /** Every distinct ready count seen, for tests that also want to see the capacity move. */
  readonly readyCounts: number[] = [];
  private readonly pods = new Map<string, PodShape>();
  private service: ServiceShape | undefined;
  /** Whether the app ever had `minReady` ready endpoints (a test asserts it, so the check can't pass vacuously). */
  armed = false;
  private readonly stop = new AbortController();
  private watches: Promise<unknown> = Promise.resolve();
  private synced = { pods: false, service: false };

  constructor(
    private readonly cluster: Cluster,
    private readonly options: CapacityWatcherOptions,
  ) {}

  /** Starts watching; resolves once both watches have their first list. */
  async start(): Promise<this> {
    const { namespace } = this.options;
    let ready!: () => void;
    const synced = new Promise<void>((r) => {
      ready = r;
    });
    const onSync = () => {
      if (this.synced.pods && this.synced.service) ready();
    };
    const signal = this.stop.signal;
    this.watches = Promise.all([
      this.cluster.watch<PodShape>(
        { apiVersion: 'v1', kind: 'Pod', namespace, labelSelector: this.options.podSelector },
        (e) => {
          if (e.type === 'SYNC') {
            this.pods.clear();
            for (const p of e.objects) this.pods.set(p.metadata?.name ?? '', p);
            this.synced.pods = true;
            onSync();
          } else if (e.type === 'DELETED') this.pods.delete(e.object.metadata?.name ?? '');
          else this.pods.set(e.object.metadata?.name ?? '', e.object);
          this.check();
        },
        signal,
      ),
      this.cluster.watch<ServiceShape>(
        {
          apiVersion: 'v1',
          kind: 'Service',
          namespace,
          fieldSelector: `metadata.name=${this.options.service}`,
        },
        (e) => {
          if (e.type === 'SYNC') {
            this.service = e.objects[0];
            this.synced.service = true;
            onSync();
          } else this.service = e.type === 'DELETED' ? undefined : e.object;
          this.check();
        },
        signal,
      ),
    ]).catch((err) => {
      if (!signal.aborted) throw err;
    });
    await synced;
    return this;
  }

  /** The Ready, non-terminating pods the Service selects now. */
  selected(): string[] {
    const selector = this.service?.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) return [];
    return [...this.pods.values()]
      .filter((p) => !p.metadata?.deletionTimestamp)
      .filter((p) => Object.entries(selector).every(([k, v]) => p.metadata?.labels?.[k] === v))
      .filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((p) => p.metadata?.name ?? '');
  }

  private check(): void {
    if (!this.synced.pods || !this.synced.service) return;
    const pods = this.selected();
    if (this.readyCounts.at(-1) !== pods.length) this.readyCounts.push(pods.length);
    if (pods.length >= this.options.minReady) {
      this.armed = true;
      return;
    }
    if (this.armed) {
      this.violations.push({
        at: this.options.now(),
        ready: pods.length,
        selector: { ...this.service?.spec?.selector },
        pods,
      });
    }
  }

  async close(): Promise<CapacityViolation[]> {
    this.stop.abort();
    await this.watches;
    return this.violations;
  }
}
