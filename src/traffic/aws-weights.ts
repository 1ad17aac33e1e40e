// Percent ⇄ integer weights for data planes with relative weights (ALB target groups, Route 53 records).
//
// A split is written as canary = round(percent · total / 100), stable = total − canary. The only pairs where a
// side can exceed the per-record maximum are the end points (total / 0 and 0 / total), and there the other side
// is 0, so any positive weight gives the same split: the big side is clamped to `max`. Every split is therefore
// exact at the scale's granularity (100 / total percent), including the 0 ↔ 100 blue/green flip.

export interface WeightScale {
  /** Sum of the two weights for every split strictly between 0 and 100 %. */
  total: number;
  /** Largest weight one record accepts. Must be ≥ total − 1 so that only the end points need clamping. */
  max: number;
}

/** ALB: weights 0–999; a total of 1000 gives exact 0.1 % steps (999/1 … 1/999). */
export const ALB_SCALE: WeightScale = { total: 1000, max: 999 };
/** Route 53: weights 0–255; a total of 200 makes every whole and half percent exact (255 would not). */
export const ROUTE53_SCALE: WeightScale = { total: 200, max: 255 };

export interface WeightPair {
  stable: number;
  canary: number;
}

/** The weights to write for a canary share in percent (0–100). */
export function splitPercent(percent: number, scale: WeightScale): WeightPair {
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new RangeError(`canary weight must be a percentage between 0 and 100, got ${percent}`);
  }
  const canary = Math.round((percent * scale.total) / 100);
  const stable = scale.total - canary;
  return { stable: Math.min(stable, scale.max), canary: Math.min(canary, scale.max) };
}

/** The canary's share in percent for weights read back from the data plane; undefined when both are 0. */
export function percentOf(pair: WeightPair): number | undefined {
  const sum = pair.stable + pair.canary;
  if (sum === 0) return undefined;
  // Round away floating-point noise only (1/3 stays 33.333333…).
  return Math.round((pair.canary / sum) * 100 * 1e9) / 1e9;
}

/** Granularity in percent of a scale, for RouterCapabilities. */
export function granularityOf(scale: WeightScale): number {
  return 100 / scale.total;
}
