// The Service selector router (`service`): all traffic goes to one side, chosen by one label in the
// Service's selector (blue/green: `kdeploy.dev/color`). A flip is one merge patch of the selector; the
// endpoints controller swaps the endpoints within a second, so rolling back inside the scale-down window
// is one such patch. It can't hold a partial split and says so.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Cluster, ObjectRef } from '../core/cluster.js';
import {
  type Router,
  type RouterCapabilities,
  type RouteTargets,
  UnsupportedError,
  type WeightResult,
  type Weights,
} from '../core/ports.js';

export interface ServiceRouterOptions {
  cluster: Pick<Cluster, 'get' | 'patch'>;
  namespace: string;
  /** The Service whose selector flips (the active Service). */
  service: string;
  /** The selector label that tells the sides apart. */
  label: string;
  /** Its value for the side that weight 0 selects and for the side that weight 100 selects. */
  values: { stable: string; canary: string };
}

interface ServiceShape extends KubernetesObject {
  spec?: { selector?: Record<string, string> };
}

export class ServiceRouter implements Router {
  readonly name = 'service';
  readonly capabilities: RouterCapabilities = { granularity: 100, readBack: true, partialWeights: false };
  private readonly ref: ObjectRef;

  constructor(private readonly options: ServiceRouterOptions) {
    this.ref = { apiVersion: 'v1', kind: 'Service', name: options.service, namespace: options.namespace };
  }

  private get where(): string {
    return `Service ${this.options.namespace}/${this.options.service}`;
  }

  async prepare(_targets: RouteTargets): Promise<void> {
    if (!(await this.options.cluster.get(this.ref)))
      throw new Error(`${this.where} does not exist: the service router needs it`);
  }

  private valueFor(canaryPercent: number): string {
    if (canaryPercent !== 0 && canaryPercent !== 100) {
      throw new UnsupportedError(
        `the service router sends all traffic to one side (weight 0 or 100), not ${canaryPercent} %; use router type replicas or alb for partial weights`,
      );
    }
    return canaryPercent === 100 ? this.options.values.canary : this.options.values.stable;
  }

  async setWeight(canaryPercent: number): Promise<WeightResult> {
    const value = this.valueFor(canaryPercent);
    const { label } = this.options;
    // A JSON merge patch replaces only this key of the selector; the rest (kdeploy.dev/app) stays.
    const patched = await this.options.cluster.patch<ServiceShape>(
      this.ref,
      { spec: { selector: { [label]: value } } },
      'merge',
    );
    const verified = patched.spec?.selector?.[label] === value;
    return {
      requested: canaryPercent,
      achieved: verified ? canaryPercent : 100 - canaryPercent,
      verified,
      detail: `${label}=${value}`,
    };
  }

  async getWeights(): Promise<Weights> {
    const service = await this.options.cluster.get<ServiceShape>(this.ref);
    if (!service) throw new Error(`${this.where} does not exist`);
    const canary = service.spec?.selector?.[this.options.label] === this.options.values.canary ? 100 : 0;
    return { stable: 100 - canary, canary };
  }

  describe(canaryPercent: number): string[] {
    return [`patch ${this.where} spec.selector ${this.options.label}=${this.valueFor(canaryPercent)}`];
  }
}
