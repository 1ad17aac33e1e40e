// The pod-ratio router (`replicas`): one Service selects the stable and the canary pods alike, so the
// canary's share of the traffic is its share of the ready pods. Setting a weight resizes the two
// Deployments (rule in weights.ts). Capacity is never lowered on the way: the side that grows is scaled up
// and waited for (ready) before the other side shrinks, so the Service always has at least `replicas`
// ready endpoints, and a canary that never gets ready fails the step without having taken stable pods away.
// One exception, weight 0 (rollback, abort): the canary's pods are usually the ones that just failed, so they
// are withdrawn first, and traffic leaves them in the time a pod takes to terminate rather than the time a
// new stable pod takes to start — when that leaves at most a quarter of `replicas` out of service (rounded
// down, as a Deployment's default maxUnavailable of 25 %); a bigger canary waits for stable to grow back.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Cluster, ObjectRef } from '../core/cluster.js';
import { LABELS } from '../core/labels.js';
import {
  type Router,
  type RouterCapabilities,
  type RouteTargets,
  UnsupportedError,
  type WeightResult,
  type Weights,
} from '../core/ports.js';
import { statusOf } from '../kube/errors.js';
import { type ReplicaSplit, splitForWeight, weightOf } from './weights.js';
export type Side = keyof ReplicaSplit;

export interface ReplicasRouterOptions {
  cluster: Pick<Cluster, 'get' | 'patch'>;
  app: string;
  namespace: string;
  /** The configured replicas: the total the split keeps. */
  replicas: number;
  /** Deployment names; default `<app>` and `<app>-canary`. */
  names?: Partial<Record<Side, string>>;
  /**
   * Resolves when the side's Deployment has all its desired replicas available; rejects (StepFailure) when
   * its pods fail. The canary strategy passes the engine's rollout watch with pod diagnosis.
   */
  awaitReady(side: Side, name: string, signal?: AbortSignal): Promise<void>;
}

interface DeploymentShape extends KubernetesObject {
  spec?: { replicas?: number; template?: { metadata?: { labels?: Record<string, string> } } };
  status?: { readyReplicas?: number };
}
interface ServiceShape extends KubernetesObject {
  spec?: { selector?: Record<string, string> };
}

export class ReplicasRouter implements Router {
  readonly name = 'replicas';
  readonly capabilities: RouterCapabilities;
  private readonly names: Record<Side, string>;

  constructor(private readonly options: ReplicasRouterOptions) {
    this.names = { stable: options.app, canary: `${options.app}-canary`, ...options.names };
    this.capabilities = {
      granularity: 100 / Math.max(options.replicas, 2),
      readBack: true,
      partialWeights: true,
    };
  }

  private ref(kind: 'Deployment' | 'Service', name: string): ObjectRef {
    return {
      apiVersion: kind === 'Service' ? 'v1' : 'apps/v1',
      kind,
      name,
      namespace: this.options.namespace,
    };
  }

  private deployment(side: Side): Promise<DeploymentShape | undefined> {
    return this.options.cluster.get<DeploymentShape>(this.ref('Deployment', this.names[side]));
  }

  /**
   * Checks that the app's Service really selects the canary pods: a Service adopted from before kdeploy
   * may select on a label the rendered template doesn't carry, and the canary would then get no traffic
   * while kdeploy reports a weight. Idempotent, read-only.
   */
  async prepare(_targets: RouteTargets): Promise<void> {
    const service = await this.options.cluster.get<ServiceShape>(this.ref('Service', this.options.app));
    if (!service)
      throw new Error(
        `Service ${this.options.namespace}/${this.options.app} does not exist: the replicas router needs it`,
      );
    const canary = await this.deployment('canary');
    const labels = canary?.spec?.template?.metadata?.labels;
    if (!labels) return; // no canary yet: checked again on the next release step
    const selector = service.spec?.selector ?? {};
    const missing = Object.entries(selector).filter(([k, v]) => labels[k] !== v);
    if (missing.length) {
      throw new UnsupportedError(
        `Service ${this.options.namespace}/${this.options.app} selects ${missing.map(([k, v]) => `${k}=${v}`).join(',')}, ` +
          `which the canary pods don't carry, so they would get no traffic; add the label to podLabels in kdeploy.yaml ` +
          `or select only on ${LABELS.app}`,
      );
    }
  }

  async setWeight(canaryPercent: number, signal?: AbortSignal): Promise<WeightResult> {
    const target = splitForWeight(this.options.replicas, canaryPercent);
    const current = { stable: await this.specReplicas('stable'), canary: await this.specReplicas('canary') };
    const sides: Side[] = ['canary', 'stable'];
    const growing = sides.filter((s) => target[s] > (current[s] ?? 0));
    const shrinking = sides.filter((s) => !growing.includes(s) && target[s] !== current[s]);
    if (target.canary === 0 && (current.canary ?? 0) > 0 && (await this.withdrawFirst())) {
      await this.scale('canary', 0);
      for (const side of growing) await this.scale(side, target[side]);
      for (const side of growing) await this.options.awaitReady(side, this.names[side], signal);
    } else {
      // Grow first and wait for the new pods to be ready, then shrink: capacity never dips below the target.
      for (const side of growing) await this.scale(side, target[side]);
      for (const side of growing) await this.options.awaitReady(side, this.names[side], signal);
      for (const side of shrinking) await this.scale(side, target[side]);
    }

    const ready = await this.readyPods();
    // Pods being scaled away leave the endpoints as they terminate; count at most what each side should keep.
    const serving = {
      stable: Math.min(ready.stable, target.stable),
      canary: Math.min(ready.canary, target.canary),
    };
    const achieved = weightOf(serving);
    const wanted = weightOf(target);
    return {
      requested: canaryPercent,
      achieved,
      verified: achieved === wanted,
      detail: `${target.canary} canary + ${target.stable} stable pods${achieved === canaryPercent ? '' : ` (pod ratio ${wanted} %)`}`,
    };
  }

  async getWeights(): Promise<Weights> {
    const ready = await this.readyPods();
    if (ready.stable + ready.canary === 0) return { stable: 100, canary: 0 };
    const canary = weightOf(ready);
    return { stable: Math.round((100 - canary) * 100) / 100, canary };
  }

  describe(canaryPercent: number): string[] {
    const t = splitForWeight(this.options.replicas, canaryPercent);
    const ns = this.options.namespace;
    const lines = [
      `scale Deployment ${ns}/${this.names.canary} to ${t.canary}${t.canary > 0 ? ' and wait until ready' : ''}`,
      `scale Deployment ${ns}/${this.names.stable} to ${t.stable}`,
    ];
    // The order setWeight uses: whichever side grows goes first; weight 0 may withdraw the canary first.
    if (t.canary === 0) {
      lines.reverse();
      lines[1] += ` (first, when ${ns}/${this.names.stable} already has ${this.stableToWithdraw()} ready pods)`;
    }
    return [...lines, `canary weight ≈ ${weightOf(t)} % (pod ratio ${t.canary}:${t.stable})`];
  }

  /** Ready stable pods that can carry the traffic alone while more start: all but a quarter, rounded down. */
  private stableToWithdraw(): number {
    return this.options.replicas - Math.floor(this.options.replicas / 4);
  }

  private async withdrawFirst(): Promise<boolean> {
    return (await this.readyPods()).stable >= this.stableToWithdraw();
  }

  private async specReplicas(side: Side): Promise<number | undefined> {
    return (await this.deployment(side))?.spec?.replicas;
  }

  private async readyPods(): Promise<ReplicaSplit> {
    const [stable, canary] = await Promise.all([this.deployment('stable'), this.deployment('canary')]);
    return { stable: stable?.status?.readyReplicas ?? 0, canary: canary?.status?.readyReplicas ?? 0 };
  }

  private async scale(side: Side, replicas: number): Promise<void> {
    try {
      await this.options.cluster.patch(
        this.ref('Deployment', this.names[side]),
        { spec: { replicas } },
        'merge',
      );
    } catch (err) {
      // Scaling a canary that doesn't exist (any more) to 0 is already done.
      if (statusOf(err) === 404 && replicas === 0) return;
      if (statusOf(err) === 404)
        throw new Error(
          `Deployment ${this.options.namespace}/${this.names[side]} does not exist: cannot scale it to ${replicas}`,
        );
      throw err;
    }
  }
}
