// Fault injection for tests of retry and resume logic: answer matching requests with 409 Conflict,
// 429 Too Many Requests (with Retry-After) or 500, reset the connection, or cut watch streams — either for
// the next N matching requests or at a rate drawn from the cluster's seeded PRNG, so a run repeats exactly.
import type { Random } from './random.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export type FaultKind = 'conflict' | 'throttle' | 'error' | 'reset' | 'watchDrop';

export interface FaultRule {
  kind: FaultKind;
  /** Only requests with this verb ('*' or absent: any). */
  verb?: Verb | '*';
  /** Only this resource (plural, e.g. `deployments`; subresources as `deployments/status`). */
  resource?: string;
  namespace?: string;
  name?: string;
  /** Fire for the next `count` matching requests (default 1 when `rate` is absent). */
  count?: number;
  /** Fire with this probability on each matching request, indefinitely (or until `count` fired). */
  rate?: number;
  /** Seconds for the Retry-After header of `throttle`. Default 1. */
  retryAfterSeconds?: number;
  /** For `watchDrop`: events delivered before the stream is cut. Default 0 (right after it opens). */
  afterEvents?: number;
}

export interface RequestInfo {
  verb: Verb;
  resource: string;
  namespace?: string;
  name?: string;
}

export interface FaultRecord extends RequestInfo {
  kind: FaultKind;
}

interface ActiveRule extends FaultRule {
  fired: number;
}

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'status'; code: 409 | 429 | 500; retryAfterSeconds?: number }
  | { kind: 'reset' }
  | { kind: 'watchDrop'; afterEvents: number };

export class Faults {
  private rules: ActiveRule[] = [];
  /** Every fault injected so far, in order. */
  readonly injected: FaultRecord[] = [];
  private readonly dropListeners = new Set<(resource?: string) => void>();

  constructor(private readonly random: Random) {}

  /** Adds a rule; returns a function that removes it. */
  inject(rule: FaultRule): () => void {
    if (rule.rate !== undefined && !(rule.rate >= 0 && rule.rate <= 1))
      throw new Error(`fault rate must be within 0..1, got ${rule.rate}`);
    if (rule.count !== undefined && !(Number.isInteger(rule.count) && rule.count > 0))
      throw new Error(`fault count must be a positive integer, got ${rule.count}`);
    const active: ActiveRule = { ...rule, fired: 0 };
    this.rules.push(active);
    return () => {
      this.rules = this.rules.filter((r) => r !== active);
    };
  }

  clear(): void {
    this.rules = [];
  }

  /** Ends every open watch stream (of one resource, or all) now, as an apiserver restart would. */
  dropWatches(resource?: string): void {
    for (const l of this.dropListeners) l(resource);
  }

  /** For the HTTP layer: be told when open watches must end. */
  onDropWatches(listener: (resource?: string) => void): () => void {
    this.dropListeners.add(listener);
    return () => this.dropListeners.delete(listener);
  }

  /** Decides what happens to one request; called once per request by the HTTP layer. */
  decide(req: RequestInfo): FaultDecision {
    for (const rule of this.rules) {
      if (!ruleMatches(rule, req)) continue;
      const limit = rule.count ?? (rule.rate === undefined ? 1 : Number.POSITIVE_INFINITY);
      if (rule.fired >= limit) continue;
      if (rule.rate !== undefined && this.random.next() >= rule.rate) continue;
      rule.fired++;
      this.injected.push({ ...req, kind: rule.kind });
      switch (rule.kind) {
        case 'conflict':
          return { kind: 'status', code: 409 };
        case 'throttle':
          return { kind: 'status', code: 429, retryAfterSeconds: rule.retryAfterSeconds ?? 1 };
        case 'error':
          return { kind: 'status', code: 500 };
        case 'reset':
          return { kind: 'reset' };
        case 'watchDrop':
          return { kind: 'watchDrop', afterEvents: rule.afterEvents ?? 0 };
      }
    }
    return { kind: 'none' };
  }
}

function ruleMatches(rule: FaultRule, req: RequestInfo): boolean {
  if (rule.kind === 'watchDrop' && req.verb !== 'watch') return false;
  if (rule.verb && rule.verb !== '*' && rule.verb !== req.verb) return false;
  if (rule.resource && rule.resource !== req.resource) return false;
  if (rule.namespace && rule.namespace !== req.namespace) return false;
  if (rule.name && rule.name !== req.name) return false;
  return true;
}
