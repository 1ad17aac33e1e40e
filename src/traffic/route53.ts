import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { KubernetesObject } from '@kubernetes/client-node';
import { formatDuration } from '../config/duration.js';
import type { Route53RouterConfig } from '../config/router-schema.js';
import type { Router, RouteTargets, WeightResult, Weights } from '../core/ports.js';
import { AwsRouterError, awsCall, lazy, loadRoute53, pollUntil, type Route53 } from './aws-clients.js';
import { type AwsRouterContext, accessOf, type ObjectRef, requireKube, servicesOf } from './aws-routers.js';
import { granularityOf, percentOf, ROUTE53_SCALE, splitPercent, type WeightPair } from './aws-weights.js';

// The `route53` router: two weighted records of one name — one per version, told apart by SetIdentifier —
// and the canary's share is its weight over the sum. Both records are written in one change batch
// (transactional: never a moment with only one of them changed), then the router waits for INSYNC and
// tells the engine to dwell for the TTL, because resolvers keep serving the old answer that long.
//
// In external-dns mode external-dns owns the records (and reverts direct edits), so the router writes
// external-dns's annotations on the two Services or Ingresses instead and, optionally, watches Route 53
// until external-dns has applied them.

const SYNC_POLL_MS = 5_000;
/** An alias to a load balancer answers with the load balancer's TTL, 60 s. */
const ALIAS_TTL_S = 60;
const ANNOTATION = 'external-dns.alpha.kubernetes.io';

type Role = 'stable' | 'canary';
const ROLES: Role[] = ['stable', 'canary'];

/** Route 53 returns names lower-case, fully qualified, with `*` escaped; compare on that form. */
export function normalizeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^\\052/, '*');
}

/**
 * The stable/canary weights among the records of one name and type. A non-weighted record, or another
 * weighted record that still takes traffic, would make the split something other than what kdeploy reports:
 * both are refused. Returns undefined weights for records that don't exist yet.
 */
export function weightsFromRecords(
  records: ResourceRecordSet[],
  ids: Record<Role, string>,
  name: string,
  type: string,
): { stable?: number; canary?: number } {
  const group = records.filter((r) => normalizeName(r.Name ?? '') === normalizeName(name) && r.Type === type);
  const plain = group.find((r) => r.SetIdentifier === undefined);
  if (plain) {
    throw new AwsRouterError(
      `router.recordName: ${name} ${type} already exists as a non-weighted record; Route 53 cannot mix it with weighted records (delete it or pick another name)`,
      2,
    );
  }
  const busy = group.filter(
    (r) => r.SetIdentifier !== ids.stable && r.SetIdentifier !== ids.canary && (r.Weight ?? 0) > 0,
  );
  if (busy.length > 0) {
    throw new AwsRouterError(
      `router.recordName: ${name} ${type} has other weighted records taking traffic (${busy.map((r) => `${r.SetIdentifier}=${r.Weight}`).join(', ')}); ` +
        'kdeploy splits between its stable and canary records only',
      2,
    );
  }
  const weight = (id: string) => group.find((r) => r.SetIdentifier === id)?.Weight;
  return { stable: weight(ids.stable), canary: weight(ids.canary) };
}

export class Route53Router implements Router {
  readonly name = 'route53';
  readonly capabilities = { granularity: granularityOf(ROUTE53_SCALE), readBack: true, partialWeights: true };
  private readonly api: () => Promise<Route53>;
  private readonly ids: Record<Role, string>;
  private readonly zoneId: string;

  constructor(
    private readonly config: Route53RouterConfig,
    private readonly ctx: AwsRouterContext,
  ) {
    // Unique per record name: moto's DELETE removes every record with a SetIdentifier zone-wide, and two apps
    // sharing a zone must not share identifiers anyway.
    this.ids = {
      stable: config.stable.setIdentifier ?? `${ctx.namespace}-${ctx.app}-stable`,
      canary: config.canary.setIdentifier ?? `${ctx.namespace}-${ctx.app}-canary`,
    };
    this.zoneId = config.hostedZoneId.replace(/^\/hostedzone\//, '');
    this.api = lazy(() => loadRoute53(accessOf(config, ctx)));
  }

  /** How long clients may keep the previous answer: the record TTL (60 s for alias records) or `dwell`. */
  get dwellMs(): number {
    if (this.config.dwell !== undefined) return this.config.dwell;
    const alias = this.config.mode === 'api' && (this.config.stable.alias || this.config.canary.alias);
    return (alias ? ALIAS_TTL_S : this.config.ttl) * 1000;
  }

  private call<T>(what: string, fn: (api: Route53) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return awsCall(what, async () => fn(await this.api()), this.ctx.clock, signal, this.ctx.retry);
  }

  private recordSet(role: Role, weight: number): ResourceRecordSet {
    const target = this.config[role];
    const base = {
      Name: this.config.recordName,
      Type: this.config.recordType,
      SetIdentifier: this.ids[role],
      Weight: weight,
    };
    if (target.alias) {
      return {
        ...base,
        AliasTarget: {
          DNSName: target.alias.dnsName,
          HostedZoneId: target.alias.hostedZoneId,
          EvaluateTargetHealth: target.alias.evaluateTargetHealth,
        },
      };
    }
    return { ...base, TTL: this.config.ttl, ResourceRecords: [{ Value: target.value! }] };
  }

  /** The records of our name and type, following pages while they stay on that name. */
  private async readRecords(signal?: AbortSignal): Promise<ResourceRecordSet[]> {
    const { recordName, recordType } = this.config;
    const records: ResourceRecordSet[] = [];
    let start: { name?: string; type?: string; id?: string } = { name: recordName, type: recordType };
    for (;;) {
      const page = await this.call(
        `route53:ListResourceRecordSets ${this.zoneId} ${recordName}`,
        ({ sdk, client }) =>
          client.send(
            new sdk.ListResourceRecordSetsCommand({
              HostedZoneId: this.zoneId,
              StartRecordName: start.name,
              StartRecordType: start.type as never,
              StartRecordIdentifier: start.id,
              MaxItems: 100,
            }),
            { abortSignal: signal },
          ),
      );
      records.push(...(page.ResourceRecordSets ?? []));
      const more =
        page.IsTruncated &&
        normalizeName(page.NextRecordName ?? '') === normalizeName(recordName) &&
        page.NextRecordType === recordType;
      if (!more) return records;
      start = { name: page.NextRecordName, type: page.NextRecordType, id: page.NextRecordIdentifier };
    }
  }

  private async readRoute53Pair(signal?: AbortSignal): Promise<{ stable?: number; canary?: number }> {
    return weightsFromRecords(
      await this.readRecords(signal),
      this.ids,
      this.config.recordName,
      this.config.recordType,
    );
  }

  /** UPSERTs both records in one batch and waits for INSYNC. */
  private async writeRecords(pair: WeightPair, comment: string, signal?: AbortSignal): Promise<void> {
    const out = await this.call(
      `route53:ChangeResourceRecordSets ${this.zoneId} ${this.config.recordName}`,
      ({ sdk, client }) =>
        client.send(
          new sdk.ChangeResourceRecordSetsCommand({
            HostedZoneId: this.zoneId,
            ChangeBatch: {
              Comment: comment,
              Changes: ROLES.map((role) => ({
                Action: 'UPSERT' as const,
                ResourceRecordSet: this.recordSet(role, pair[role]),
              })),
            },
          }),
          { abortSignal: signal },
        ),
    );
    const changeId = out.ChangeInfo?.Id;
    if (!changeId || out.ChangeInfo?.Status === 'INSYNC') return;
    let status: string = out.ChangeInfo?.Status ?? 'PENDING';
    const synced = await pollUntil(
      async () => {
        const change = await this.call(`route53:GetChange ${changeId}`, ({ sdk, client }) =>
          client.send(new sdk.GetChangeCommand({ Id: changeId }), { abortSignal: signal }),
        );
        status = change.ChangeInfo?.Status ?? status;
        return status === 'INSYNC' ? true : undefined;
      },
      { clock: this.ctx.clock, timeoutMs: this.config.syncTimeout, intervalMs: SYNC_POLL_MS, signal },
    );
    if (!synced) {
      throw new AwsRouterError(
        `route53 change ${changeId} still ${status} after ${formatDuration(this.config.syncTimeout)} (router.syncTimeout)`,
        5,
      );
    }
  }

  // --- external-dns mode ---------------------------------------------------------------------------------

  private objectRef(role: Role): ObjectRef {
    const { kind } = this.config.externalDns;
    return {
      apiVersion: kind === 'Service' ? 'v1' : 'networking.k8s.io/v1',
      kind,
      name: this.config.externalDns[role] ?? servicesOf(this.ctx)[role],
      namespace: this.ctx.namespace,
    };
  }

  private async readAnnotationPair(): Promise<{ stable?: number; canary?: number }> {
    const kube = requireKube(this.ctx, 'read the external-dns annotations');
    const pair: { stable?: number; canary?: number } = {};
    for (const role of ROLES) {
      const ref = this.objectRef(role);
      const obj = await kube.get<KubernetesObject>(ref);
      if (!obj)
        throw new AwsRouterError(
          `router.externalDns.${role}: ${ref.kind} ${ref.namespace}/${ref.name} not found`,
          2,
        );
      const raw = obj.metadata?.annotations?.[`${ANNOTATION}/aws-weight`];
      if (raw !== undefined) pair[role] = Number(raw);
    }
    return pair;
  }

  /** Writes the annotations, the side that gains weight first so the pair never passes through 0/0. */
  private async writeAnnotations(
    pair: WeightPair,
    current: { stable?: number; canary?: number },
  ): Promise<void> {
    const kube = requireKube(this.ctx, 'write the external-dns annotations');
    const order =
      pair.canary >= (current.canary ?? 0)
        ? (['canary', 'stable'] as const)
        : (['stable', 'canary'] as const);
    for (const role of order) {
      await kube.patch(this.objectRef(role), {
        metadata: {
          annotations: {
            [`${ANNOTATION}/hostname`]: this.config.recordName,
            [`${ANNOTATION}/set-identifier`]: this.ids[role],
            [`${ANNOTATION}/aws-weight`]: String(pair[role]),
            [`${ANNOTATION}/ttl`]: String(this.config.ttl),
          },
        },
      });
    }
  }

  /** external-dns applies annotations on its own schedule: wait (bounded) until Route 53 shows them. */
  private async waitRoute53Shows(pair: WeightPair, signal?: AbortSignal): Promise<boolean> {
    const shown = await pollUntil(
      async () => {
        const seen = await this.readRoute53Pair(signal);
        return seen.stable === pair.stable && seen.canary === pair.canary ? true : undefined;
      },
      { clock: this.ctx.clock, timeoutMs: this.config.syncTimeout, intervalMs: SYNC_POLL_MS, signal },
    );
    return shown === true;
  }

  // --- Router ------------------------------------------------------------------------------------------------

  private readPair(signal?: AbortSignal) {
    return this.config.mode === 'api' ? this.readRoute53Pair(signal) : this.readAnnotationPair();
  }

  /** Creates (or re-points) both records, keeping the current weights; a new group starts at 100 % stable. */
  async prepare(_targets: RouteTargets, signal?: AbortSignal): Promise<void> {
    const current = await this.readPair(signal);
    const pair: WeightPair =
      current.stable === undefined && current.canary === undefined
        ? splitPercent(0, ROUTE53_SCALE)
        : { stable: current.stable ?? 0, canary: current.canary ?? 0 };
    if (this.config.mode === 'api')
      await this.writeRecords(pair, `kdeploy ${this.ctx.namespace}/${this.ctx.app}: prepare`, signal);
    else await this.writeAnnotations(pair, current);
  }

  async setWeight(canaryPercent: number, signal?: AbortSignal): Promise<WeightResult> {
    const pair = splitPercent(canaryPercent, ROUTE53_SCALE);
    let detail: string;
    let verified: boolean;
    if (this.config.mode === 'api') {
      await this.writeRecords(
        pair,
        `kdeploy ${this.ctx.namespace}/${this.ctx.app}: canary ${canaryPercent}%`,
        signal,
      );
      detail = `${this.config.recordName} ${this.config.recordType}`;
      verified = true;
    } else {
      await this.writeAnnotations(pair, await this.readAnnotationPair());
      verified = this.config.externalDns.verify ? await this.waitRoute53Shows(pair, signal) : true;
      detail = `external-dns annotations on ${this.config.externalDns.kind}s ${this.objectRef('stable').name}, ${this.objectRef('canary').name}`;
      if (!verified)
        detail += ` (Route 53 did not show the weights within ${formatDuration(this.config.syncTimeout)})`;
    }
    const back = await this.readPair(signal);
    const backPair = { stable: back.stable ?? 0, canary: back.canary ?? 0 };
    verified &&= backPair.stable === pair.stable && backPair.canary === pair.canary;
    return {
      requested: canaryPercent,
      achieved: percentOf(backPair) ?? 50,
      verified,
      detail: `${detail}: ${this.ids.stable}=${backPair.stable} ${this.ids.canary}=${backPair.canary}`,
      dwellMs: this.dwellMs,
    };
  }

  async getWeights(signal?: AbortSignal): Promise<Weights> {
    const back = await this.readPair(signal);
    if (back.stable === undefined && back.canary === undefined) {
      throw new AwsRouterError(
        `router: the weighted records for ${this.config.recordName} don't exist yet (run prepare)`,
        1,
      );
    }
    // Route 53 spreads traffic evenly when every weight in the group is 0.
    const canary = percentOf({ stable: back.stable ?? 0, canary: back.canary ?? 0 }) ?? 50;
    return { stable: 100 - canary, canary };
  }

  describe(canaryPercent: number): string[] {
    const pair = splitPercent(canaryPercent, ROUTE53_SCALE);
    const { recordName: name, recordType: type } = this.config;
    const dwell = `then dwell ${formatDuration(this.dwellMs)} for resolver caches`;
    if (this.config.mode === 'external-dns') {
      const { kind } = this.config.externalDns;
      return [
        ...ROLES.map(
          (role) =>
            `kubernetes:patch ${kind} ${this.ctx.namespace}/${this.objectRef(role).name} ${ANNOTATION}/aws-weight=${pair[role]} set-identifier=${this.ids[role]}`,
        ),
        ...(this.config.externalDns.verify
          ? [`route53:ListResourceRecordSets ${this.zoneId} ${name} ${type} (until external-dns applied it)`]
          : []),
        dwell,
      ];
    }
    return [
      `route53:ChangeResourceRecordSets ${this.zoneId} UPSERT ${name} ${type} ${this.ids.stable}=${pair.stable} ${this.ids.canary}=${pair.canary}`,
      `route53:GetChange (until INSYNC, at most ${formatDuration(this.config.syncTimeout)})`,
      `route53:ListResourceRecordSets ${this.zoneId} ${name} ${type} (verify)`,
      dwell,
    ];
  }
}
