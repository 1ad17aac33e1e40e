import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { KubernetesObject } from '@kubernetes/client-node';
import { formatDuration } from '../config/duration.js';
import type { AlbIngressRouterConfig } from '../config/router-schema.js';
import type { Router, RouteTargets, WeightResult, Weights } from '../core/ports.js';
import { AwsRouterError, awsCall, type Elbv2, lazy, loadElbv2, pollUntil } from './aws-clients.js';
import {
  type AwsRouterContext,
  accessOf,
  type ObjectRef,
  type RoutedServices,
  requireKube,
  servicesOf,
} from './aws-routers.js';
import { ALB_SCALE, granularityOf, percentOf, splitPercent, type WeightPair } from './aws-weights.js';

// The `alb-ingress` router: the AWS Load Balancer Controller owns the ALB (it would reconcile direct ELBv2
// edits away), so kdeploy writes the weighted forward action into the Ingress annotation
// `alb.ingress.kubernetes.io/actions.<name>` with a merge patch and the controller applies it — Argo Rollouts'
// way. The annotation is JSON; the controller decodes it with Go's encoding/json, which matches keys
// case-insensitively, so both the current camelCase and the older PascalCase documents are read; kdeploy
// writes camelCase, as the controller's current docs do. Weights use the ALB scale (0–999, total 1000).
// With `verify`, the weights are also read back from ELBv2 (like Argo's --aws-verify-target-group).

const ACTION_PREFIX = 'alb.ingress.kubernetes.io/actions.';
const VERIFY_POLL_MS = 5_000;

type Json = Record<string, unknown>;

interface IngressLike extends KubernetesObject {
  spec?: {
    defaultBackend?: { service?: { name?: string; port?: { name?: string } } };
    rules?: {
      http?: { paths?: { backend?: { service?: { name?: string; port?: { name?: string } } } }[] };
    }[];
  };
  status?: { loadBalancer?: { ingress?: { hostname?: string }[] } };
}

/** A JSON field by name, ignoring case (Go's encoding/json does the same). */
function field(obj: unknown, name: string): unknown {
  if (!obj || typeof obj !== 'object') return undefined;
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : (obj as Json)[key];
}

/** The services whose Ingress backend port is `use-annotation`: the candidates for `actions.<name>`. */
export function annotationBackends(ingress: IngressLike): string[] {
  const backends = [
    ingress.spec?.defaultBackend,
    ...(ingress.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend)),
  ];
  const names = backends
    .filter((b) => b?.service?.port?.name === 'use-annotation')
    .map((b) => b!.service!.name!);
  return [...new Set(names)];
}

export interface ParsedAction {
  targetGroups: Json[];
  stickiness?: unknown;
}

/** Reads an actions.<name> annotation; undefined when absent. */
export function parseAction(value: string | undefined, where: string): ParsedAction | undefined {
  if (value === undefined) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch (err) {
    throw new AwsRouterError(`${where} is not valid JSON: ${(err as Error).message}`, 2);
  }
  if (field(doc, 'type') !== 'forward') {
    throw new AwsRouterError(
      `${where} is a ${JSON.stringify(field(doc, 'type'))} action; kdeploy shifts weights of a forward action`,
      2,
    );
  }
  const forward = field(doc, 'forwardConfig');
  const groups = field(forward, 'targetGroups');
  const single = field(doc, 'targetGroupARN');
  return {
    targetGroups: Array.isArray(groups) ? (groups as Json[]) : single ? [{ targetGroupARN: single }] : [],
    stickiness: field(forward, 'targetGroupStickinessConfig'),
  };
}

const serviceOf = (tg: Json) => field(tg, 'serviceName');
const weightOf = (tg: Json) => Number(field(tg, 'weight') ?? 1);

export function weightsOfAction(action: ParsedAction | undefined, services: RoutedServices): WeightPair {
  const weight = (name: string) => {
    const tg = action?.targetGroups.find((t) => serviceOf(t) === name);
    return tg ? weightOf(tg) : 0;
  };
  return { stable: weight(services.stable), canary: weight(services.canary) };
}

/**
 * The annotation value for `pair`: the two services' weights set, other target groups kept (they must not
 * take traffic) and the stickiness config kept as it was.
 */
export function actionAnnotation(
  current: ParsedAction | undefined,
  services: RoutedServices,
  pair: WeightPair,
  where: string,
): string {
  const groups = current?.targetGroups ?? [];
  const foreign = groups.filter((t) => serviceOf(t) !== services.stable && serviceOf(t) !== services.canary);
  const busy = foreign.filter((t) => weightOf(t) > 0);
  if (busy.length > 0) {
    throw new AwsRouterError(
      `${where} also forwards to ${busy.map((t) => JSON.stringify(t)).join(', ')}; kdeploy splits between the stable and canary Services only`,
      2,
    );
  }
  const port = typeof services.port === 'number' ? services.port : String(services.port);
  const targetGroups = [
    { serviceName: services.stable, servicePort: port, weight: pair.stable },
    { serviceName: services.canary, servicePort: port, weight: pair.canary },
    ...foreign,
  ];
  if (targetGroups.length > 5) {
    throw new AwsRouterError(
      `${where}: a forward action holds at most 5 target groups (ALB quota); it would hold ${targetGroups.length}`,
      2,
    );
  }
  return JSON.stringify({
    type: 'forward',
    forwardConfig: {
      targetGroups,
      ...(current?.stickiness !== undefined ? { targetGroupStickinessConfig: current.stickiness } : {}),
    },
  });
}

export class AlbIngressRouter implements Router {
  readonly name = 'alb-ingress';
  readonly capabilities = { granularity: granularityOf(ALB_SCALE), readBack: true, partialWeights: true };
  private readonly api: () => Promise<Elbv2>;
  private readonly services: RoutedServices;
  private readonly ref: ObjectRef;

  constructor(
    private readonly config: AlbIngressRouterConfig,
    private readonly ctx: AwsRouterContext,
  ) {
    const services = servicesOf(ctx);
    this.services = { ...services, port: config.servicePort ?? services.port };
    this.ref = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      name: config.ingress,
      namespace: ctx.namespace,
    };
    this.api = lazy(() => loadElbv2(accessOf(config, ctx)));
  }

  private async ingress(): Promise<IngressLike> {
    const kube = requireKube(this.ctx, `edit Ingress ${this.config.ingress}`);
    const ingress = await kube.get<IngressLike>(this.ref);
    if (!ingress)
      throw new AwsRouterError(
        `router.ingress: Ingress ${this.ctx.namespace}/${this.config.ingress} not found`,
        2,
      );
    return ingress;
  }

  /** The annotation key: `actions.<actionName>`, or of the one backend that says `use-annotation`. */
  private keyOf(ingress: IngressLike): string {
    if (this.config.actionName) return ACTION_PREFIX + this.config.actionName;
    const names = annotationBackends(ingress);
    if (names.length !== 1) {
      throw new AwsRouterError(
        `router.actionName: Ingress ${this.config.ingress} has ${names.length ? `several backends with port use-annotation (${names.join(', ')})` : 'no backend with port name use-annotation'}; set router.actionName`,
        2,
      );
    }
    return ACTION_PREFIX + names[0];
  }

  private async read(): Promise<{ ingress: IngressLike; key: string; action: ParsedAction | undefined }> {
    const ingress = await this.ingress();
    const key = this.keyOf(ingress);
    return { ingress, key, action: parseAction(ingress.metadata?.annotations?.[key], `annotation ${key}`) };
  }

  private async write(key: string, current: ParsedAction | undefined, pair: WeightPair): Promise<void> {
    const value = actionAnnotation(current, this.services, pair, `annotation ${key}`);
    await requireKube(this.ctx, 'patch the Ingress').patch(this.ref, {
      metadata: { annotations: { [key]: value } },
    });
  }

  /** Writes the annotation at the current split (100 % stable when absent), so both Services are in the action. */
  async prepare(_targets: RouteTargets): Promise<void> {
    const { key, action } = await this.read();
    const pair = action ? weightsOfAction(action, this.services) : splitPercent(0, ALB_SCALE);
    await this.write(key, action, percentOf(pair) === undefined ? splitPercent(0, ALB_SCALE) : pair);
  }

  async setWeight(canaryPercent: number, signal?: AbortSignal): Promise<WeightResult> {
    const pair = splitPercent(canaryPercent, ALB_SCALE);
    const { key, action } = await this.read();
    await this.write(key, action, pair);
    const after = await this.read();
    const back = weightsOfAction(after.action, this.services);
    let verified = back.stable === pair.stable && back.canary === pair.canary;
    let detail = `Ingress ${this.config.ingress} ${key}: ${this.services.stable}=${back.stable} ${this.services.canary}=${back.canary}`;
    if (verified && this.config.verify) {
      verified = await this.verifyOnAws(after.ingress, pair, signal);
      detail += verified
        ? ' (verified on the ALB)'
        : ` (the ALB did not show it within ${formatDuration(this.config.verifyTimeout)})`;
    }
    return { requested: canaryPercent, achieved: percentOf(back) ?? 0, verified, detail };
  }

  async getWeights(): Promise<Weights> {
    const canary = percentOf(weightsOfAction((await this.read()).action, this.services));
    if (canary === undefined)
      throw new AwsRouterError(`Ingress ${this.config.ingress}: neither Service has weight`, 1);
    return { stable: 100 - canary, canary };
  }

  describe(canaryPercent: number): string[] {
    const pair = splitPercent(canaryPercent, ALB_SCALE);
    const name = this.config.actionName ?? '<use-annotation backend>';
    return [
      `kubernetes:patch Ingress ${this.ctx.namespace}/${this.config.ingress} ${ACTION_PREFIX}${name} forward ${this.services.stable}=${pair.stable} ${this.services.canary}=${pair.canary}`,
      ...(this.config.verify
        ? [
            `elbv2:DescribeLoadBalancers/DescribeListeners/DescribeRules/DescribeTags (until the ALB shows it, at most ${formatDuration(this.config.verifyTimeout)})`,
          ]
        : []),
    ];
  }

  // --- AWS-side verification -------------------------------------------------------------------------------

  private call<T>(what: string, fn: (api: Elbv2) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return awsCall(what, async () => fn(await this.api()), this.ctx.clock, signal, this.ctx.retry);
  }

  /**
   * Finds the Ingress's ALB by its DNS name, then polls until one of its rules forwards to the stable and
   * canary target groups with the written weights. The controller tags its target groups
   * `ingress.k8s.aws/resource: <namespace>/<ingress>-<service>:<port>` (the tag Argo Rollouts matches too).
   */
  private async verifyOnAws(ingress: IngressLike, pair: WeightPair, signal?: AbortSignal): Promise<boolean> {
    const hostname = ingress.status?.loadBalancer?.ingress?.[0]?.hostname;
    if (!hostname) return false;
    const resource = (service: string) =>
      `${this.ctx.namespace}/${this.config.ingress}-${service}:${this.services.port}`;
    const shown = await pollUntil(
      async () => {
        const actions = await this.albForwardActions(hostname, signal);
        const arns = [
          ...new Set(
            actions.flatMap((a) => (a.ForwardConfig?.TargetGroups ?? []).map((t) => t.TargetGroupArn!)),
          ),
        ];
        const tags = arns.length ? await this.resourceTags(arns, signal) : new Map<string, string>();
        const arnOf = (service: string) => [...tags].find(([, r]) => r === resource(service))?.[0];
        const [stable, canary] = [arnOf(this.services.stable), arnOf(this.services.canary)];
        const ok = actions.some((a) => {
          const groups = a.ForwardConfig?.TargetGroups ?? [];
          const w = (arn?: string) => groups.find((t) => t.TargetGroupArn === arn)?.Weight ?? 0;
          return (
            groups.some((t) => t.TargetGroupArn === stable) &&
            w(stable) === pair.stable &&
            w(canary) === pair.canary
          );
        });
        return ok ? true : undefined;
      },
      { clock: this.ctx.clock, timeoutMs: this.config.verifyTimeout, intervalMs: VERIFY_POLL_MS, signal },
    );
    return shown === true;
  }

  private async albForwardActions(hostname: string, signal?: AbortSignal): Promise<Action[]> {
    const lbs = await this.call('elbv2:DescribeLoadBalancers', ({ sdk, client }) =>
      client.send(new sdk.DescribeLoadBalancersCommand({}), { abortSignal: signal }),
    );
    const lb = lbs.LoadBalancers?.find((l) => l.DNSName?.toLowerCase() === hostname.toLowerCase());
    if (!lb) return [];
    const listeners = await this.call(`elbv2:DescribeListeners ${lb.LoadBalancerArn}`, ({ sdk, client }) =>
      client.send(new sdk.DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }), {
        abortSignal: signal,
      }),
    );
    const actions: Action[] = [];
    for (const listener of listeners.Listeners ?? []) {
      const rules = await this.call(`elbv2:DescribeRules ${listener.ListenerArn}`, ({ sdk, client }) =>
        client.send(new sdk.DescribeRulesCommand({ ListenerArn: listener.ListenerArn }), {
          abortSignal: signal,
        }),
      );
      actions.push(
        ...(rules.Rules ?? []).flatMap((r) => r.Actions ?? []).filter((a) => a.Type === 'forward'),
      );
    }
    return actions;
  }

  /** target group ARN → its ingress.k8s.aws/resource tag (DescribeTags takes at most 20 ARNs). */
  private async resourceTags(arns: string[], signal?: AbortSignal): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < arns.length; i += 20) {
      const page = await this.call('elbv2:DescribeTags', ({ sdk, client }) =>
        client.send(new sdk.DescribeTagsCommand({ ResourceArns: arns.slice(i, i + 20) }), {
          abortSignal: signal,
        }),
      );
      for (const d of page.TagDescriptions ?? []) {
        const tag = d.Tags?.find((t) => t.Key === 'ingress.k8s.aws/resource');
        if (d.ResourceArn && tag?.Value) out.set(d.ResourceArn, tag.Value);
      }
    }
    return out;
  }
}
