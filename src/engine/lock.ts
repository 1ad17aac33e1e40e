// One lock per app: a coordination.k8s.io/v1 Lease `kdeploy-<app>`. The holder renews it every TTL/3 while it
// works and clears it when it stops; a holder that stopped renewing (killed, network gone) loses it after
// the TTL, so an app is never locked forever (unlike Helm's stuck pending-upgrade).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Cluster } from '../core/cluster.js';
import { KdeployError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { Clock } from '../core/ports.js';
import { statusOf } from '../kube/errors.js';
import { toMs } from './diagnose.js';
export interface LeaseObject extends KubernetesObject {
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | Date | null;
    renewTime?: string | Date | null;
    leaseTransitions?: number;
  };
}

export type LockDecision =
  | { kind: 'acquire' }
  | { kind: 'renew' }
  | { kind: 'take-over'; previousHolder: string; expiredAgoMs: number }
  | { kind: 'held'; holder: string; expiresInMs: number };

/**
 * Whether `me` may hold the lease now. `holderGone` says the holder is known to be dead (same host, its
 * process no longer exists), which allows taking over before the TTL runs out.
 */
export function decideLock(
  lease: LeaseObject['spec'] | undefined,
  me: string,
  now: number,
  holderGone = false,
): LockDecision {
  const holder = lease?.holderIdentity;
  if (!holder) return { kind: 'acquire' };
  if (holder === me) return { kind: 'renew' };
  const renewed = toMs(lease?.renewTime ?? lease?.acquireTime ?? undefined) ?? 0;
  const expiresAt = renewed + (lease?.leaseDurationSeconds ?? 0) * 1000;
  if (holderGone || now >= expiresAt)
    return { kind: 'take-over', previousHolder: holder, expiredAgoMs: Math.max(0, now - expiresAt) };
  return { kind: 'held', holder, expiresInMs: expiresAt - now };
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits (`2006-01-02T15:04:05.000000Z`). */
export const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** Holder identities are `<host>/<pid>/<releaseId>`; parsing them lets a resume recognise a dead local holder. */
export function parseHolder(holder: string): { host: string; pid: number; releaseId: string } | undefined {
  const m = /^(.+)\/(\d+)\/([^/]+)$/.exec(holder);
  return m ? { host: m[1] as string, pid: Number(m[2]), releaseId: m[3] as string } : undefined;
}

export class LockedError extends KdeployError {
  override name = 'LockedError';
  constructor(
    readonly holder: string,
    readonly expiresInMs: number,
    app: string,
  ) {
    super(
      `app ${app} is locked by another release: ${holder} (its lease expires in ${Math.ceil(expiresInMs / 1000)}s unless renewed)`,
      ExitCode.Locked,
    );
  }
}

/** The lease has another holder (or is gone): renewing can't help, and the release must stop where it is. */
export class LockLostError extends KdeployError {
  override name = 'LockLostError';
  constructor(message: string) {
    super(message, ExitCode.Locked);
  }
}

export interface LockOptions {
  app: string;
  namespace: string;
  /** `<host>/<pid>/<releaseId>`. */
  identity: string;
  ttlSeconds: number;
  clock: Clock;
  /** True when the holder is certainly dead (e.g. a process on this host that no longer exists). */
  isHolderGone?: (holder: string) => boolean;
  onTakeOver?: (previousHolder: string, expiredAgoMs: number) => void;
}

export class LeaseLock {
  private readonly ref;
  private renewing?: AbortController;

  constructor(
    private readonly cluster: Cluster,
    private readonly opts: LockOptions,
  ) {
    this.ref = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      name: `kdeploy-${opts.app}`,
      namespace: opts.namespace,
    };
  }

  get identity(): string {
    return this.opts.identity;
  }

  /** Takes the lock or throws LockedError naming the holder. One read and one write when the lock is free. */
  async acquire(): Promise<void> {
    for (;;) {
      const lease = await this.cluster.get<LeaseObject>(this.ref);
      const now = this.opts.clock.now();
      const holder = lease?.spec?.holderIdentity;
      const decision = decideLock(
        lease?.spec,
        this.opts.identity,
        now,
        !!holder && (this.opts.isHolderGone?.(holder) ?? false),
      );
      if (decision.kind === 'held')
        throw new LockedError(decision.holder, decision.expiresInMs, this.opts.app);
      const spec = {
        holderIdentity: this.opts.identity,
        leaseDurationSeconds: this.opts.ttlSeconds,
        acquireTime: decision.kind === 'renew' ? lease?.spec?.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: (lease?.spec?.leaseTransitions ?? 0) + (decision.kind === 'take-over' ? 1 : 0),
      };
      try {
        if (lease) await this.cluster.replace<LeaseObject>({ ...lease, spec });
        else
          await this.cluster.create<LeaseObject>({
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: {
              name: this.ref.name,
              namespace: this.ref.namespace,
              labels: { 'kdeploy.dev/app': this.opts.app },
            },
            spec,
          });
      } catch (err) {
        // Someone else wrote the Lease between our read and write: read again and decide again.
        if (statusOf(err) === 409) continue;
        throw err;
      }
      if (decision.kind === 'take-over')
        this.opts.onTakeOver?.(decision.previousHolder, decision.expiredAgoMs);
      return;
    }
  }

  /**
   * Renews every TTL/3 on the clock until released. `onLost` is called when another holder took the lease, or
   * when renewals kept failing (API errors) until the lease would have lapsed: one failed renewal is retried
   * at the next period, since the lease is still ours for a TTL after the last successful one.
   */
  startRenewing(onLost: (err: Error) => void): void {
    this.renewing?.abort();
    const ctl = new AbortController();
    this.renewing = ctl;
    const { clock, ttlSeconds } = this.opts;
    const period = (ttlSeconds * 1000) / 3;
    const loop = async () => {
      let heldUntil = clock.now() + ttlSeconds * 1000;
      while (!ctl.signal.aborted) {
        await clock.sleep(period, ctl.signal);
        try {
          const renewedAt = clock.now();
          await this.renew();
          heldUntil = renewedAt + ttlSeconds * 1000;
        } catch (err) {
          if (err instanceof LockLostError || clock.now() + period >= heldUntil) throw err;
        }
      }
    };
    loop().catch((err) => {
      if (!ctl.signal.aborted) onLost(err as Error);
    });
  }

  private async renew(): Promise<void> {
    const now = this.opts.clock.now();
    const lost = new LockLostError(`lost the lock kdeploy-${this.opts.app}: another process took it over`);
    const result = await this.cluster.mutate<LeaseObject>(this.ref, (lease) => {
      if (lease.spec?.holderIdentity !== this.opts.identity) throw lost;
      return { ...lease, spec: { ...lease.spec, renewTime: microTime(now) } };
    });
    if (!result) throw lost;
  }

  /** Stops renewing and clears the holder (only if it is still us), so the next release can start at once. */
  async release(): Promise<void> {
    this.renewing?.abort();
    this.renewing = undefined;
    await this.cluster.mutate<LeaseObject>(this.ref, (lease) => {
      if (lease.spec?.holderIdentity !== this.opts.identity) return undefined;
      return {
        ...lease,
        spec: { ...lease.spec, holderIdentity: null, renewTime: microTime(this.opts.clock.now()) },
      };
    });
  }
}
