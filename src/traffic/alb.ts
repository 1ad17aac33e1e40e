import type {
  Action,
  TargetGroupTuple,
  TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { formatDuration } from '../config/duration.js';
import type { AlbRouterConfig } from '../config/router-schema.js';
import type { Router, RouteTargets, WeightResult, Weights } from '../core/ports.js';
import { loadTemplate } from '../manifests/render.js';
import {
  AwsRouterError,
  awsCall,
  type Elbv2,
  lazy,
  loadElbv2,
  pollUntil,
  regionOfArn,
} from './aws-clients.js';
import { type AwsRouterContext, accessOf, requireKube, servicesOf } from './aws-routers.js';
import { ALB_SCALE, granularityOf, percentOf, splitPercent, type WeightPair } from './aws-weights.js';

// The `alb` router: kdeploy owns the listener (or one of its rules) and moves weights between the stable
// and canary target groups of its forward action with ModifyListener / ModifyRule. Both calls replace the
// whole action list, so every other action (authenticate-*, fixed responses, redirects), the rule's
// conditions (ModifyRule leaves them unchanged when omitted) and the stickiness config are written back as
// read. Pods get into the target groups through TargetGroupBindings that the AWS Load Balancer Controller
// reconciles, or through the user's own registration (targetGroupBinding: false).

/** ALB quota: target groups in one forward action (not adjustable). */
export const MAX_TARGET_GROUPS_PER_ACTION = 5;
const HEALTH_POLL_MS = 5_000;

export interface AlbTargetGroups {
  stable: string;
  canary: string;
}

function tuplesOf(action: Action): TargetGroupTuple[] {
  if (action.ForwardConfig?.TargetGroups?.length) return action.ForwardConfig.TargetGroups;
  return action.TargetGroupArn ? [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }] : [];
}

/** The forward action that serves the stable (or canary) target group. */
export function findForwardAction(actions: Action[], tgs: AlbTargetGroups, where: string): number {
  const index = actions.findIndex(
    (a) =>
      a.Type === 'forward' &&
      tuplesOf(a).some((t) => t.TargetGroupArn === tgs.stable || t.TargetGroupArn === tgs.canary),
  );
  if (index < 0) {
    const seen = actions.map((a) =>
      a.Type === 'forward'
        ? `forward → ${tuplesOf(a)
            .map((t) => t.TargetGroupArn)
            .join(', ')}`
        : a.Type,
    );
    throw new AwsRouterError(
      `${where} has no forward action to the stable target group ${tgs.stable} (its actions: ${seen.join('; ') || 'none'}); ` +
        'point router.listenerArn/ruleArn at the listener or rule that serves the app',
      2,
    );
  }
  return index;
}

/** The stable/canary weights of a forward action; a missing target group has weight 0. */
export function weightsOf(action: Action, tgs: AlbTargetGroups): WeightPair {
  const weight = (arn: string) => {
    const t = tuplesOf(action).find((x) => x.TargetGroupArn === arn);
    return t ? (t.Weight ?? 1) : 0; // ALB's default weight is 1
  };
  return { stable: weight(tgs.stable), canary: weight(tgs.canary) };
}

/** An action as ModifyListener/ModifyRule accept it back. */
function writable(action: Action): Action {
  const { AuthenticateOidcConfig: oidc, ...rest } = action;
  if (!oidc) return rest;
  // Describe never returns the client secret; without this flag ModifyListener would demand it.
  return {
    ...rest,
    AuthenticateOidcConfig: oidc.ClientSecret ? oidc : { ...oidc, UseExistingClientSecret: true },
  };
}

/**
 * The action list with the stable/canary weights set to `pair`, everything else as it was. Refuses what
 * would make `pair` a lie (another target group still taking traffic) or what ALB would reject (more than
 * five target groups in one action).
 */
export function withSplit(
  actions: Action[],
  tgs: AlbTargetGroups,
  pair: WeightPair,
  where: string,
): Action[] {
  const index = findForwardAction(actions, tgs, where);
  const action = actions[index]!;
  const tuples = tuplesOf(action);
  const foreign = tuples.filter((t) => t.TargetGroupArn !== tgs.stable && t.TargetGroupArn !== tgs.canary);
  const busy = foreign.filter((t) => (t.Weight ?? 1) > 0);
  if (busy.length > 0) {
    throw new AwsRouterError(
      `${where} also forwards to ${busy.map((t) => `${t.TargetGroupArn} (weight ${t.Weight ?? 1})`).join(', ')}; ` +
        'kdeploy splits traffic between the stable and canary target groups only: set those weights to 0 or use another rule',
      2,
    );
  }
  const next: TargetGroupTuple[] = tuples.map((t) =>
    t.TargetGroupArn === tgs.stable
      ? { ...t, Weight: pair.stable }
      : t.TargetGroupArn === tgs.canary
        ? { ...t, Weight: pair.canary }
        : t,
  );
  for (const arn of [tgs.stable, tgs.canary]) {
    if (!next.some((t) => t.TargetGroupArn === arn))
      next.push({ TargetGroupArn: arn, Weight: arn === tgs.stable ? pair.stable : pair.canary });
  }
  if (next.length > MAX_TARGET_GROUPS_PER_ACTION) {
    throw new AwsRouterError(
      `${where}: a forward action holds at most ${MAX_TARGET_GROUPS_PER_ACTION} target groups (ALB quota, not adjustable); ` +
        `with the canary it would hold ${next.length}: remove unused target groups from it first`,
      2,
    );
  }
  const { TargetGroupArn: _single, ForwardConfig: config, ...rest } = action;
  const forward: Action = {
    ...writable(rest),
    ForwardConfig: {
      TargetGroups: next,
      ...(config?.TargetGroupStickinessConfig
        ? { TargetGroupStickinessConfig: config.TargetGroupStickinessConfig }
        : {}),
    },
  };
  return actions.map((a, i) => (i === index ? forward : writable(a)));
}

/**
 * Whether a target group may take traffic: at least one target and every target not draining is healthy.
 * `initial` (checks still running), `unhealthy`, `unused` (no listener references the group) and
 * `unavailable` all mean wait.
 */
export function targetHealthVerdict(descriptions: TargetHealthDescription[]): {
  ready: boolean;
  summary: string;
} {
  const live = descriptions.filter((d) => d.TargetHealth?.State !== 'draining');
  if (live.length === 0) return { ready: false, summary: 'no targets registered' };
  const counts = new Map<string, number>();
  for (const d of live) {
    const key = [d.TargetHealth?.State ?? 'unknown', d.TargetHealth?.Reason].filter(Boolean).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const summary = [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
  return { ready: live.every((d) => d.TargetHealth?.State === 'healthy'), summary };
}

export class AlbRouter implements Router {
  readonly name = 'alb';
  readonly capabilities = { granularity: granularityOf(ALB_SCALE), readBack: true, partialWeights: true };
  private readonly api: () => Promise<Elbv2>;
  private readonly tgs: AlbTargetGroups;

  constructor(
    private readonly config: AlbRouterConfig,
    private readonly ctx: AwsRouterContext,
  ) {
    this.tgs = { stable: config.stableTargetGroupArn, canary: config.canaryTargetGroupArn };
    this.api = lazy(() => loadElbv2(accessOf(config, ctx, regionOfArn(config.stableTargetGroupArn))));
  }

  private get where(): string {
    return this.config.ruleArn
      ? `rule ${this.config.ruleArn}`
      : `listener ${this.config.listenerArn} (default action)`;
  }

  private call<T>(what: string, fn: (api: Elbv2) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return awsCall(what, async () => fn(await this.api()), this.ctx.clock, signal, this.ctx.retry);
  }

  private async readActions(signal?: AbortSignal): Promise<Action[]> {
    const { ruleArn, listenerArn } = this.config;
    if (ruleArn) {
      const out = await this.call(`elbv2:DescribeRules ${ruleArn}`, ({ sdk, client }) =>
        client.send(new sdk.DescribeRulesCommand({ RuleArns: [ruleArn] }), { abortSignal: signal }),
      );
      const rule = out.Rules?.[0];
      if (!rule) throw new AwsRouterError(`router.ruleArn: rule ${ruleArn} not found`, 2);
      if (rule.IsDefault) {
        throw new AwsRouterError(
          `router.ruleArn: ${ruleArn} is a listener's default rule; set router.listenerArn instead`,
          2,
        );
      }
      return rule.Actions ?? [];
    }
    const out = await this.call(`elbv2:DescribeListeners ${listenerArn}`, ({ sdk, client }) =>
      client.send(new sdk.DescribeListenersCommand({ ListenerArns: [listenerArn!] }), {
        abortSignal: signal,
      }),
    );
    const listener = out.Listeners?.[0];
    if (!listener) throw new AwsRouterError(`router.listenerArn: listener ${listenerArn} not found`, 2);
    return listener.DefaultActions ?? [];
  }

  private async writeActions(actions: Action[], signal?: AbortSignal): Promise<void> {
    const { ruleArn, listenerArn } = this.config;
    if (ruleArn) {
      await this.call(`elbv2:ModifyRule ${ruleArn}`, ({ sdk, client }) =>
        client.send(new sdk.ModifyRuleCommand({ RuleArn: ruleArn, Actions: actions }), {
          abortSignal: signal,
        }),
      );
    } else {
      await this.call(`elbv2:ModifyListener ${listenerArn}`, ({ sdk, client }) =>
        client.send(new sdk.ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: actions }), {
          abortSignal: signal,
        }),
      );
    }
  }

  private async readPair(signal?: AbortSignal): Promise<WeightPair> {
    const actions = await this.readActions(signal);
    return weightsOf(actions[findForwardAction(actions, this.tgs, this.where)]!, this.tgs);
  }

  /** The TargetGroupBinding objects for the stable and canary Services (targetgroupbinding.yaml.hbs, overridable). */
  bindings(): KubernetesObject[] {
    const services = servicesOf(this.ctx);
    const template = loadTemplate('targetgroupbinding', this.ctx.templatesDir);
    return (['stable', 'canary'] as const).map(
      (role) =>
        parse(
          template({
            name: services[role],
            namespace: this.ctx.namespace,
            app: this.ctx.app,
            role,
            serviceName: services[role],
            servicePort: services.port,
            targetGroupArn: this.tgs[role],
          }),
        ) as KubernetesObject,
    );
  }

  /**
   * Binds the pods to the target groups (when kdeploy manages registration) and attaches the canary target
   * group to the forward action at weight 0: ALB health-checks only target groups a listener references.
   */
  async prepare(_targets: RouteTargets, signal?: AbortSignal): Promise<void> {
    if (this.config.targetGroupBinding) {
      const kube = requireKube(
        this.ctx,
        'create TargetGroupBindings (or set router.targetGroupBinding: false)',
      );
      for (const binding of this.bindings()) await kube.apply(binding);
    }
    const actions = await this.readActions(signal);
    const forward = actions[findForwardAction(actions, this.tgs, this.where)]!;
    if (!tuplesOf(forward).some((t) => t.TargetGroupArn === this.tgs.canary)) {
      await this.writeActions(withSplit(actions, this.tgs, splitPercent(0, ALB_SCALE), this.where), signal);
    }
  }

  /** Waits (on the Clock, up to healthTimeout) until the canary target group's targets are all healthy. */
  async waitCanaryHealthy(signal?: AbortSignal): Promise<void> {
    let last = 'not checked yet';
    const healthy = await pollUntil(
      async () => {
        const out = await this.call(`elbv2:DescribeTargetHealth ${this.tgs.canary}`, ({ sdk, client }) =>
          client.send(new sdk.DescribeTargetHealthCommand({ TargetGroupArn: this.tgs.canary }), {
            abortSignal: signal,
          }),
        );
        const verdict = targetHealthVerdict(out.TargetHealthDescriptions ?? []);
        last = verdict.summary;
        return verdict.ready ? true : undefined;
      },
      { clock: this.ctx.clock, timeoutMs: this.config.healthTimeout, intervalMs: HEALTH_POLL_MS, signal },
    );
    if (!healthy) {
      throw new AwsRouterError(
        `canary target group ${this.tgs.canary} not healthy after ${formatDuration(this.config.healthTimeout)} (${last}); ` +
          'it gets no traffic until its targets pass the health check',
        1,
      );
    }
  }

  async setWeight(canaryPercent: number, signal?: AbortSignal): Promise<WeightResult> {
    const pair = splitPercent(canaryPercent, ALB_SCALE);
    if (pair.canary > 0) await this.waitCanaryHealthy(signal);
    const actions = await this.readActions(signal);
    const current = weightsOf(actions[findForwardAction(actions, this.tgs, this.where)]!, this.tgs);
    if (current.stable !== pair.stable || current.canary !== pair.canary) {
      await this.writeActions(withSplit(actions, this.tgs, pair, this.where), signal);
    }
    const back = await this.readPair(signal);
    const verified = back.stable === pair.stable && back.canary === pair.canary;
    return {
      requested: canaryPercent,
      achieved: percentOf(back) ?? 0,
      verified,
      detail: `${this.where}: stable=${back.stable} canary=${back.canary}${verified ? '' : ` (wrote stable=${pair.stable} canary=${pair.canary})`}`,
    };
  }

  async getWeights(signal?: AbortSignal): Promise<Weights> {
    const pair = await this.readPair(signal);
    const canary = percentOf(pair);
    if (canary === undefined) {
      throw new AwsRouterError(`${this.where}: both the stable and the canary target group have weight 0`, 1);
    }
    return { stable: 100 - canary, canary };
  }

  describe(canaryPercent: number): string[] {
    const pair = splitPercent(canaryPercent, ALB_SCALE);
    const [read, modify, arn] = this.config.ruleArn
      ? ['DescribeRules', 'ModifyRule', this.config.ruleArn]
      : ['DescribeListeners', 'ModifyListener', this.config.listenerArn!];
    return [
      ...(pair.canary > 0
        ? [
            `elbv2:DescribeTargetHealth ${this.tgs.canary} (until healthy, at most ${formatDuration(this.config.healthTimeout)})`,
          ]
        : []),
      `elbv2:${read} ${arn}`,
      `elbv2:${modify} ${arn} forward stable=${pair.stable} canary=${pair.canary} (other actions and stickiness kept)`,
      `elbv2:${read} ${arn} (verify)`,
    ];
  }
}
