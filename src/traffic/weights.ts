// Weight ↔ replica math. Pure, so the rounding rule is stated once, tested exhaustively, and shared by the
// replicas router (weight = pod ratio), the canary strategy (canary size behind an AWS router) and `kdeploy
// plan` (what a step will really achieve).
//
// The pod-ratio rule (router `replicas`, documented in the README):
//   · n = the configured replicas; at a weight strictly between 0 and 100 at least two pods are needed, so
//     n = max(replicas, 2) there (one app with `replicas: 1` surges one pod during the canary).
//   · canary = round(n × w / 100) (nearest, halves up), clamped to [1, n − 1]: a canary gets at least one pod
//     as soon as w > 0, and stable keeps at least one pod until w = 100.
//   · stable = n − canary: total capacity stays n pods (Argo's "basic canary").
//   · w = 0 → (n stable, 0 canary); w = 100 → (0 stable, n canary).
// The achieved weight is canary / n, and what a router reports is always measured from ready pods
// (canaryReady / (stableReady + canaryReady)), never the requested number.

export interface ReplicaSplit {
  stable: number;
  canary: number;
}

const clampPercent = (w: number) => Math.min(100, Math.max(0, w));

/** Pods for each side when the canary should get `weight` percent of the traffic by pod ratio. */
export function splitForWeight(replicas: number, weight: number): ReplicaSplit {
  const w = clampPercent(weight);
  if (w === 0) return { stable: replicas, canary: 0 };
  if (w === 100) return { stable: 0, canary: replicas };
  const n = Math.max(replicas, 2);
  const canary = Math.min(n - 1, Math.max(1, Math.round((n * w) / 100)));
  return { stable: n - canary, canary };
}

/** The canary's share of the pods, in percent (rounded to 0.01). */
export function weightOf(split: ReplicaSplit): number {
  const total = split.stable + split.canary;
  return total === 0 ? 0 : Math.round((split.canary / total) * 10_000) / 100;
}

/** The weight the pod-ratio rule really gives for a requested weight. */
export function achievableWeight(replicas: number, weight: number): number {
  return weightOf(splitForWeight(replicas, weight));
}

/**
 * Canary size behind a router that splits traffic itself (ALB, Route 53): enough pods to serve `weight`
 * percent of the load that `replicas` pods serve, rounded up, at least one pod while w > 0 (Argo's
 * setCanaryScale default). Stable keeps all its replicas until promotion.
 */
export function canaryPodsForWeight(replicas: number, weight: number): number {
  const w = clampPercent(weight);
  return w === 0 ? 0 : Math.max(1, Math.ceil((replicas * w) / 100));
}
